// Kundenportal in the console: a customer's access (the permanent access link, shown once; revoke; whether and
// how they signed in), their permissions (overrides of the account's defaults), the message thread with the
// customer, the portal switched on or off for many customers at once (a job), and the defaults in Settings.
import { useEffect, useRef, useState } from './preact-htm.module.js';
import { api, ApiError } from './api.js';
import { formatDateTime, formatNumber, t } from './i18n.js';
import { Banner, Dialog, Field, announce, html, useLoad } from './ui.js';

export const PERMISSIONS = ['upload', 'edit_profile', 'see_sent_files', 'delete_pending_uploads', 'approve_documents', 'message'];

const customerPath = (customer, rest) => '/customers/' + encodeURIComponent(customer.id) + rest;

// --- access ------------------------------------------------------------------------------------------------

function CopyOnce({ url }) {
  const [copied, setCopied] = useState(false);
  const field = useRef(null);
  useEffect(() => { if (field.current) field.current.focus(); }, [url]);
  const copy = async () => {
    try { await navigator.clipboard.writeText(url); } catch { field.current.select(); document.execCommand('copy'); }
    setCopied(true); announce(t('copied'));
  };
  return html`<div class="banner banner-info portal-url-once" role="status">
    <div><p>${t('portal_link_created')}</p>
      <input ref=${field} id="portal-access-url" class="url-once" readonly value=${url} aria-label=${t('portal_access_link')} size="50" /></div>
    <button type="button" class="button button-primary" onClick=${copy}>${copied ? t('copied') : t('copy_link')}</button>
  </div>`;
}

function accessText(portal) {
  if (!portal.enabled) return t('portal_access_off');
  const parts = [portal.access_link ? t('portal_has_link', { d: formatDateTime(portal.access_link_created_at) }) : t('portal_no_link')];
  parts.push(portal.last_sign_in_at
    ? t('portal_last_sign_in', { d: formatDateTime(portal.last_sign_in_at), how: t('portal_by_' + (portal.signed_in_by || 'email')) })
    : t('portal_never_signed_in'));
  return parts.join(' · ');
}

