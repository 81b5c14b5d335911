// Einstellungen → Protokoll (admin): the account's audit log, newest first: filters (user, action, customer, from,
// to), "load more" paging, and the CSV export (a job like the other exports, with its link).
import { useEffect, useState } from './preact-htm.module.js';
import { api, query } from './api.js';
import { formatDateTime, t } from './i18n.js';
import { Banner, Field, announce, html, useLoad } from './ui.js';

const FILTERS = ['actor', 'action', 'customer_id', 'from', 'to'];

export function Audit() {
  const [filters, setFilters] = useState(Object.fromEntries(FILTERS.map(name => [name, ''])));
  const [applied, setApplied] = useState(filters);
  const [pages, setPages] = useState({ items: [], cursor: null, loading: true, error: null });
  const [exported, setExported] = useState(null);
  // Team members by id, so the log shows names (an operator's or a customer's id stays as it is).
  const team = useLoad(() => api('GET', '/users'), []);
  const nameOf = id => ((team.data && team.data.items.find(u => u.id === id)) || { name: id }).name;
  const load = async (cursor, wanted) => {
    setPages(p => ({ ...p, loading: true, error: null }));
    try {
      const page = await api('GET', '/audit' + query({ ...wanted, cursor, limit: 50 }));
      setPages(p => ({ items: cursor ? [...p.items, ...page.items] : page.items, cursor: page.next_cursor, loading: false, error: null }));
      if (cursor) announce(t('audit_more_loaded', { n: page.items.length }));
    } catch (error) { setPages(p => ({ ...p, loading: false, error })); }
  };
  useEffect(() => { load(null, applied); }, [applied]);
  const submit = event => { event.preventDefault(); setApplied({ ...filters }); };
  const runExport = async () => {
    setExported({ status: 'pending' });
    try {
      let job = await api('POST', '/audit/export', Object.fromEntries(Object.entries(applied).filter(([, v]) => v)));
      announce(t('audit_export_started'));
      for (let round = 0; round < 60 && (job.status === 'pending' || job.status === 'running'); round += 1) {
        await new Promise(resolve => setTimeout(resolve, 1000));
        job = await api('GET', '/exports/' + job.id);
      }
      setExported(job);
      announce(job.status === 'done' ? t('audit_export_ready') : t('audit_export_failed'));
    } catch (error) { setExported({ status: 'failed', error }); }
  };
  const set = (name, value) => setFilters(f => ({ ...f, [name]: value }));
  return html`<section class="card" aria-labelledby="audit-h">
    <div class="screen-head"><h2 id="audit-h">${t('set_audit')}</h2>
      <button type="button" class="button" disabled=${exported && exported.status === 'pending'} onClick=${runExport}>${t('audit_export')}</button></div>
    <p class="muted">${t('audit_text')}</p>
    ${exported && exported.status === 'done' && html`<p class="banner banner-info"><a href=${exported.download_url} download>${t('audit_export_download', { name: exported.filename })}</a></p>`}
    ${exported && exported.status === 'failed' && html`<${Banner} error=${exported.error || exported.reason || t('audit_export_failed')} />`}
    <form class="form audit-filters" onSubmit=${submit} role="search" aria-label=${t('audit_filters')}>
      <${Field} label=${t('audit_actor')} name="actor">${props => html`<input ...${props} value=${filters.actor} onInput=${e => set('actor', e.target.value)} />`}<//>
      <${Field} label=${t('audit_action')} name="action" hint=${t('audit_action_hint')}>${props => html`<input ...${props} value=${filters.action} onInput=${e => set('action', e.target.value)} />`}<//>
      <${Field} label=${t('audit_customer')} name="customer_id">${props => html`<input ...${props} value=${filters.customer_id} onInput=${e => set('customer_id', e.target.value)} />`}<//>
      <${Field} label=${t('audit_from')} name="from">${props => html`<input ...${props} type="date" value=${filters.from} onInput=${e => set('from', e.target.value)} />`}<//>
      <${Field} label=${t('audit_to')} name="to">${props => html`<input ...${props} type="date" value=${filters.to} onInput=${e => set('to', e.target.value)} />`}<//>
      <div class="actions"><button type="submit" class="button button-primary">${t('audit_apply')}</button></div>
    </form>
    <${Banner} error=${pages.error} onRetry=${() => load(null, applied)} />
    ${pages.items.length > 0 ? html`<div class="table-wrap" tabindex="0" role="region" aria-label=${t('set_audit')}><table class="table audit" aria-busy=${pages.loading ? 'true' : 'false'}>
      <caption class="sr-only">${t('set_audit')}</caption>
      <thead><tr><th scope="col">${t('audit_at')}</th><th scope="col">${t('audit_actor')}</th><th scope="col">${t('audit_action')}</th>
        <th scope="col">${t('audit_target')}</th><th scope="col">${t('audit_ip')}</th></tr></thead>
      <tbody>${pages.items.map((entry, index) => html`<tr key=${index}>
        <td>${formatDateTime(entry.at)}</td><td class="break">${nameOf(entry.actor)}</td><td>${entry.action}</td>
        <td class="break">${entry.customer_id ? html`<a href=${'#/customers/' + entry.customer_id}>${entry.target}</a>` : entry.target}</td>
        <td>${entry.ip || t('none')}</td></tr>`)}</tbody></table></div>`
    : !pages.loading && !pages.error && html`<p class="muted">${t('audit_none')}</p>`}
    ${pages.cursor && html`<button type="button" class="button" disabled=${pages.loading} onClick=${() => load(pages.cursor, applied)}>${t('more')}</button>`}
  </section>`;
}
