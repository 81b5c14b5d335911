// Einstellungen (admin): Konto & Branding with a live portal preview, Kundenportal, Gruppen, Attribute &
// Upload-Bereiche (reorder by drag or by keyboard), Exporte, Neukunden-Link.
import { useEffect, useState } from './preact-htm.module.js';
import { api, postToBucket, ApiError } from './api.js';
import { formatBytes, formatDateTime, formatNumber, t } from './i18n.js';
import { Banner, Dialog, Field, Lazy, announce, html, href, useLoad } from './ui.js';
import { Webhooks } from './webhooks.js';
import { DefaultPermissions } from './customer-portal.js';
import { MEMBER_SETTINGS, usePermissions } from './permissions.js';

const SECTIONS = ['account', 'portal', 'groups', 'attributes', 'exports', 'intake', 'templates', 'webhooks', 'team', 'audit'];
const LABELS = { account: 'set_account', portal: 'set_portal', groups: 'set_groups', attributes: 'set_attributes', exports: 'set_exports', intake: 'set_intake', templates: 'set_templates', webhooks: 'set_webhooks', team: 'set_team', audit: 'set_audit' };

export function Settings({ section, session }) {
  const account = useLoad(() => api('GET', '/account'), []);
  const may = usePermissions();
  // Members see the screens their switches allow; the API refuses the rest anyway.
  const sections = session.role === 'admin' ? SECTIONS : SECTIONS.filter(name => MEMBER_SETTINGS[name] && may(MEMBER_SETTINGS[name]));
  const current = sections.includes(section) ? section : sections[0];
  if (!current) return html`<div class="screen"><h1>${t('settings_title')}</h1><p>${t('admin_only')}</p></div>`;
  return html`<div class="screen">
    <h1>${t('settings_title')}</h1>
    <div class="settings-layout">
      <nav class="settings-nav" aria-label=${t('settings_title')}><ul>
        ${sections.map(name => html`<li><a href=${href(['settings', name])} aria-current=${current === name ? 'page' : undefined}>${t(LABELS[name])}</a></li>`)}
      </ul></nav>
      <div>
        <${Banner} error=${account.error} onRetry=${account.reload} />
        ${account.data && current === 'account' && html`<${AccountForm} account=${account.data} onSaved=${account.setData} reload=${account.reload} />`}
        ${account.data && current === 'portal' && html`<${PortalForm} account=${account.data} onSaved=${account.setData} />`}
        ${current === 'groups' && html`<${Groups} />`}
        ${current === 'attributes' && html`<${Attributes} />`}
        ${account.data && current === 'exports' && html`<${Exports} account=${account.data} onSaved=${account.setData} schedule=${session.role === 'admin'} />`}
        ${account.data && current === 'intake' && html`<${Intake} account=${account.data} reload=${account.reload} />`}
        ${current === 'templates' && html`<${Lazy} load=${() => import('./templates.js')} name="Templates" />`}
        ${current === 'webhooks' && html`<${Webhooks} />`}
        ${current === 'team' && html`<${Lazy} load=${() => import('./team.js')} name="Team" />`}
        ${current === 'audit' && html`<${Lazy} load=${() => import('./audit.js')} name="Audit" />`}
      </div>
    </div>
  </div>`;
}

function useForm(initial) {
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState({});
  const [problem, setProblem] = useState(null);
  const [notice, setNotice] = useState(null);
  const run = async action => {
    setErrors({}); setProblem(null); setNotice(null);
    try {
      const result = await action();
      setNotice(t('saved')); announce(t('saved'));
      return result;
    } catch (error) {
      if (error instanceof ApiError && error.details.length) { setErrors(error.fields()); setProblem(t('check_fields')); } else setProblem(error);
      return null;
    }
  };
  return { values, setValues, set: (name, value) => setValues(v => ({ ...v, [name]: value })), errors, problem, notice, run };
}

