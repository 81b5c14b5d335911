// Signing in and the session. Tokens live in this module's memory only (never localStorage or
// sessionStorage): a reload signs in again. Locally the one-time URL `make run` prints is exchanged once
// (POST /_local/login), or a token from `make token` is pasted; on AWS OpenID Connect's authorization code
// flow with PKCE against the user pool, refreshed before the ID token expires.

let session = null;
let config = null;
let refreshTimer = null;
const listeners = new Set();

// `/app/` may sit under a stage prefix (`/api/app/`): the API is the part before it.
const appPath = location.pathname.slice(0, location.pathname.lastIndexOf('/app/') + 5) || '/app/';
export const apiBase = location.origin + appPath.slice(0, -5);
export const appBase = location.origin + appPath;

export const getSession = () => session;
export function onSessionChange(listener) { listeners.add(listener); return () => listeners.delete(listener); }
function publish() { listeners.forEach(listener => listener(session)); }

export async function loadConfig() {
  if (!config) {
    const reply = await fetch(appBase + 'config.json', { credentials: 'omit' });
    if (!reply.ok) throw new Error('config ' + reply.status);
    config = await reply.json();
  }
  return config;
}

function claims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(decodeURIComponent(escape(atob(part))));
  } catch { return {}; }
}

function begin(token, extra = {}) {
  const c = claims(token);
  session = {
    token,
    account: extra.account || c.account || c['custom:account'],
    role: extra.role || c.role || c['custom:role'] || 'member',
    user: extra.user || c.email || c.sub || '',
    expiresAt: c.exp ? c.exp * 1000 : null,
    refreshToken: extra.refreshToken || null,
  };
  scheduleRefresh();
  publish();
}

export function signInWithToken(token) { begin(token.trim()); }

export async function exchangeLocalCode(code) {
  const reply = await fetch(apiBase + '/_local/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code }), credentials: 'omit',
  });
  if (!reply.ok) throw new Error('login ' + reply.status);
  const body = await reply.json();
  begin(body.token, { account: body.account, role: body.role, user: body.user });
}

/** The session ended (401, sign-out): forget every token. */
export function expire(reason) {
  session = null;
  clearTimeout(refreshTimer);
  expiredReason = reason || null;
  publish();
}
export let expiredReason = null;

export function signOut() {
  const wasOidc = config && config.mode === 'oidc';
  expire();
  if (wasOidc) {
    const url = new URL(config.end_session_endpoint);
    url.searchParams.set('client_id', config.client_id);
    url.searchParams.set('logout_uri', appBase);
    location.assign(url.toString());
  }
}

// --- OpenID Connect (authorization code + PKCE) --------------------------------------------------------

const b64url = bytes => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const randomText = size => b64url(crypto.getRandomValues(new Uint8Array(size)));
const PENDING = 'dossier.console.oidc';

export async function startOidc(returnTo) {
  const verifier = randomText(48);
  const state = randomText(16);
  const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  // Only the PKCE verifier and state wait here across the redirect: never a token.
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, returnTo }));
  const url = new URL(config.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code', client_id: config.client_id, redirect_uri: appBase + 'callback', scope: config.scope,
    state, code_challenge: challenge, code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

async function tokenRequest(fields) {
  const reply = await fetch(config.token_endpoint, {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: config.client_id, ...fields }).toString(), credentials: 'omit',
  });
  if (!reply.ok) throw new Error('token ' + reply.status);
  return reply.json();
}

/** On `/app/callback?code=&state=`: trade the code for tokens; answers the hash route to go back to. */
export async function finishOidc() {
  const params = new URLSearchParams(location.search);
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || 'null');
  sessionStorage.removeItem(PENDING);
  if (!pending || !params.get('code') || params.get('state') !== pending.state) throw new Error('state');
  const tokens = await tokenRequest({
    grant_type: 'authorization_code', code: params.get('code'), redirect_uri: appBase + 'callback',
    code_verifier: pending.verifier,
  });
  begin(tokens.id_token, { refreshToken: tokens.refresh_token });
  return pending.returnTo || '#/customers';
}

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  if (!session || !session.refreshToken || !session.expiresAt) return;
  const wait = Math.max(5_000, session.expiresAt - Date.now() - 120_000);
  refreshTimer = setTimeout(async () => {
    try {
      const tokens = await tokenRequest({ grant_type: 'refresh_token', refresh_token: session.refreshToken });
      begin(tokens.id_token, { refreshToken: session.refreshToken });
    } catch { /* the next request's 401 leads to sign-in */ }
  }, wait);
}
