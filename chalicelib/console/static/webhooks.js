// Einstellungen → Webhooks (admin): endpoints with their events, the signing secret shown once, a test ping,
// switching on and off, and each endpoint's delivery attempts (newest first, paged).
import { useState } from './preact-htm.module.js';
import { api, ApiError } from './api.js';
import { formatDateTime, t } from './i18n.js';
import { Banner, Field, announce, html, useLoad } from './ui.js';

export const EVENT_TYPES = ['customer.created', 'customer.updated', 'customer.deleted', 'customer.status_changed',
  'file.received', 'file.reviewed', 'file.rejected', 'link.completed', 'export.done'];

export function Webhooks() {
  const hooks = useLoad(() => api('GET', '/webhooks'), []);
  const [problem, setProblem] = useState(null);
  const [secret, setSecret] = useState(null);
  const [open, setOpen] = useState(null);
  const act = async (action, done) => {
    setProblem(null);
    try { await action(); hooks.reload(); if (done) announce(done); } catch (error) { setProblem(error); }
  };
  const remove = hook => {
    if (confirm(t('wh_confirm_delete', { url: hook.url }))) act(() => api('DELETE', '/webhooks/' + hook.id), t('wh_deleted'));
  };
  return html`<section class="card" aria-labelledby="webhooks-h"><h2 id="webhooks-h">${t('set_webhooks')}</h2>
    <p>${t('wh_text')}</p>
    <${Banner} error=${problem || hooks.error} onRetry=${hooks.reload} />
    ${secret && html`<div class="banner banner-info"><div><p>${t('wh_secret_once')}</p>
      <input class="url-once" readonly value=${secret} aria-label=${t('wh_secret')} size="50" /></div></div>`}
    ${hooks.data && (hooks.data.items.length ? html`<ul class="order-list">${hooks.data.items.map(hook => html`<li key=${hook.id} class="webhook">
      <div class="grow">
        <strong class="break">${hook.url}</strong>
        <div>${hook.enabled ? html`<span class="badge badge-complete">${t('wh_enabled')}</span>`
          : html`<span class="badge badge-open">${hook.disabled_reason === 'failing' ? t('wh_disabled_failing') : t('wh_disabled')}</span>`}
          ${hook.failing_since && html` <span class="badge badge-partial">${t('wh_failing_since', { at: formatDateTime(hook.failing_since) })}</span>`}</div>
        <p class="muted">${hook.events.join(', ')}</p>
        ${open === hook.id && html`<${Deliveries} hook=${hook} />`}
      </div>
      <button type="button" class="button" onClick=${() => act(() => api('POST', '/webhooks/' + hook.id + '/test'), t('wh_test_sent'))}>${t('wh_test')}<span class="sr-only">: ${hook.url}</span></button>
      <button type="button" class="button" aria-expanded=${open === hook.id} onClick=${() => setOpen(open === hook.id ? null : hook.id)}>${t('wh_deliveries')}<span class="sr-only">: ${hook.url}</span></button>
      <button type="button" class="button" onClick=${() => act(() => api('PATCH', '/webhooks/' + hook.id, { enabled: !hook.enabled }), t('saved'))}>${hook.enabled ? t('wh_disable') : t('wh_enable')}<span class="sr-only">: ${hook.url}</span></button>
      <button type="button" class="button" onClick=${() => remove(hook)}>${t('delete')}<span class="sr-only">: ${hook.url}</span></button>
    </li>`)}</ul>` : html`<p class="muted">${t('wh_none')}</p>`)}
    <${NewWebhook} onCreated=${created => { setSecret(created.secret); hooks.reload(); }} />
  </section>`;
}

function NewWebhook({ onCreated }) {
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState(['customer.created', 'customer.updated']);
  const [errors, setErrors] = useState({});
  const [problem, setProblem] = useState(null);
  const toggle = (type, on) => setEvents(list => (on ? [...list, type] : list.filter(e => e !== type)));
  const add = async event => {
    event.preventDefault();
    setErrors({}); setProblem(null);
    try {
      const created = await api('POST', '/webhooks', { url: url.trim(), events });
      setUrl('');
      announce(t('wh_created'));
      onCreated(created);
    } catch (error) {
      if (error instanceof ApiError && error.details.length) { setErrors(error.fields()); setProblem(t('check_fields')); } else setProblem(error);
    }
  };
  return html`<form class="form" onSubmit=${add} novalidate>
    <h3>${t('wh_add')}</h3>
    <${Banner} error=${problem} />
    <${Field} label=${t('wh_url')} name="url" error=${errors.url} required>${props => html`<input ...${props} type="url" placeholder="https://" value=${url} onInput=${e => setUrl(e.target.value)} />`}<//>
    <fieldset><legend>${t('wh_events')}</legend>
      ${errors.events && html`<p class="field-error" role="alert">${errors.events}</p>`}
      ${EVENT_TYPES.map(type => html`<label class="check" key=${type}><input type="checkbox" checked=${events.includes(type)} onChange=${e => toggle(type, e.target.checked)} /> ${type}</label>`)}
    </fieldset>
    <button type="submit" class="button button-primary">${t('wh_add')}</button>
  </form>`;
}

function Deliveries({ hook }) {
  const [pages, setPages] = useState([]);
  const first = useLoad(() => api('GET', '/webhooks/' + hook.id + '/deliveries?limit=20'), [hook.id]);
  const [problem, setProblem] = useState(null);
  const all = first.data ? [first.data, ...pages] : [];
  const items = all.flatMap(page => page.items);
  const cursor = all.length ? all[all.length - 1].next_cursor : null;
  const more = async () => {
    setProblem(null);
    try { const page = await api('GET', '/webhooks/' + hook.id + '/deliveries?limit=20&cursor=' + encodeURIComponent(cursor)); setPages(p => [...p, page]); } catch (error) { setProblem(error); }
  };
  return html`<div class="deliveries">
    <${Banner} error=${problem || first.error} onRetry=${first.reload} />
    ${first.data && (items.length ? html`<table><caption class="sr-only">${t('wh_deliveries')}: ${hook.url}</caption>
      <thead><tr><th scope="col">${t('wh_at')}</th><th scope="col">${t('wh_event')}</th><th scope="col">${t('wh_attempt')}</th><th scope="col">${t('wh_result')}</th></tr></thead>
      <tbody>${items.map(a => html`<tr key=${a.id}><td>${formatDateTime(a.at)}</td><td>${a.event}</td><td>${a.attempt}</td>
        <td><span class=${'badge ' + (a.ok ? 'badge-complete' : 'badge-open')}>${a.status_code || t('wh_no_answer')}</span>${a.error && html` <span class="muted">${a.error}</span>`}</td></tr>`)}</tbody>
    </table>` : html`<p class="muted">${t('wh_no_deliveries')}</p>`)}
    ${cursor && html`<button type="button" class="button" onClick=${more}>${t('wh_more')}</button>`}
  </div>`;
}
