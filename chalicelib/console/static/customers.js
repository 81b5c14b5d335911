// Kunden: search as you type, status chips, group filter, the table with cursor paging, "Kunde hinzufügen".
import { useEffect, useRef, useState } from './preact-htm.module.js';
import { api, query, ApiError } from './api.js';
import { formatDate, formatNumber, t } from './i18n.js';
import {
  AttributeInput, Banner, Dialog, Field, Lazy, StatusBadge, announce, attributeValue, html, href, navigate, replaceRoute, useLoad,
} from './ui.js';
import { PortalBulk, UnreadBadge } from './customer-portal.js';
import { usePermissions } from './permissions.js';

const STATUSES = ['open', 'partial', 'complete'];
const DUES = ['overdue', 'this_week'];
const PAGE = 25;

export function CustomerList({ route }) {
  const q = route.params.get('q') || '';
  const status = route.params.get('status') || '';
  const group = route.params.get('group') || '';
  const due = route.params.get('due') || '';
  const [typed, setTyped] = useState(q);
  const [adding, setAdding] = useState(false);
  const [notice, setNotice] = useState(null);
  // Customers ticked for bulk sending, {id: name}; kept while the search and the filters change.
  const [selected, setSelected] = useState({});
  const [bulk, setBulk] = useState(false);
  const [portalBulk, setPortalBulk] = useState(false);
  const may = usePermissions();
  const timer = useRef(null);
  const groups = useLoad(() => api('GET', '/groups?limit=200'), []);
  const page = useLoad(() => api('GET', '/customers' + query({ q, status, group, due, limit: PAGE })), [q, status, group, due]);
  const [more, setMore] = useState({ items: [], cursor: undefined });
  useEffect(() => setMore({ items: [], cursor: undefined }), [page.data]);

  const items = page.data ? [...page.data.items, ...more.items] : [];
  const cursor = more.cursor === undefined ? page.data && page.data.next_cursor : more.cursor;
  const filtered = Boolean(q || status || group || due);
  const params = changes => ({ q, status, group, due, ...changes });

  useEffect(() => { if (page.data && !page.loading) announce(t('n_customers', { n: items.length })); }, [page.data]);

  const onSearch = value => {
    setTyped(value);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => replaceRoute(['customers'], params({ q: value.trim() })), 250);
  };
  const select = (customer, on) => setSelected(previous => {
    const next = { ...previous };
    if (on) next[customer.id] = customer.name; else delete next[customer.id];
    return next;
  });
  const allShown = items.length > 0 && items.every(c => selected[c.id]);
  const selectShown = on => items.forEach(c => select(c, on));
  const selectedCount = Object.keys(selected).length;
  const loadMore = async () => {
    const next = await api('GET', '/customers' + query({ q, status, group, due, limit: PAGE, cursor }));
    setMore(previous => ({ items: [...previous.items, ...next.items], cursor: next.next_cursor }));
  };

  return html`<div class="screen">
    <div class="screen-head">
      <h1>${t('customers_title')}</h1>
      <button type="button" class="button button-primary" onClick=${() => setAdding(true)}>${t('add_customer')}</button>
    </div>
    <div class="filters" role="search">
      <div class="field search"><label for="search">${t('search')}</label>
        <input id="search" type="search" value=${typed} placeholder=${t('search_placeholder')} autocomplete="off"
          onInput=${e => onSearch(e.target.value)} /></div>
      <div class="chips" role="group" aria-label=${t('status')}>
        ${['', ...STATUSES].map(value => html`<button type="button" class=${'chip' + (status === value ? ' chip-on' : '')}
            aria-pressed=${status === value ? 'true' : 'false'} onClick=${() => navigate(['customers'], params({ status: value }))}>
          ${value ? t('status_' + value) : t('status_all')}</button>`)}
      </div>
      <div class="field"><label for="due-filter">${t('due_filter')}</label>
        <select id="due-filter" value=${due} onChange=${e => navigate(['customers'], params({ due: e.target.value }))}>
          <option value="">${t('due_any')}</option>
          ${DUES.map(value => html`<option value=${value}>${t('due_' + value)}</option>`)}
        </select></div>
      <div class="field"><label for="group-filter">${t('group')}</label>
        <select id="group-filter" value=${group} onChange=${e => navigate(['customers'], params({ group: e.target.value }))}>
          <option value="">${t('all_groups')}</option>
          ${(groups.data ? groups.data.items : []).map(g => html`<option value=${g.id}>${g.name}</option>`)}
        </select></div>
    </div>
    ${notice && html`<${Banner} kind="ok" error=${notice} />`}
    ${route.params.get('deleted') && html`<${Banner} kind="ok" error=${t('customer_deleted', { name: route.params.get('deleted') })} />`}
    <${Banner} error=${page.error || groups.error} onRetry=${() => { page.reload(); groups.reload(); }} />
    ${page.loading && !page.data && html`<p role="status">${t('loading')}</p>`}
    ${page.data && items.length === 0 && !cursor && (filtered
      ? html`<p class="empty">${t('no_match')}</p>`
      : html`<section class="empty card" aria-labelledby="empty-title"><h2 id="empty-title">${t('empty_title')}</h2>
          <ol><li>${t('empty_1')}</li><li>${t('empty_2')}</li><li>${t('empty_3')}</li></ol></section>`)}
    ${items.length > 0 && html`<div class="bulk-bar" role="group" aria-label=${t('bulk_title')}>
      <label class="check"><input type="checkbox" checked=${allShown} onChange=${e => selectShown(e.target.checked)} /> ${t('bulk_select_page')}</label>
      <span class="muted" aria-live="polite">${t('bulk_selected', { n: formatNumber(selectedCount) })}</span>
      ${selectedCount > 0 && html`<button type="button" class="button" onClick=${() => setSelected({})}>${t('bulk_clear')}</button>`}
      ${may('links_send') && html`<button type="button" class="button" onClick=${() => setBulk(true)}>${t('bulk_open')}</button>`}
      <button type="button" class="button" onClick=${() => setPortalBulk(true)}>${t('portal_bulk_open')}</button>
    </div>`}
    ${items.length > 0 && html`<div class="table-wrap"><table class="table customers" aria-busy=${page.loading ? 'true' : 'false'}>
      <caption class="sr-only">${t('customers_title')}</caption>
      <thead><tr><th scope="col">${t('col_name')}</th><th scope="col">${t('status')}</th><th scope="col" class="num">${t('col_links')}</th>
        <th scope="col" class="num">${t('col_files')}</th><th scope="col">${t('col_last_upload')}</th></tr></thead>
      <tbody>${items.map(c => html`<tr key=${c.id} class="row-link" onClick=${e => { if (!['A', 'INPUT', 'LABEL'].includes(e.target.tagName)) navigate(['customers', c.id]); }}>
        <td><input type="checkbox" class="select" checked=${Boolean(selected[c.id])} aria-label=${t('bulk_select', { name: c.name })}
          onChange=${e => select(c, e.target.checked)} /> <a href=${href(['customers', c.id])}>${c.name}</a> <${UnreadBadge} count=${c.unread_messages} />${c.company && html`<div class="muted">${c.company}</div>`}</td>
        <td><${StatusBadge} status=${c.status} /></td>
        <td class="num" data-label=${t('col_links')}>${formatNumber(c.active_links_count ?? c.links_count)}</td>
        <td class="num" data-label=${t('col_files')}>${formatNumber(c.files_count)}</td>
        <td data-label=${t('col_last_upload')}>${formatDate(c.last_upload_at)}</td></tr>`)}</tbody>
    </table></div>`}
    ${cursor && html`<button type="button" class="button" onClick=${loadMore}>${t('more')}</button>`}
    ${bulk && html`<${Lazy} load=${() => import('./bulk.js')} name="BulkSend" props=${{ selected, groups: groups.data ? groups.data.items : [],
      onClose: () => setBulk(false), onFinished: () => { setSelected({}); page.reload(); } }} />`}
    ${portalBulk && html`<${PortalBulk} selected=${selected} groups=${groups.data ? groups.data.items : []} onClose=${() => setPortalBulk(false)}
      onFinished=${() => { setSelected({}); page.reload(); }} />`}
    ${adding && html`<${NewCustomer} groups=${groups.data ? groups.data.items : []} onClose=${() => setAdding(false)}
      onCreated=${customer => { setAdding(false); setNotice(t('customer_created', { name: customer.name })); announce(t('customer_created', { name: customer.name })); page.reload(); }} />`}
  </div>`;
}

