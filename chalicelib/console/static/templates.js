// Einstellungen → Vorlagen (admin): request templates. Each is a checklist (upload areas and fields, each required
// or not, with a hint for the customer), a message, a due period and a reminder plan; created, changed and
// deleted over `/templates`. An attribute deleted after the template was made stays in it, marked, until removed.
import { useState } from './preact-htm.module.js';
import { api, ApiError } from './api.js';
import { formatNumber, t } from './i18n.js';
import { Banner, Dialog, Field, announce, html, useLoad } from './ui.js';

/** What a template may ask for: the general documents and the upload areas, then the fields (as the link dialog). */
export function templateChoices(attributes) {
  const shown = attributes.filter(a => a.in_portal !== false);
  return [
    { id: 'general', name: t('general_area'), area: true },
    ...shown.filter(a => a.type === 'file').map(a => ({ id: a.id, name: a.name, area: true })),
    ...shown.filter(a => a.type !== 'file').map(a => ({ id: a.id, name: a.name, area: false })),
  ];
}

function planText(template) {
  const parts = [template.items.length === 1 ? t('tpl_one_item') : t('tpl_n_items', { n: formatNumber(template.items.length) })];
  if (template.due_in_days) parts.push(t('tpl_due_in', { n: formatNumber(template.due_in_days) }));
  const plan = template.reminders;
  if (!plan.enabled) parts.push(t('tpl_no_reminders'));
  else {
    const when = [];
    if (plan.before_due_days.length) when.push(t('tpl_before', { days: plan.before_due_days.join(', ') }));
    if (plan.every_days_after) when.push(t('tpl_every_after', { n: plan.every_days_after }));
    parts.push(t('tpl_reminders') + ': ' + (when.join(', ') || '—'));
  }
  return parts.join(' · ');
}

export function Templates() {
  const templates = useLoad(() => api('GET', '/templates'), []);
  const attributes = useLoad(() => api('GET', '/attributes?limit=200'), []);
  const [editing, setEditing] = useState(null);
  const [problem, setProblem] = useState(null);
  const choices = attributes.data ? templateChoices(attributes.data.items) : null;
  const nameOf = id => ((choices || []).find(c => c.id === id) || { name: t('tpl_deleted_attr') }).name;
  const remove = async template => {
    if (!confirm(t('tpl_confirm_delete', { name: template.name }))) return;
    setProblem(null);
    try {
      await api('DELETE', '/templates/' + template.id);
      announce(t('tpl_deleted', { name: template.name }));
      templates.reload();
    } catch (error) { setProblem(error); }
  };
  const items = templates.data ? templates.data.items : [];
  return html`<section class="card" aria-labelledby="templates-h">
    <div class="screen-head"><h2 id="templates-h">${t('set_templates')}</h2>
      <button type="button" class="button button-primary" disabled=${!choices} onClick=${() => setEditing({})}>${t('tpl_add')}</button></div>
    <p class="muted">${t('tpl_text')}</p>
    <${Banner} error=${problem || templates.error || attributes.error} onRetry=${() => { templates.reload(); attributes.reload(); }} />
    ${templates.data && (items.length ? html`<ul class="order-list">${items.map(template => {
      const missing = template.items.filter(item => item.missing);
      return html`<li key=${template.id} data-template=${template.id}>
        <span class="grow"><strong>${template.name}</strong><br />
          <span class="muted">${planText(template)}</span><br />
          <span class="muted">${template.items.map(item => nameOf(item.attribute_id) + (item.required ? ' *' : '')).join(', ')}</span>
          ${missing.length > 0 && html`<p class="field-error">${t('tpl_has_missing', { n: missing.length })}</p>`}</span>
        <button type="button" class="button" disabled=${!choices} aria-label=${t('edit') + ': ' + template.name} onClick=${() => setEditing(template)}>${t('edit')}</button>
        <button type="button" class="button" aria-label=${t('delete') + ': ' + template.name} onClick=${() => remove(template)}>${t('delete')}</button>
      </li>`;
    })}</ul>` : html`<p class="muted">${t('tpl_none')}</p>`)}
    ${editing && choices && html`<${TemplateForm} template=${editing} choices=${choices} onClose=${() => setEditing(null)}
      onSaved=${saved => { setEditing(null); announce(t('tpl_saved', { name: saved.name })); templates.reload(); }} />`}
  </section>
  <${Notifications} />`;
}