function AccountForm({ account, onSaved, reload }) {
  const b = account.branding;
  const form = useForm({ name: account.name, notification_email: account.notification_email || '', company_name: b.company_name,
    contact_email: b.contact_email, contact_phone: b.contact_phone, address: b.address, description: b.description });
  const v = form.values;
  const [logo, setLogo] = useState({ busy: false, progress: 0, error: null });
  const save = async event => {
    event.preventDefault();
    const updated = await form.run(() => api('PATCH', '/account', {
      name: v.name, notification_email: v.notification_email.trim() || null,
      branding: { company_name: v.company_name, contact_email: v.contact_email, contact_phone: v.contact_phone, address: v.address, description: v.description },
    }));
    if (updated) onSaved(updated);
  };
  const upload = async file => {
    setLogo({ busy: true, progress: 0, error: null });
    try {
      const presigned = await api('POST', '/account/logo', { filename: file.name, size: file.size, content_type: file.type });
      await postToBucket(presigned, file, progress => setLogo(l => ({ ...l, progress })));
      onSaved(await api('PUT', '/account/logo', { logo_id: presigned.logo_id }));
      setLogo({ busy: false, progress: 100, error: null });
      announce(t('logo_saved'));
      reload();
    } catch (error) { setLogo({ busy: false, progress: 0, error }); }
  };
  const removeLogo = async () => {
    try { await api('DELETE', '/account/logo'); reload(); } catch (error) { setLogo({ busy: false, progress: 0, error }); }
  };
  const input = (name, type = 'text', field = name) => html`<${Field} label=${t(name)} name=${field} error=${form.errors[field] || form.errors['branding.' + name]}>
    ${props => html`<input ...${props} type=${type} value=${v[name]} onInput=${e => form.set(name, e.target.value)} />`}<//>`;
  return html`<div class="grid-2">
    <form class="card form" onSubmit=${save} novalidate aria-labelledby="account-h">
      <h2 id="account-h">${t('set_account')}</h2>
      <p class="muted">${t('usage', { used: formatBytes(account.used_bytes), quota: formatBytes(account.quota_bytes), n: formatNumber(account.customers_count) })}</p>
      <${Banner} error=${form.problem} />${form.notice && html`<${Banner} kind="ok" error=${form.notice} />`}
      ${input('account_name', 'text', 'name')}
      ${input('notification_email', 'email')}
      ${input('company_name')}${input('contact_email', 'email')}${input('contact_phone', 'tel')}
      <${Field} label=${t('address')} name="address" error=${form.errors['branding.address']}>${props => html`<textarea ...${props} rows="2" value=${v.address} onInput=${e => form.set('address', e.target.value)}></textarea>`}<//>
      <${Field} label=${t('description')} name="description" error=${form.errors['branding.description']}>${props => html`<textarea ...${props} rows="3" value=${v.description} onInput=${e => form.set('description', e.target.value)}></textarea>`}<//>
      <div class="field"><label for="logo-file">${t('logo')}</label>
        <input id="logo-file" type="file" accept="image/png,image/jpeg,image/webp,image/gif" onChange=${e => e.target.files[0] && upload(e.target.files[0])} />
        ${logo.busy && html`<progress max="100" value=${logo.progress} aria-label=${t('logo')}></progress>`}
        <${Banner} error=${logo.error} />
        ${b.logo_url && html`<button type="button" class="button" onClick=${removeLogo}>${t('remove_logo')}</button>`}
      </div>
      <div class="actions"><button type="submit" class="button button-primary">${t('save')}</button></div>
    </form>
    <section aria-labelledby="preview-h"><h2 id="preview-h">${t('live_preview')}</h2>
      <div class="portal-preview" aria-live="off">
        <header>${b.logo_url && html`<img src=${b.logo_url} alt="Logo" />`}<strong>${v.company_name || v.account_name || account.name}</strong></header>
        <p>${t('preview_hello')}</p>
        ${v.description && html`<p>${v.description}</p>`}
        <p class="muted">${[v.contact_email, v.contact_phone].filter(Boolean).join(' · ')}</p>
        ${v.address && html`<p class="muted pre">${v.address}</p>`}
      </div>
    </section>
  </div>`;
}

