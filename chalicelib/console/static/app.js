// The console's shell: sign-in, navigation landmarks, the language switch, the live region and the router.
import { render, useEffect, useRef, useState } from './preact-htm.module.js';
import * as auth from './auth.js';
import { lang, setLanguage, t } from './i18n.js';
import { Banner, html, parseHash } from './ui.js';
import { CustomerList } from './customers.js';
import { CustomerPage } from './customer.js';
import { ReviewInbox } from './review.js';
import { Settings } from './settings.js';
import { MEMBER_SETTINGS, usePermissions } from './permissions.js';

function SignIn({ config, problem }) {
  const [token, setToken] = useState('');
  const heading = useRef(null);
  useEffect(() => heading.current && heading.current.focus(), []);
  const local = !config || config.mode === 'local';
  return html`<main id="main" class="signin" tabindex="-1">
    <h1 ref=${heading} tabindex="-1">${t('sign_in_title')}</h1>
    ${problem && html`<${Banner} error=${t(problem)} />`}
    ${local ? html`
      <p>${t('sign_in_local')}</p>
      <form class="card" onSubmit=${event => { event.preventDefault(); if (token.trim()) auth.signInWithToken(token); }}>
        <div class="field"><label for="token">${t('token')}</label>
          <input id="token" type="password" autocomplete="off" value=${token} onInput=${e => setToken(e.target.value)} /></div>
        <button type="submit" class="button button-primary">${t('sign_in')}</button>
      </form>` : html`
      <p>${t('sign_in_oidc')}</p>
      <button type="button" class="button button-primary" onClick=${() => auth.startOidc(location.hash || '#/customers')}>${t('sign_in')}</button>`}
  </main>`;
}

function Screen({ route, session }) {
  const [top, ...rest] = route.parts;
  if (top === 'customers' && rest[0]) return html`<${CustomerPage} id=${rest[0]} tab=${rest[1] || 'overview'} session=${session} />`;
  if (top === 'review') return html`<${ReviewInbox} route=${route} />`;
  if (top === 'settings') return html`<${Settings} section=${rest[0] || 'account'} session=${session} />`;
  return html`<${CustomerList} route=${route} />`;
}

function Shell({ session, route, onLanguage }) {
  const [top] = route.parts;
  const current = top === 'review' || top === 'settings' ? top : 'customers';
  const main = useRef(null);
  const path = route.parts.slice(0, 2).join('/');
  // A new screen moves focus to its main region, so keyboard and screen-reader users start at the content.
  useEffect(() => { if (main.current && document.activeElement === document.body) main.current.focus(); }, [path]);
  const may = usePermissions();
  const seesSettings = session.role === 'admin' || Object.values(MEMBER_SETTINGS).some(may);
  const link = (name, label) => html`<li><a href=${'#/' + name} aria-current=${current === name ? 'page' : undefined}>${label}</a></li>`;
  return html`
    <a class="skip" href="#main" onClick=${event => { event.preventDefault(); main.current.focus(); }}>${t('skip')}</a>
    <header class="topbar">
      <a class="brand" href="#/customers">${t('app')}</a>
      <nav aria-label=${t('nav')}><ul>
        ${link('customers', t('customers'))}${link('review', t('review'))}${seesSettings && link('settings', t('settings'))}
      </ul></nav>
      <div class="topbar-end">
        <label class="sr-only" for="language">${t('language')}</label>
        <select id="language" class="language" value=${lang} onChange=${e => onLanguage(e.target.value)}>
          <option value="de">Deutsch</option><option value="en">English</option>
        </select>
        <span class="who">${session.user}</span>
        <button type="button" class="button button-quiet" onClick=${() => auth.signOut()}>${t('sign_out')}</button>
      </div>
    </header>
    <main id="main" ref=${main} tabindex="-1" class="content"><${Screen} route=${route} session=${session} /></main>`;
}

function App() {
  const [session, setSession] = useState(auth.getSession());
  const [route, setRoute] = useState(parseHash());
  const [config, setConfig] = useState(null);
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(true);
  const [, setLang] = useState(lang);

  useEffect(() => auth.onSessionChange(next => { setSession(next); if (!next) setProblem(auth.expiredReason); }), []);
  useEffect(() => {
    const onHash = () => setRoute(parseHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    (async () => {
      try {
        const loaded = await auth.loadConfig();
        setConfig(loaded);
        const login = /^#login=([^&]+)/.exec(location.hash);
        if (login) {
          // The one-time code leaves the address bar (and the history) before it is used.
          history.replaceState(null, '', location.pathname + '#/customers');
          setRoute(parseHash());
          try { await auth.exchangeLocalCode(decodeURIComponent(login[1])); } catch { setProblem('login_failed'); }
        } else if (location.pathname.endsWith('/app/callback')) {
          try {
            const back = await auth.finishOidc();
            history.replaceState(null, '', auth.appBase + back);
            setRoute(parseHash());
          } catch { setProblem('login_failed'); }
        } else if (loaded.mode === 'oidc') {
          // The token lived in memory only: a reload or a deep link goes through the identity provider, whose
          // own session usually brings the user straight back to the same address.
          await auth.startOidc(location.hash || '#/customers');
          return;
        }
      } catch (error) {
        setProblem('network_error');
      }
      setBusy(false);
    })();
  }, []);

  const onLanguage = value => { setLanguage(value); setLang(value); };
  if (busy) return html`<main id="main" class="signin"><p role="status">${t('signing_in')}</p></main>`;
  return html`
    ${session ? html`<${Shell} session=${session} route=${route} onLanguage=${onLanguage} />` : html`<${SignIn} config=${config} problem=${problem} />`}
    <div id="live" class="sr-only" aria-live="polite" aria-atomic="true"></div>`;
}

document.documentElement.lang = lang;
const root = document.getElementById('console');
root.textContent = '';
render(html`<${App} />`, root);
