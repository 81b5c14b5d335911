// Einstellungen → Team (admin): the team members (invite, change the role, disable and enable, remove; the last
// admin's error said in words) and Berechtigungen: what members may do (`/account/permissions`).
import { useState } from './preact-htm.module.js';
import { api, ApiError } from './api.js';
import { formatDateTime, t } from './i18n.js';
import { Banner, Dialog, Field, announce, html, useLoad } from './ui.js';

export const PERMISSION_NAMES = ['customers_delete', 'customers_merge', 'attributes_manage', 'groups_manage',
  'exports_all', 'files_delete', 'links_send', 'webhooks_manage'];

/** The API's error in the team's words: the last admin and a taken address have their own. */
function teamProblem(error) {
  if (error instanceof ApiError && error.code === 'last_admin') return t('team_last_admin');
  if (error instanceof ApiError && error.code === 'email_taken') return t('team_email_taken');
  return error;
}

export function Team() {
  const users = useLoad(() => api('GET', '/users'), []);
  const [problem, setProblem] = useState(null);
  const [inviting, setInviting] = useState(false);
  const act = async (action, done) => {
    setProblem(null);
    try { await action(); users.reload(); announce(done); } catch (error) { setProblem(teamProblem(error)); }
  };
  const remove = user => {
    if (confirm(t('team_confirm_remove', { name: user.name }))) act(() => api('DELETE', '/users/' + user.id), t('team_removed', { name: user.name }));
  };
  const items = users.data ? users.data.items : [];
  return html`<section class="card" aria-labelledby="team-h">
    <div class="screen-head"><h2 id="team-h">${t('set_team')}</h2>
      <button type="button" class="button button-primary" onClick=${() => setInviting(true)}>${t('team_invite')}</button></div>
    <p class="muted">${t('team_text')}</p>
    <${Banner} error=${problem || users.error} onRetry=${users.reload} />
    ${users.data && (items.length ? html`<ul class="order-list">${items.map(user => html`<li key=${user.id} data-user=${user.id}>
      <span class="grow"><strong>${user.name}</strong> <span class="muted break">${user.email}</span><br />
        <span class=${'badge ' + (user.status === 'active' ? 'badge-complete' : user.status === 'invited' ? 'badge-partial' : 'badge-open')}>${t('team_status_' + user.status)}</span>
        ${user.last_sign_in_at && html` <span class="muted">${t('team_last_sign_in', { at: formatDateTime(user.last_sign_in_at) })}</span>`}</span>
      <div class="field"><label for=${'role-' + user.id}>${t('team_role')}<span class="sr-only">: ${user.name}</span></label>
        <select id=${'role-' + user.id} value=${user.role}
          onChange=${e => act(() => api('PATCH', '/users/' + user.id, { role: e.target.value }), t('saved'))}>
          <option value="admin">${t('team_role_admin')}</option><option value="member">${t('team_role_member')}</option>
        </select></div>
      <button type="button" class="button" onClick=${() => act(() => api('PATCH', '/users/' + user.id, { status: user.status === 'disabled' ? 'active' : 'disabled' }), t('saved'))}>
        ${user.status === 'disabled' ? t('team_enable') : t('team_disable')}<span class="sr-only">: ${user.name}</span></button>
      <button type="button" class="button" onClick=${() => remove(user)}>${t('team_remove')}<span class="sr-only">: ${user.name}</span></button>
    </li>`)}</ul>` : html`<p class="muted">${t('team_none')}</p>`)}
    ${inviting && html`<${InviteForm} onClose=${() => setInviting(false)}
      onInvited=${user => { setInviting(false); announce(t('team_invited', { email: user.email })); users.reload(); }} />`}
  </section>
  <${Permissions} />`;
}

function InviteForm({ onClose, onInvited }) {
  const [values, setValues] = useState({ name: '', email: '', role: 'member' });
  const [errors, setErrors] = useState({});
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (name, value) => setValues(v => ({ ...v, [name]: value }));
  const submit = async event => {
    event.preventDefault();
    setBusy(true); setErrors({}); setProblem(null);
    try {
      onInvited(await api('POST', '/users', { name: values.name.trim(), email: values.email.trim(), role: values.role }));
    } catch (error) {
      setBusy(false);
      if (error instanceof ApiError && error.details.length) { setErrors(error.fields()); setProblem(t('check_fields')); }
      else if (error instanceof ApiError && error.code === 'email_taken') setErrors({ email: t('team_email_taken') });
      else setProblem(error);
    }
  };
  return html`<${Dialog} title=${t('team_invite')} onClose=${onClose}>
    <form class="form" onSubmit=${submit} novalidate>
      <${Banner} error=${problem} />
      <${Field} label=${t('name')} name="name" error=${errors.name} required>${props => html`<input ...${props} value=${values.name} autocomplete="name" onInput=${e => set('name', e.target.value)} />`}<//>
      <${Field} label=${t('email')} name="email" error=${errors.email} required>${props => html`<input ...${props} type="email" value=${values.email} autocomplete="email" onInput=${e => set('email', e.target.value)} />`}<//>
      <${Field} label=${t('team_role')} name="role" error=${errors.role} hint=${t('team_role_hint')}>${props => html`<select ...${props} value=${values.role} onChange=${e => set('role', e.target.value)}>
        <option value="member">${t('team_role_member')}</option><option value="admin">${t('team_role_admin')}</option></select>`}<//>
      <div class="actions">
        <button type="submit" class="button button-primary" disabled=${busy}>${busy ? t('saving') : t('team_send_invite')}</button>
        <button type="button" class="button" onClick=${onClose}>${t('cancel')}</button>
      </div>
    </form>
  <//>`;
}

function Permissions() {
  const permissions = useLoad(() => api('GET', '/account/permissions'), []);
  const [problem, setProblem] = useState(null);
  const toggle = async (name, on) => {
    setProblem(null);
    try { permissions.setData(await api('PATCH', '/account/permissions', { [name]: on })); announce(t('saved')); }
    catch (error) { setProblem(error); permissions.reload(); }
  };
  return html`<section class="card" aria-labelledby="permissions-h"><h2 id="permissions-h">${t('set_permissions')}</h2>
    <p class="muted">${t('perm_text')}</p>
    <${Banner} error=${problem || permissions.error} onRetry=${permissions.reload} />
    ${permissions.data && html`<fieldset><legend>${t('perm_members_may')}</legend>
      ${PERMISSION_NAMES.map(name => html`<label class="check" key=${name}><input type="checkbox" name=${name} checked=${permissions.data[name]}
        onChange=${e => toggle(name, e.target.checked)} /> ${t('perm_' + name)}</label>`)}
    </fieldset>`}
  </section>`;
}
