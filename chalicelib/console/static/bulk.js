// Bulk sending: one template to the customers selected in the list or to a whole group (`POST /requests/bulk`).
// Each customer gets their own link (and mail); the job's progress is polled (`GET /jobs/{id}`) into a progress
// bar with a live text, and every customer it could not serve is listed with the reason.
import { useEffect, useRef, useState } from './preact-htm.module.js';
import { api, ApiError } from './api.js';
import { formatNumber, t } from './i18n.js';
import { Banner, Dialog, Field, html, useLoad } from './ui.js';

const POLL_MS = 1000;
const finished = job => job.status === 'done' || job.status === 'failed';
// getRandomValues, unlike randomUUID, also exists on plain http (a local stack opened by its LAN address).
const randomKey = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), byte => byte.toString(16).padStart(2, '0')).join('');

/** `selected`: {id: name} of the customers ticked in the list; `groups`: the account's groups. */
export function BulkSend({ selected, groups, onClose, onFinished }) {
  const templates = useLoad(() => api('GET', '/templates'), []);
  const ids = Object.keys(selected);
  const [values, setValues] = useState({ to: ids.length ? 'selected' : 'group', group: groups[0] ? groups[0].id : '', template: '', due: '', send: true });
  const [errors, setErrors] = useState({});
  const [problem, setProblem] = useState(null);
  const [job, setJob] = useState(null);
  const [busy, setBusy] = useState(false);
  // One key per dialog: sending again after a lost answer returns the same job instead of starting a second one.
  const key = useRef(null);
  if (key.current === null) key.current = randomKey();
  const set = (name, value) => setValues(v => ({ ...v, [name]: value }));
  const list = templates.data ? templates.data.items : [];
  const template = values.template || (list[0] && list[0].id) || '';

  const submit = async event => {
    event.preventDefault();
    setBusy(true); setErrors({}); setProblem(null);
    const body = { template_id: template, send_email: values.send };
    if (values.to === 'group') body.group_id = values.group; else body.customer_ids = ids;
    if (values.due) body.due_at = new Date(values.due + 'T23:59:59').toISOString();
    try {
      const started = await api('POST', '/requests/bulk', body, { 'Idempotency-Key': key.current });
      setJob(started);
    } catch (error) {
      setBusy(false);
      if (error instanceof ApiError && error.details.length) { setErrors(error.fields()); setProblem(t('check_fields')); } else setProblem(error);
    }
  };

  // Once a job started, closing clears the selection and reloads the list (the job goes on without the dialog).
  return html`<${Dialog} title=${t('bulk_title')} onClose=${() => { onClose(); if (job) onFinished(); }}>
    <${Banner} error=${problem || templates.error} onRetry=${templates.reload} />
    ${job ? html`<${Progress} job=${job} onChange=${setJob} names=${selected} />` : html`<form class="form" onSubmit=${submit} novalidate>
      <p class="muted">${t('bulk_hint')}</p>
      <fieldset><legend>${t('bulk_to')}</legend>
        <label class="check"><input type="radio" name="bulk-to" value="selected" checked=${values.to === 'selected'} disabled=${!ids.length}
          onChange=${() => set('to', 'selected')} /> ${t('bulk_to_selected', { n: formatNumber(ids.length) })}</label>
        <label class="check"><input type="radio" name="bulk-to" value="group" checked=${values.to === 'group'} disabled=${!groups.length}
          onChange=${() => set('to', 'group')} /> ${t('bulk_to_group')}</label>
        ${errors.customer_ids && html`<p class="field-error">${errors.customer_ids}</p>`}
        ${values.to === 'group' && html`<${Field} label=${t('group')} name="group_id" error=${errors.group_id}>${props => html`<select ...${props}
          value=${values.group} onChange=${e => set('group', e.target.value)}>${groups.map(g => html`<option value=${g.id}>${g.name}</option>`)}</select>`}<//>`}
      </fieldset>
      ${templates.data && !list.length && html`<p class="banner banner-info">${t('bulk_no_templates')} <a href="#/settings/templates">${t('set_templates')}</a></p>`}
      ${list.length > 0 && html`<${Field} label=${t('bulk_template')} name="template_id" error=${errors.template_id}>${props => html`<select ...${props}
        value=${template} onChange=${e => set('template', e.target.value)}>${list.map(x => html`<option value=${x.id}>${x.name}</option>`)}</select>`}<//>`}
      <${Field} label=${t('bulk_due')} name="due_at" error=${errors.due_at}>${props => html`<input ...${props} type="date" value=${values.due}
        onInput=${e => set('due', e.target.value)} />`}<//>
      <label class="check"><input type="checkbox" checked=${values.send} onChange=${e => set('send', e.target.checked)} /> ${t('bulk_send_email')}</label>
      <div class="actions">
        <button type="submit" class="button button-primary" disabled=${busy || !template || (values.to === 'group' && !values.group)}>${t('bulk_start')}</button>
        <button type="button" class="button" onClick=${onClose}>${t('cancel')}</button>
      </div>
    </form>`}
  <//>`;
}