function PortalForm({ account, onSaved }) {
  const form = useForm({ ...account.portal });
  const save = async event => {
    event.preventDefault();
    const updated = await form.run(() => api('PATCH', '/account', { portal: form.values }));
    if (updated) onSaved(updated);
  };
  return html`<form class="card form" onSubmit=${save} aria-labelledby="portal-h"><h2 id="portal-h">${t('set_portal')}</h2>
    <${Banner} error=${form.problem} />${form.notice && html`<${Banner} kind="ok" error=${form.notice} />`}
    <label class="check"><input type="checkbox" checked=${form.values.enabled} onChange=${e => form.set('enabled', e.target.checked)} /> ${t('portal_on')}</label>
    <label class="check"><input type="checkbox" checked=${form.values.default_for_new_customers} onChange=${e => form.set('default_for_new_customers', e.target.checked)} /> ${t('portal_default')}</label>
    <${DefaultPermissions} values=${form.values.permissions} onChange=${value => form.set('permissions', value)} />
    <div class="actions"><button type="submit" class="button button-primary">${t('save')}</button></div>
  </form>`;
}

function Groups() {
  const groups = useLoad(() => api('GET', '/groups?limit=200'), []);
  const form = useForm({ name: '', is_default: false });
  const [problem, setProblem] = useState(null);
  const add = async event => {
    event.preventDefault();
    const created = await form.run(() => api('POST', '/groups', { name: form.values.name.trim(), is_default: form.values.is_default }));
    if (created) { form.setValues({ name: '', is_default: false }); groups.reload(); }
  };
  const change = async (group, body) => {
    setProblem(null);
    try { await api('PATCH', '/groups/' + group.id, body); groups.reload(); announce(t('saved')); } catch (error) { setProblem(error); }
  };
  const remove = async group => {
    if (!confirm(t('confirm_delete_group', { name: group.name }))) return;
    try { await api('DELETE', '/groups/' + group.id); groups.reload(); } catch (error) { setProblem(error); }
  };
  return html`<section class="card" aria-labelledby="groups-h"><h2 id="groups-h">${t('set_groups')}</h2>
    <${Banner} error=${problem || groups.error} onRetry=${groups.reload} />
    ${groups.data && (groups.data.items.length ? html`<ul class="order-list">${groups.data.items.map(g => html`<li key=${g.id}>
      <span class="grow"><strong>${g.name}</strong>${g.is_default && html` <span class="badge badge-complete">${t('default_group')}</span>`}</span>
      ${!g.is_default && html`<button type="button" class="button" onClick=${() => change(g, { is_default: true })}>${t('default_group')}<span class="sr-only">: ${g.name}</span></button>`}
      <button type="button" class="button" onClick=${() => remove(g)}>${t('delete')}<span class="sr-only">: ${g.name}</span></button>
    </li>`)}</ul>` : html`<p class="muted">${t('no_groups')}</p>`)}
    <form class="form" onSubmit=${add} novalidate>
      <h3>${t('add_group')}</h3>
      <${Banner} error=${form.problem} />
      <${Field} label=${t('group_name')} name="name" error=${form.errors.name} required>${props => html`<input ...${props} value=${form.values.name} onInput=${e => form.set('name', e.target.value)} />`}<//>
      <label class="check"><input type="checkbox" checked=${form.values.is_default} onChange=${e => form.set('is_default', e.target.checked)} /> ${t('default_group')}</label>
      <button type="submit" class="button button-primary">${t('add_group')}</button>
    </form>
  </section>`;
}

const TYPES = ['text', 'multiline_text', 'boolean', 'number', 'decimal', 'select', 'date', 'time', 'signature', 'info', 'file'];