/** The Kundenportal tab: access and permissions. */
export function PortalTab({ customer, onChange, reload }) {
  const portal = customer.portal || { enabled: false, access_link: false, permissions: {} };
  const [url, setUrl] = useState(null);
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const run = async (action, done) => {
    setBusy(true); setProblem(null);
    try { await action(); if (done) announce(done); } catch (error) { setProblem(error); }
    setBusy(false);
  };
  const create = () => run(async () => {
    const made = await api('POST', customerPath(customer, '/portal-access'));
    setUrl(made.url);
    reload();
  }, t('portal_link_created'));
  const revoke = () => run(async () => {
    await api('DELETE', customerPath(customer, '/portal-access'));
    setUrl(null); setConfirming(false);
    reload();
  }, t('portal_link_revoked'));
  const toggle = enabled => run(async () => {
    onChange(await api('PATCH', customerPath(customer, ''), { portal_enabled: enabled }));
    if (!enabled) setUrl(null);
  }, enabled ? t('portal_switched_on') : t('portal_switched_off'));

  return html`<div class="grid-2 portal-tab">
    <section class="card" aria-labelledby="portal-access-h"><h2 id="portal-access-h">${t('portal_access')}</h2>
      <${Banner} error=${problem} />
      <p class="portal-state" data-enabled=${String(portal.enabled)} data-link=${String(Boolean(portal.access_link))}>${accessText(portal)}</p>
      ${url && html`<${CopyOnce} url=${url} />`}
      <p class="muted">${t('portal_link_hint')}</p>
      <div class="actions">
        ${portal.enabled && html`<button type="button" class="button button-primary" disabled=${busy} onClick=${create}>
          ${portal.access_link ? t('portal_replace_link') : t('portal_create_link')}</button>`}
        ${portal.access_link && html`<button type="button" class="button button-danger" disabled=${busy} onClick=${() => setConfirming(true)}>${t('portal_revoke_link')}</button>`}
        <button type="button" class="button" disabled=${busy} onClick=${() => toggle(!portal.enabled)}>
          ${portal.enabled ? t('portal_switch_off') : t('portal_switch_on')}</button>
      </div>
      ${confirming && html`<${Dialog} title=${t('portal_revoke_title', { name: customer.name })} onClose=${() => setConfirming(false)}>
        <p>${t('portal_revoke_text')}</p>
        <div class="actions"><button type="button" class="button button-danger" disabled=${busy} onClick=${revoke}>${t('portal_revoke_link')}</button>
          <button type="button" class="button" onClick=${() => setConfirming(false)}>${t('cancel')}</button></div>
      <//>`}
    </section>
    <${CustomerPermissions} customer=${customer} onChange=${onChange} />
  </div>`;
}

// --- permissions -------------------------------------------------------------------------------------------

function CustomerPermissions({ customer, onChange }) {
  const overrides = customer.portal_permissions || {};
  const effective = (customer.portal && customer.portal.permissions) || {};
  const [problem, setProblem] = useState(null);
  const change = async (name, raw) => {
    setProblem(null);
    const value = raw === 'default' ? null : raw === 'on';
    try {
      onChange(await api('PATCH', customerPath(customer, ''), { portal_permissions: { [name]: value } }));
      announce(t('saved'));
    } catch (error) { setProblem(error); }
  };
  return html`<section class="card" aria-labelledby="portal-perm-h"><h2 id="portal-perm-h">${t('portal_permissions')}</h2>
    <p class="muted">${t('portal_permissions_hint')}</p>
    <${Banner} error=${problem} />
    <div class="permissions">${PERMISSIONS.map(name => {
      const chosen = overrides[name] === true ? 'on' : overrides[name] === false ? 'off' : 'default';
      return html`<${Field} key=${name} name=${'perm-' + name} label=${t('perm_' + name)}
          hint=${t(effective[name] === false ? 'perm_effective_off' : 'perm_effective_on')}>${props => html`<select ...${props}
          data-permission=${name} value=${chosen} onChange=${e => change(name, e.target.value)}>
        <option value="default">${t('perm_default')}</option>
        <option value="on">${t('perm_on')}</option>
        <option value="off">${t('perm_off')}</option>
      </select>`}<//>`;
    })}</div>
  </section>`;
}

/** The account's default permissions in Settings → Kundenportal: one checkbox each. */
export function DefaultPermissions({ values, onChange }) {
  const current = values || {};
  return html`<fieldset class="permissions-defaults"><legend>${t('portal_default_permissions')}</legend>
    ${PERMISSIONS.map(name => html`<label class="check" key=${name}><input type="checkbox" data-permission=${name}
      checked=${current[name] !== false} onChange=${e => onChange({ ...current, [name]: e.target.checked })} /> ${t('perm_' + name)}</label>`)}
  </fieldset>`;
}

// --- messages ----------------------------------------------------------------------------------------------

/** The thread with the customer (oldest first); opening it marks the customer's messages read. */
export function Messages({ customer, reload }) {
  const thread = useLoad(() => api('GET', customerPath(customer, '/messages?limit=100')), [customer.id]);
  const [body, setBody] = useState('');
  const [error, setError] = useState(null);
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (thread.data && customer.unread_messages) {
      api('POST', customerPath(customer, '/messages/read')).then(reload, () => {});
    }
  }, [thread.data]);
  const send = async event => {
    event.preventDefault();
    if (!body.trim()) { setError(t('message_empty')); event.target.querySelector('textarea').focus(); return; }
    setBusy(true); setError(null); setProblem(null);
    try {
      await api('POST', customerPath(customer, '/messages'), { body: body.trim() });
      setBody(''); announce(t('message_sent')); thread.reload();
    } catch (failure) {
      if (failure instanceof ApiError && failure.details.length) setError(failure.details[0].message); else setProblem(failure);
    }
    setBusy(false);
  };
  const items = thread.data ? [...thread.data.items].reverse() : [];
  return html`<section class="card messages" aria-labelledby="messages-h"><h2 id="messages-h">${t('messages')}</h2>
    <${Banner} error=${thread.error || problem} onRetry=${thread.reload} />
    ${!thread.data && !thread.error && html`<p role="status">${t('loading')}</p>`}
    ${thread.data && !items.length && html`<p class="muted">${t('messages_none')}</p>`}
    ${items.length > 0 && html`<ol class="thread">${items.map(m => html`<li key=${m.id} data-message=${m.id}
        class=${'message-item ' + (m.author === 'staff' ? 'from-staff' : 'from-customer')}>
      <p class="muted"><strong>${m.author === 'staff' ? (m.author_name || t('message_staff')) : customer.name}</strong> · <time datetime=${m.at}>${formatDateTime(m.at)}</time></p>
      <p class="pre">${m.body}</p></li>`)}</ol>`}
    <form class="form" onSubmit=${send} novalidate>
      <${Field} label=${t('message_to', { name: customer.name })} name="body" error=${error}>${props => html`<textarea ...${props}
        rows="3" maxlength="5000" value=${body} onInput=${e => { setBody(e.target.value); setError(null); }}></textarea>`}<//>
      <div class="actions"><button type="submit" class="button button-primary" disabled=${busy}>${t('message_send')}</button></div>
    </form>
  </section>`;
}

/** The number of unread customer messages, for a tab or a list row. */
export function UnreadBadge({ count }) {
  if (!count) return null;
  return html`<span class="badge badge-unread" title=${t('unread_n', { n: formatNumber(count) })}>
    <span aria-hidden="true">${formatNumber(count)}</span><span class="sr-only">${t('unread_n', { n: formatNumber(count) })}</span></span>`;
}

// --- bulk on/off -------------------------------------------------------------------------------------------

const POLL_MS = 1000;
const finished = job => job.status === 'done' || job.status === 'failed';

/** The portal on or off for the selected customers, a group or everyone (`POST /customers/portal`, a job). */
export function PortalBulk({ selected, groups, onClose, onFinished }) {
  const ids = Object.keys(selected);
  const [values, setValues] = useState({ enabled: true, to: ids.length ? 'selected' : 'all', group: groups[0] ? groups[0].id : '' });
  const [problem, setProblem] = useState(null);
  const [job, setJob] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (name, value) => setValues(v => ({ ...v, [name]: value }));
  const submit = async event => {
    event.preventDefault();
    setBusy(true); setProblem(null);
    const body = { enabled: values.enabled };
    if (values.to === 'selected') body.customer_ids = ids;
    else if (values.to === 'group') body.group_id = values.group;
    else body.all = true;
    try { setJob(await api('POST', '/customers/portal', body)); } catch (error) { setBusy(false); setProblem(error); }
  };
  const close = () => { onClose(); if (job) onFinished(); };
  const radio = (name, value, label, disabled) => html`<label class="check"><input type="radio" name=${'portal-bulk-' + name}
    value=${String(value)} checked=${values[name] === value} disabled=${disabled} onChange=${() => set(name, value)} /> ${label}</label>`;
  return html`<${Dialog} title=${t('portal_bulk_title')} onClose=${close}>
    <${Banner} error=${problem} />
    ${job ? html`<${JobProgress} start=${job} label=${t('portal_bulk_title')} />` : html`<form class="form" onSubmit=${submit} novalidate>
      <fieldset><legend>${t('portal_bulk_what')}</legend>
        ${radio('enabled', true, t('portal_bulk_on'))}${radio('enabled', false, t('portal_bulk_off'))}</fieldset>
      <fieldset><legend>${t('portal_bulk_to')}</legend>
        ${radio('to', 'selected', t('portal_bulk_selected', { n: formatNumber(ids.length) }), !ids.length)}
        ${radio('to', 'group', t('portal_bulk_group'), !groups.length)}
        ${radio('to', 'all', t('portal_bulk_all'))}
        ${values.to === 'group' && html`<${Field} label=${t('group')} name="group_id">${props => html`<select ...${props}
          value=${values.group} onChange=${e => set('group', e.target.value)}>${groups.map(g => html`<option value=${g.id}>${g.name}</option>`)}</select>`}<//>`}
      </fieldset>
      <div class="actions">
        <button type="submit" class="button button-primary" disabled=${busy}>${values.enabled ? t('portal_bulk_start_on') : t('portal_bulk_start_off')}</button>
        <button type="button" class="button" onClick=${onClose}>${t('cancel')}</button>
      </div>
    </form>`}
  <//>`;
}

function JobProgress({ start, label }) {
  const [job, setJob] = useState(start);
  const [problem, setProblem] = useState(null);
  useEffect(() => {
    let stopped = false;
    let timer = null;
    const poll = async () => {
      try {
        const current = await api('GET', '/jobs/' + encodeURIComponent(start.id));
        if (stopped) return;
        setJob(current);
        if (!finished(current)) timer = setTimeout(poll, POLL_MS);
      } catch (error) { if (!stopped) setProblem(error); }
    };
    if (!finished(job)) timer = setTimeout(poll, POLL_MS);
    return () => { stopped = true; clearTimeout(timer); };
  }, [start.id]);
  const processed = job.done + job.failed;
  const text = finished(job)
    ? t('portal_bulk_finished', { done: formatNumber(job.done), failed: formatNumber(job.failed) })
    : t('portal_bulk_progress', { n: formatNumber(processed), total: formatNumber(job.total) });
  return html`<div class="bulk-job" data-job=${job.id} data-status=${job.status}>
    <progress max=${Math.max(job.total, 1)} value=${processed} aria-label=${label}></progress>
    <p role="status">${text}</p>
    <${Banner} error=${problem} />
  </div>`;
}