/** The job until it is done: a progress bar, its text in a live region, then the customers it failed for. */
function Progress({ job, onChange, names }) {
  const [problem, setProblem] = useState(null);
  const [attempt, setAttempt] = useState(0);
  const text = useRef(null);
  // Names of the customers it failed for that the list did not show (a group's members), read once it is done.
  const [found, setFound] = useState({});
  useEffect(() => {
    const unknown = (job.failures || []).map(f => f.customer_id).filter(id => !names[id] && !(id in found)).slice(0, 25);
    if (!finished(job) || !unknown.length) return;
    Promise.all(unknown.map(id => api('GET', '/customers/' + encodeURIComponent(id)).then(c => [id, c.name], () => [id, null])))
      .then(pairs => setFound(previous => ({ ...previous, ...Object.fromEntries(pairs) })));
  }, [job.status]);
  // The form that had the focus is gone: the progress text takes it, so the keyboard stays in the dialog.
  useEffect(() => { if (text.current) text.current.focus(); }, []);
  useEffect(() => {
    let stopped = false;
    let timer = null;
    const poll = async () => {
      try {
        const current = await api('GET', '/jobs/' + encodeURIComponent(job.id));
        if (stopped) return;
        onChange(current);
        if (!finished(current)) timer = setTimeout(poll, POLL_MS);
      } catch (error) { if (!stopped) setProblem(error); }
    };
    setProblem(null);
    if (!finished(job)) timer = setTimeout(poll, attempt ? 0 : POLL_MS);
    return () => { stopped = true; clearTimeout(timer); };
  }, [job.id, attempt]);
  const processed = job.done + job.failed;
  const failures = job.failures || [];
  const summary = finished(job)
    ? t(job.status === 'done' ? 'bulk_finished' : 'bulk_failed_job', { done: formatNumber(job.done), failed: formatNumber(job.failed) })
      + (job.reason ? ' (' + job.reason + ')' : '')
    : t('bulk_progress', { n: formatNumber(processed), total: formatNumber(job.total), failed: formatNumber(job.failed) });
  const reason = code => { const label = t('bulk_code_' + code); return label === 'bulk_code_' + code ? code : label; };
  return html`<div class="bulk-job" data-job=${job.id} data-status=${job.status}>
    <progress id="bulk-progress" max=${Math.max(job.total, 1)} value=${processed} aria-label=${t('bulk_title')}></progress>
    <p class="bulk-progress-text" role="status" tabindex="-1" ref=${text}>${summary}</p>
    <${Banner} error=${problem} onRetry=${() => setAttempt(n => n + 1)} />
    ${failures.length > 0 && html`<h3>${t('bulk_failures')}</h3>
      <ul class="files bulk-failures">${failures.map(f => html`<li key=${f.customer_id} data-customer=${f.customer_id} data-code=${f.code}>
        <span class="file-name"><strong>${names[f.customer_id] || found[f.customer_id] || f.customer_id}</strong>: ${reason(f.code)}</span></li>`)}</ul>
      ${job.failed > failures.length && html`<p class="muted">${t('bulk_more_failures', { n: formatNumber(job.failed - failures.length) })}</p>`}`}
  </div>`;
}