function Attributes() {
  const attributes = useLoad(() => api('GET', '/attributes?limit=200'), []);
  const [editing, setEditing] = useState(null);
  const [problem, setProblem] = useState(null);
  const [dragged, setDragged] = useState(null);
  const [over, setOver] = useState(null);
  const items = attributes.data ? attributes.data.items : [];
  const order = async (ids, moved, focusId) => {
    setProblem(null);
    try {
      const page = await api('PUT', '/attributes/order', { ids });
      attributes.setData(page);
      const position = page.items.findIndex(a => a.id === moved.id) + 1;
      announce(t('moved', { name: moved.name, n: position }));
      if (focusId) setTimeout(() => { const button = document.getElementById(focusId); if (button) button.focus(); }, 0);
    } catch (error) { setProblem(error); }
  };
  const move = (index, step) => {
    const ids = items.map(a => a.id);
    const target = index + step;
    if (target < 0 || target >= ids.length) return;
    [ids[index], ids[target]] = [ids[target], ids[index]];
    const focusId = `move-${step < 0 ? 'up' : 'down'}-${items[index].id}`;
    order(ids, items[index], document.getElementById(focusId) && !(target === 0 || target === ids.length - 1) ? focusId : `move-${step < 0 ? 'down' : 'up'}-${items[index].id}`);
  };
  const drop = target => {
    if (!dragged || dragged === target) return;
    const ids = items.map(a => a.id).filter(id => id !== dragged);
    ids.splice(ids.indexOf(target), 0, dragged);
    order(ids, items.find(a => a.id === dragged));
  };
  const remove = async attribute => {
    if (!confirm(t('confirm_delete_attr', { name: attribute.name }))) return;
    try { await api('DELETE', '/attributes/' + attribute.id); attributes.reload(); } catch (error) { setProblem(error); }
  };
  return html`<section class="card" aria-labelledby="attrs-h">
    <div class="screen-head"><h2 id="attrs-h">${t('set_attributes')}</h2>
      <button type="button" class="button button-primary" onClick=${() => setEditing({})}>${t('add_attribute')}</button></div>
    <p class="muted">${t('reorder_hint')}</p>
    <${Banner} error=${problem || attributes.error} onRetry=${attributes.reload} />
    ${attributes.data && (items.length ? html`<ol class="order-list">${items.map((a, index) => html`<li key=${a.id} data-attribute=${a.id}
        draggable="true" class=${over === a.id ? 'drag-over' : ''}
        onDragStart=${e => { setDragged(a.id); e.dataTransfer.effectAllowed = 'move'; e.dataTransfer.setData('text/plain', a.id); }}
        onDragOver=${e => { e.preventDefault(); setOver(a.id); }} onDragLeave=${() => setOver(null)}
        onDrop=${e => { e.preventDefault(); setOver(null); drop(a.id); }} onDragEnd=${() => { setDragged(null); setOver(null); }}>
      <span class="grow"><strong>${a.name}</strong>${a.required && html`<span class="required"> *</span>`}<br />
        <span class="muted">${t('type_' + a.type)} · ${t('scope_' + a.scope)}</span></span>
      <button type="button" class="button-icon" id=${'move-up-' + a.id} disabled=${index === 0} onClick=${() => move(index, -1)} aria-label=${t('move_up') + ': ' + a.name}>↑</button>
      <button type="button" class="button-icon" id=${'move-down-' + a.id} disabled=${index === items.length - 1} onClick=${() => move(index, 1)} aria-label=${t('move_down') + ': ' + a.name}>↓</button>
      <button type="button" class="button" onClick=${() => setEditing(a)}>${t('edit')}<span class="sr-only">: ${a.name}</span></button>
      <button type="button" class="button" onClick=${() => remove(a)}>${t('delete')}<span class="sr-only">: ${a.name}</span></button>
    </li>`)}</ol>` : html`<p class="muted">${t('no_attributes')}</p>`)}
    ${editing && html`<${AttributeForm} attribute=${editing} onClose=${() => setEditing(null)} onSaved=${() => { setEditing(null); attributes.reload(); }} />`}
  </section>`;
}

