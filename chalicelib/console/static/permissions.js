// What the signed-in user may do (`GET /me`: the role and the account's switches in effect), so the console offers
// only those actions; the API refuses the others anyway (403 permission_denied). Read once per session token and
// again after a minute (the API's authorizer also takes up to a minute to see a changed switch).
import { useEffect, useState } from './preact-htm.module.js';
import { api } from './api.js';
import { getSession } from './auth.js';

const FRESH_MS = 60_000;
let cached = { token: null, me: null, at: 0 };

function loadMe() {
  const token = getSession() && getSession().token;
  if (cached.token !== token || !cached.me || Date.now() - cached.at > FRESH_MS) {
    cached = { token, at: Date.now(), me: api('GET', '/me').catch(error => { cached = { token: null, me: null, at: 0 }; throw error; }) };
  }
  return cached.me;
}

/** The Settings screens a member sees when a switch allows them (an admin sees every screen). */
export const MEMBER_SETTINGS = { groups: 'groups_manage', attributes: 'attributes_manage', exports: 'exports_all', webhooks: 'webhooks_manage' };

/** `may('customers_delete')`: true once `/me` allows it (nothing switchable is offered before it is known). */
export function usePermissions() {
  const [me, setMe] = useState(null);
  useEffect(() => { loadMe().then(setMe, () => setMe(null)); }, []);
  return name => Boolean(me && me.permissions[name]);
}