/** How requests reach customers besides their link: the clarification mail and reminders by SMS (account-wide). */
function Notifications() {
  const account = useLoad(() => api('GET', '/account'), []);
  const [values, setValues] = useState(null);
  const [problem, setProblem] = useState(null);
  const [notice, setNotice] = useState(null);
  const current = values || (account.data && account.data.notifications);
  const save = async event => {
    event.preventDefault();
    setProblem(null); setNotice(null);
    try {
      const updated = await api('PATCH', '/account', { notifications: { clarification_mail: current.clarification_mail, sms_reminders: current.sms_reminders } });
      account.setData(updated); setValues(null);
      setNotice(t('saved')); announce(t('saved'));
    } catch (error) { setProblem(error); }
  };
  const toggle = name => event => setValues({ ...current, [name]: event.target.checked });
  return html`<form class="card form" onSubmit=${save} aria-labelledby="notify-h"><h2 id="notify-h">${t('notify_title')}</h2>
    <${Banner} error=${problem || account.error} onRetry=${account.reload} />${notice && html`<${Banner} kind="ok" error=${notice} />`}
    ${current && html`
      <label class="check"><input type="checkbox" checked=${current.clarification_mail} onChange=${toggle('clarification_mail')} /> ${t('notify_clarification')}</label>
      <label class="check"><input type="checkbox" checked=${current.sms_reminders} onChange=${toggle('sms_reminders')} /> ${t('notify_sms')}</label>
      <div class="actions"><button type="submit" class="button button-primary">${t('save')}</button></div>`}
  </form>`;
}

/** A whole number as a number; anything else as typed, so the API names the field. */
const wholeNumber = text => (/^\s*\d+\s*$/.test(text) ? Number(text) : text.trim());