function AttributeForm({ attribute, onClose, onSaved }) {
  const existing = Boolean(attribute.id);
  const form = useForm({ name: attribute.name || '', type: attribute.type || 'text', scope: attribute.scope || 'customer',
    required: Boolean(attribute.required), options: (attribute.options || []).join('\n'), pattern: attribute.pattern || '',
    in_portal: attribute.in_portal !== false, text: attribute.text || '', text_en: attribute.text_en || '' });
  const v = form.values;
  const submit = async event => {
    event.preventDefault();
    const body = { name: v.name.trim(), type: v.type, scope: v.scope, required: v.required, in_portal: v.in_portal,
      options: v.type === 'select' ? v.options.split('\n').map(o => o.trim()).filter(Boolean) : [],
      pattern: v.type === 'text' && v.pattern.trim() ? v.pattern.trim() : null };
    // Display text shows only what it says: it is never required and holds no value.
    if (v.type === 'info') Object.assign(body, { required: false, text: v.text.trim(), text_en: v.text_en.trim() || null });
    const saved = await form.run(() => (existing ? api('PATCH', '/attributes/' + attribute.id, body) : api('POST', '/attributes', body)));
    if (saved) onSaved(saved);
  };
  return html`<${Dialog} title=${existing ? attribute.name : t('add_attribute')} onClose=${onClose}>
    <form class="form" onSubmit=${submit} novalidate>
      <${Banner} error=${form.problem} />
      <${Field} label=${t('attr_name')} name="name" error=${form.errors.name} required>${props => html`<input ...${props} value=${v.name} onInput=${e => form.set('name', e.target.value)} />`}<//>
      <${Field} label=${t('attr_type')} name="type" error=${form.errors.type}>${props => html`<select ...${props} value=${v.type} onChange=${e => form.set('type', e.target.value)}>
        ${TYPES.map(type => html`<option value=${type}>${t('type_' + type)}</option>`)}</select>`}<//>
      <${Field} label=${t('attr_scope')} name="scope" error=${form.errors.scope}>${props => html`<select ...${props} value=${v.scope} onChange=${e => form.set('scope', e.target.value)}>
        <option value="customer">${t('scope_customer')}</option><option value="request">${t('scope_request')}</option></select>`}<//>
      ${v.type === 'select' && html`<${Field} label=${t('attr_options')} name="options" error=${form.errors.options}>${props => html`<textarea ...${props} rows="4" value=${v.options} onInput=${e => form.set('options', e.target.value)}></textarea>`}<//>`}
      ${v.type === 'text' && html`<${Field} label=${t('attr_pattern')} name="pattern" error=${form.errors.pattern}>${props => html`<input ...${props} value=${v.pattern} onInput=${e => form.set('pattern', e.target.value)} />`}<//>`}
      ${v.type === 'info' && html`<${Field} label=${t('attr_info_text')} name="text" error=${form.errors.text} required hint=${t('attr_info_hint')}>${props => html`<textarea ...${props} rows="4" maxlength="2000" value=${v.text} onInput=${e => form.set('text', e.target.value)}></textarea>`}<//>
        <${Field} label=${t('attr_info_text_en')} name="text_en" error=${form.errors.text_en}>${props => html`<textarea ...${props} rows="4" maxlength="2000" value=${v.text_en} onInput=${e => form.set('text_en', e.target.value)}></textarea>`}<//>`}
      ${v.type !== 'info' && html`<label class="check"><input type="checkbox" checked=${v.required} onChange=${e => form.set('required', e.target.checked)} /> ${t('required')}</label>`}
      <label class="check"><input type="checkbox" checked=${v.in_portal} onChange=${e => form.set('in_portal', e.target.checked)} /> ${t('attr_in_portal')}</label>
      <div class="actions"><button type="submit" class="button button-primary">${t('save')}</button>
        <button type="button" class="button" onClick=${onClose}>${t('cancel')}</button></div>
    </form>
  <//>`;
}