function NewCustomer({ groups, onClose, onCreated }) {
  const attributes = useLoad(() => api('GET', '/attributes?limit=200'), []);
  const [values, setValues] = useState({ name: '', email: '', company: '', phone: '', notes: '', groups: groups.filter(g => g.is_default).map(g => g.id), attributes: {} });
  const [errors, setErrors] = useState({});
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  // Display texts take no value, and a signature is drawn by the customer in the portal.
  const fields = (attributes.data ? attributes.data.items : []).filter(a => a.scope === 'customer' && !['file', 'info', 'signature'].includes(a.type));
  // The default group is preselected, also when the groups arrive after the dialog opened.
  const defaults = groups.filter(g => g.is_default).map(g => g.id).join(',');
  useEffect(() => { if (defaults) setValues(v => (v.groups.length ? v : { ...v, groups: defaults.split(',') })); }, [defaults]);
  const set = (name, value) => setValues(previous => ({ ...previous, [name]: value }));
  const setAttribute = (id, value) => setValues(previous => ({ ...previous, attributes: { ...previous.attributes, [id]: value } }));

  const submit = async event => {
    event.preventDefault();
    setBusy(true); setProblem(null); setErrors({});
    const body = { name: values.name.trim(), notes: values.notes, groups: values.groups, attributes: {} };
    for (const key of ['email', 'company', 'phone']) if (values[key].trim()) body[key] = values[key].trim();
    for (const attribute of fields) {
      const value = attributeValue(attribute, values.attributes[attribute.id]);
      if (value !== null) body.attributes[attribute.id] = value;
    }
    try {
      onCreated(await api('POST', '/customers', body));
    } catch (error) {
      setBusy(false);
      if (error instanceof ApiError && error.details.length) {
        setErrors(error.fields());
        setProblem(t('check_fields'));
        setTimeout(() => { const bad = document.querySelector('.dialog [aria-invalid="true"]'); if (bad) bad.focus(); }, 0);
      } else setProblem(error);
    }
  };
  const text = (name, type = 'text', extra = {}) => html`<${Field} label=${t(name)} name=${name} error=${errors[name]} required=${name === 'name'} ...${extra}>
    ${props => html`<input ...${props} type=${type} value=${values[name]} onInput=${e => set(name, e.target.value)} />`}<//>`;

  return html`<${Dialog} title=${t('add_customer')} onClose=${onClose}>
    <form class="form" onSubmit=${submit} novalidate>
      <${Banner} error=${problem} />
      ${text('name')}${text('email', 'email', { hint: t('email_tip') })}${text('company')}${text('phone', 'tel')}
      <${Field} label=${t('notes')} name="notes" error=${errors.notes}>${props => html`<textarea ...${props} rows="2" value=${values.notes} onInput=${e => set('notes', e.target.value)}></textarea>`}<//>
      ${groups.length > 0 && html`<fieldset class="checks"><legend>${t('groups')}</legend>
        ${groups.map(g => html`<label><input type="checkbox" checked=${values.groups.includes(g.id)}
          onChange=${e => set('groups', e.target.checked ? [...values.groups, g.id] : values.groups.filter(id => id !== g.id))} /> ${g.name}</label>`)}
      </fieldset>`}
      ${fields.map(attribute => html`<${Field} key=${attribute.id} name=${'attributes.' + attribute.id} label=${attribute.name} required=${attribute.required}
          error=${errors['attributes.' + attribute.id] || errors[attribute.id]}>
        ${props => html`<${AttributeInput} attribute=${attribute} value=${values.attributes[attribute.id]} props=${props} onInput=${v => setAttribute(attribute.id, v)} />`}<//>`)}
      <div class="actions">
        <button type="submit" class="button button-primary" disabled=${busy}>${busy ? t('saving') : t('add_customer')}</button>
        <button type="button" class="button" onClick=${onClose}>${t('cancel')}</button>
      </div>
    </form>
  <//>`;
}