function TemplateForm({ template, choices, onClose, onSaved }) {
  const existing = Boolean(template.id);
  const plan = template.reminders || { enabled: false, before_due_days: [7, 1], every_days_after: 0 };
  const [values, setValues] = useState({
    name: template.name || '',
    message: template.message || '',
    due: template.due_in_days ? String(template.due_in_days) : '',
    items: (template.items || [{ attribute_id: 'general', required: true, help: '' }]).map(item => ({ ...item, help: item.help || '' })),
    remind: Boolean(plan.enabled),
    before: plan.before_due_days.join(', '),
    after: plan.every_days_after ? String(plan.every_days_after) : '',
  });
  const [adding, setAdding] = useState('');
  const [errors, setErrors] = useState({});
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (name, value) => setValues(v => ({ ...v, [name]: value }));
  const setItem = (index, changes) => setValues(v => ({ ...v, items: v.items.map((item, i) => (i === index ? { ...item, ...changes } : item)) }));
  const choice = id => choices.find(c => c.id === id);
  const available = choices.filter(c => !values.items.some(item => item.attribute_id === c.id));
  // The first error at a field or below it (`items.0.attribute_id` belongs to item 0).
  const errorAt = prefix => errors[prefix] || Object.entries(errors).find(([key]) => key.startsWith(prefix + '.'))?.[1];

  const add = () => {
    const id = adding || (available[0] && available[0].id);
    if (!id) return;
    set('items', [...values.items, { attribute_id: id, required: true, help: '' }]);
    setAdding('');
    announce(t('tpl_item_added', { name: choice(id).name }));
  };
  const removeItem = index => {
    const gone = values.items[index];
    set('items', values.items.filter((_, i) => i !== index));
    announce(t('tpl_item_removed', { name: (choice(gone.attribute_id) || { name: t('tpl_deleted_attr') }).name }));
    setTimeout(() => { const select = document.getElementById('tpl-add-item'); if (select) select.focus(); }, 0);
  };
  const move = (index, step) => {
    const items = [...values.items];
    [items[index], items[index + step]] = [items[index + step], items[index]];
    set('items', items);
    setTimeout(() => { const button = document.getElementById(`tpl-${step < 0 ? 'up' : 'down'}-${items[index + step].attribute_id}`); if (button && !button.disabled) button.focus(); }, 0);
  };
  const submit = async event => {
    event.preventDefault();
    setBusy(true); setErrors({}); setProblem(null);
    const body = {
      name: values.name.trim(),
      message: values.message,
      items: values.items.map(item => ({ attribute_id: item.attribute_id, required: item.required, help: item.help.trim() })),
      due_in_days: values.due.trim() ? wholeNumber(values.due) : null,
      reminders: {
        enabled: values.remind,
        before_due_days: values.before.split(/[\s,;]+/).filter(Boolean).map(wholeNumber),
        every_days_after: values.after.trim() ? wholeNumber(values.after) : 0,
      },
    };
    try {
      onSaved(await (existing ? api('PATCH', '/templates/' + template.id, body) : api('POST', '/templates', body)));
    } catch (error) {
      setBusy(false);
      if (error instanceof ApiError && error.details.length) {
        setErrors(error.fields()); setProblem(t('check_fields'));
        setTimeout(() => { const bad = document.querySelector('.dialog [aria-invalid="true"]'); if (bad) bad.focus(); }, 0);
      } else setProblem(error);
    }
  };
  const itemsError = errors.items;
  return html`<${Dialog} title=${existing ? template.name : t('tpl_add')} onClose=${onClose} wide>
    <form class="form template-form" onSubmit=${submit} novalidate>
      <${Banner} error=${problem} />
      <${Field} label=${t('tpl_name')} name="name" error=${errors.name} required>${props => html`<input ...${props} value=${values.name}
        placeholder=${t('tpl_name_example')} onInput=${e => set('name', e.target.value)} />`}<//>
      <${Field} label=${t('link_message')} name="message" error=${errors.message}>${props => html`<textarea ...${props} rows="3" value=${values.message}
        onInput=${e => set('message', e.target.value)}></textarea>`}<//>
      <fieldset class="template-items"><legend>${t('checklist')}</legend>
        ${itemsError && html`<p class="field-error" role="alert">${itemsError}</p>`}
        <ol class="order-list">${values.items.map((item, index) => {
          const known = choice(item.attribute_id);
          const name = known ? known.name : t('tpl_deleted_attr');
          const error = errorAt(`items.${index}`);
          return html`<li key=${item.attribute_id} data-item=${item.attribute_id}>
            <span class="grow"><strong>${name}</strong> <span class="muted">${known ? t(known.area ? 'tpl_kind_area' : 'tpl_kind_field') : ''}</span>
              ${!known && html`<span class="field-error"> ${t('tpl_item_missing')}</span>`}</span>
            <label class="check"><input type="checkbox" checked=${item.required} aria-label=${t('required') + ': ' + name}
              onChange=${e => setItem(index, { required: e.target.checked })} /> ${t('required')}</label>
            <${Field} label=${t('tpl_help')} name=${`items.${index}`} error=${error}>
              ${props => html`<input ...${props} aria-label=${t('tpl_help') + ': ' + name} value=${item.help} onInput=${e => setItem(index, { help: e.target.value })} />`}<//>
            <button type="button" class="button-icon" id=${'tpl-up-' + item.attribute_id} disabled=${index === 0} onClick=${() => move(index, -1)} aria-label=${t('move_up') + ': ' + name}>↑</button>
            <button type="button" class="button-icon" id=${'tpl-down-' + item.attribute_id} disabled=${index === values.items.length - 1} onClick=${() => move(index, 1)} aria-label=${t('move_down') + ': ' + name}>↓</button>
            <button type="button" class="button" aria-label=${t('tpl_remove_item') + ': ' + name} onClick=${() => removeItem(index)}>${t('tpl_remove_item')}</button>
          </li>`;
        })}</ol>
        ${values.items.length === 0 && html`<p class="muted">${t('tpl_no_items')}</p>`}
        ${available.length > 0 && html`<div class="inline-add">
          <div class="field"><label for="tpl-add-item">${t('tpl_add_item')}</label>
            <select id="tpl-add-item" value=${adding || available[0].id} onChange=${e => setAdding(e.target.value)}>
              ${[true, false].map(area => available.some(c => c.area === area) && html`<optgroup label=${t(area ? 'link_areas' : 'link_fields')}>
                ${available.filter(c => c.area === area).map(c => html`<option value=${c.id}>${c.name}</option>`)}</optgroup>`)}
            </select></div>
          <button type="button" class="button" onClick=${add}>${t('tpl_add_item_button')}</button>
        </div>`}
      </fieldset>
      <${Field} label=${t('tpl_due_days')} name="due_in_days" error=${errors.due_in_days} hint=${t('tpl_due_hint')}>${props => html`<input ...${props}
        type="text" inputmode="numeric" value=${values.due} onInput=${e => set('due', e.target.value)} />`}<//>
      <fieldset><legend>${t('tpl_reminders')}</legend>
        <label class="check"><input type="checkbox" checked=${values.remind} onChange=${e => set('remind', e.target.checked)} /> ${t('tpl_remind')}</label>
        <${Field} label=${t('tpl_before_days')} name="reminders.before_due_days" error=${errorAt('reminders.before_due_days')} hint=${t('tpl_before_hint')}>
          ${props => html`<input ...${props} type="text" value=${values.before} onInput=${e => set('before', e.target.value)} />`}<//>
        <${Field} label=${t('tpl_after_days')} name="reminders.every_days_after" error=${errorAt('reminders.every_days_after') || errors.reminders}>
          ${props => html`<input ...${props} type="text" inputmode="numeric" value=${values.after} onInput=${e => set('after', e.target.value)} />`}<//>
      </fieldset>
      <div class="actions">
        <button type="submit" class="button button-primary" disabled=${busy}>${busy ? t('saving') : t('save')}</button>
        <button type="button" class="button" onClick=${onClose}>${t('cancel')}</button>
      </div>
    </form>
  <//>`;
}