function Exports({ account, onSaved, schedule }) {
  const exports = useLoad(() => api('GET', '/exports?limit=20'), []);
  const form = useForm({ ...account.export_schedule });
  const [problem, setProblem] = useState(null);
  const running = exports.data && exports.data.items.some(e => e.status === 'pending' || e.status === 'running');
  useEffect(() => {
    if (!running) return undefined;
    const timer = setTimeout(exports.reload, 1500);
    return () => clearTimeout(timer);
  }, [exports.data]);
  const saveSchedule = async event => {
    event.preventDefault();
    const updated = await form.run(() => api('PATCH', '/account', { export_schedule: form.values }));
    if (updated) onSaved(updated);
  };
  const start = async format => {
    setProblem(null);
    try { await api('POST', '/exports', { format }); announce(t('export_running')); exports.reload(); } catch (error) { setProblem(error); }
  };
  // The list has no URLs: asking for one export hands its URL out (and the audit log records that).
  const download = async e => {
    setProblem(null);
    try { window.location.assign((await api('GET', `/exports/${e.id}`)).download_url); } catch (error) { setProblem(error); }
  };
  const toggleFormat = (format, on) => form.set('formats', on ? [...form.values.formats, format] : form.values.formats.filter(f => f !== format));
  return html`<section class="card" aria-labelledby="exports-h"><h2 id="exports-h">${t('set_exports')}</h2>
    ${schedule && html`<form class="form" onSubmit=${saveSchedule}>
      <${Banner} error=${form.problem} />${form.notice && html`<${Banner} kind="ok" error=${form.notice} />`}
      <label class="check"><input type="checkbox" checked=${form.values.enabled} onChange=${e => form.set('enabled', e.target.checked)} /> ${t('schedule')}</label>
      <fieldset class="checks"><legend>Format</legend>
        ${['csv', 'xlsx'].map(f => html`<label><input type="checkbox" checked=${form.values.formats.includes(f)} onChange=${e => toggleFormat(f, e.target.checked)} /> ${f.toUpperCase()}</label>`)}
      </fieldset>
      <button type="submit" class="button button-primary">${t('save')}</button>
    </form>`}
    <div class="actions">
      <button type="button" class="button" onClick=${() => start('csv')}>${t('export_now')}: CSV</button>
      <button type="button" class="button" onClick=${() => start('xlsx')}>${t('export_now')}: Excel</button>
    </div>
    <${Banner} error=${problem || exports.error} onRetry=${exports.reload} />
    <h3>${t('export_list')}</h3>
    ${running && html`<progress aria-label=${t('export_running')}></progress>`}
    ${exports.data && (exports.data.items.length ? html`<ul class="files">${exports.data.items.map(e => html`<li key=${e.id} data-export=${e.id}>
      <span class="file-name">${e.filename} <span class="muted">· ${formatDateTime(e.created_at)}${e.size ? ' · ' + formatBytes(e.size) : ''}</span></span>
      <span class=${'badge ' + (e.status === 'done' ? 'badge-complete' : e.status === 'failed' ? 'review-rejected' : 'badge-open')}>${t('export_status_' + e.status)}</span>
      ${e.status === 'done' && html`<button type="button" class="button" onClick=${() => download(e)}>${t('download')}<span class="sr-only">: ${e.filename}</span></button>`}
    </li>`)}</ul>` : html`<p class="muted">${t('no_exports')}</p>`)}
  </section>`;
}

function Intake({ account, reload }) {
  const [url, setUrl] = useState(null);
  const [problem, setProblem] = useState(null);
  const open = async () => {
    setProblem(null);
    try { setUrl((await api('POST', '/account/intake')).url); reload(); } catch (error) { setProblem(error); }
  };
  const close = async () => {
    setProblem(null);
    try { await api('DELETE', '/account/intake'); setUrl(null); reload(); } catch (error) { setProblem(error); }
  };
  return html`<section class="card" aria-labelledby="intake-h"><h2 id="intake-h">${t('set_intake')}</h2>
    <p>${t('intake_text')}</p>
    <p role="status">${account.intake_enabled ? t('intake_is_open') : t('intake_is_closed')}</p>
    <${Banner} error=${problem} />
    ${url && html`<div class="banner banner-info"><div><p>${t('intake_shown_once')}</p>
      <input class="url-once" readonly value=${url} aria-label="URL" size="50" /></div></div>`}
    <div class="actions">
      <button type="button" class="button button-primary" onClick=${open}>${t('intake_open')}</button>
      ${account.intake_enabled && html`<button type="button" class="button" onClick=${close}>${t('intake_close')}</button>`}
    </div>
  </section>`;
}
