// Kundenakte: profile and typed attributes (edited in place), groups, status, documents by upload area with
// review, preview, download, delete and staff upload; links; history; merge; export; delete.
import { useEffect, useRef, useState } from './preact-htm.module.js';
import { api, postToBucket, query, ApiError, NetworkError } from './api.js';
import { formatBytes, formatDate, formatDateTime, formatNumber, t } from './i18n.js';
import {
  AttributeInput, Banner, Dialog, Field, Lazy, ReviewBadge, StatusBadge, announce, attributeValue, displayValue, errorText, html, href,
  infoText, navigate, useLoad,
} from './ui.js';
import { Messages, PortalTab, UnreadBadge } from './customer-portal.js';
import { usePermissions } from './permissions.js';

const TABS = ['overview', 'documents', 'links', 'portal', 'messages', 'approvals', 'activity'];
const CONTACT = ['name', 'email', 'company', 'phone'];

export function CustomerPage({ id, tab }) {
  const customer = useLoad(() => api('GET', '/customers/' + encodeURIComponent(id)), [id]);
  const attributes = useLoad(() => api('GET', '/attributes?limit=200'), []);
  const groups = useLoad(() => api('GET', '/groups?limit=200'), []);
  const [dialog, setDialog] = useState(null);
  const heading = useRef(null);
  const may = usePermissions();
  useEffect(() => { if (customer.data && heading.current && document.activeElement === document.getElementById('main')) heading.current.focus(); }, [customer.data && customer.data.id, tab]);

  if (customer.error && !customer.data) {
    const missing = customer.error instanceof ApiError && customer.error.status === 404;
    return html`<div class="screen"><a href="#/customers">${t('back_to_list')}</a>
      <${Banner} error=${missing ? t('not_found') : customer.error} onRetry=${customer.reload} /></div>`;
  }
  if (!customer.data || !attributes.data || !groups.data) {
    return html`<div class="screen"><${Banner} error=${attributes.error || groups.error} onRetry=${() => { attributes.reload(); groups.reload(); }} />
      <p role="status">${t('loading')}</p></div>`;
  }
  const c = customer.data;
  const attrs = attributes.data.items;
  const current = TABS.includes(tab) ? tab : 'overview';
  const changeStatus = async status => {
    try {
      customer.setData(await api('PATCH', '/customers/' + c.id, { status }));
      announce(t('saved'));
    } catch (error) { setDialog({ kind: 'error', error }); }
  };
  const common = { customer: c, attributes: attrs, groups: groups.data.items, onChange: customer.setData, reload: customer.reload };

  return html`<div class="screen">
    <p><a href="#/customers">← ${t('back_to_list')}</a></p>
    <div class="record-head">
      <div class="title">
        <h1 ref=${heading} tabindex="-1">${c.name}</h1>
        <span class="muted">${t('number', { n: c.number })}</span>
        <${StatusBadge} status=${c.status} />
      </div>
      <div class="actions">
        <label class="sr-only" for="status-change">${t('change_status')}</label>
        <select id="status-change" value=${c.status} onChange=${e => changeStatus(e.target.value)}>
          ${['open', 'partial', 'complete'].map(s => html`<option value=${s}>${t('status_' + s)}</option>`)}
        </select>
        ${may('links_send') && html`<button type="button" class="button" onClick=${() => { navigate(['customers', c.id, 'links']); setDialog({ kind: 'link' }); }}>${t('create_link')}</button>`}
        ${may('customers_merge') && html`<button type="button" class="button" onClick=${() => setDialog({ kind: 'merge' })}>${t('merge')}</button>`}
        <button type="button" class="button" onClick=${() => setDialog({ kind: 'export' })}>${t('export')}</button>
        ${may('customers_delete') && html`<button type="button" class="button button-danger" onClick=${() => setDialog({ kind: 'delete' })}>${t('delete')}</button>`}
      </div>
    </div>
    ${dialog && dialog.kind === 'error' && html`<${Banner} error=${dialog.error} />`}
    <nav aria-label=${t('sections')}><ul class="tabs">
      ${TABS.map(name => html`<li><a href=${href(name === 'overview' ? ['customers', c.id] : ['customers', c.id, name])}
        aria-current=${current === name ? 'page' : undefined}>${t('tab_' + name)}${name === 'messages' && html` <${UnreadBadge} count=${c.unread_messages} />`}</a></li>`)}
    </ul></nav>
    ${current === 'overview' && html`<${Overview} ...${common} />`}
    ${current === 'documents' && html`<${Documents} ...${common} />`}
    ${current === 'links' && html`<${Links} ...${common} creating=${dialog && dialog.kind === 'link'} onCreated=${() => setDialog(null)} />`}
    ${current === 'portal' && html`<${PortalTab} ...${common} />`}
    ${current === 'messages' && html`<${Messages} ...${common} />`}
    ${current === 'approvals' && html`<${Lazy} load=${() => import('./approvals.js')} name="Approvals" props=${common} />`}
    ${current === 'activity' && html`<${Activity} customer=${c} />`}
    ${dialog && dialog.kind === 'merge' && html`<${Merge} ...${common} onClose=${() => setDialog(null)} />`}
    ${dialog && dialog.kind === 'export' && html`<${Export} customer=${c} onClose=${() => setDialog(null)} />`}
    ${dialog && dialog.kind === 'delete' && html`<${Delete} customer=${c} onClose=${() => setDialog(null)} />`}
  </div>`;
}

// --- Übersicht ---------------------------------------------------------------------------------------------

function Overview({ customer, attributes, groups, onChange }) {
  const fields = attributes.filter(a => a.scope === 'customer' && a.type !== 'file');
  const [editing, setEditing] = useState(false);
  const [values, setValues] = useState(null);
  const [errors, setErrors] = useState({});
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  const start = () => {
    setValues({ name: customer.name, email: customer.email || '', company: customer.company || '', phone: customer.phone || '',
      notes: customer.notes || '', groups: [...customer.groups], attributes: { ...customer.attributes } });
    setErrors({}); setProblem(null); setEditing(true);
  };
  const set = (name, value) => setValues(previous => ({ ...previous, [name]: value }));
  const save = async event => {
    event.preventDefault();
    setBusy(true); setErrors({}); setProblem(null);
    const body = { name: values.name.trim(), notes: values.notes, groups: values.groups, attributes: {} };
    for (const key of ['email', 'company', 'phone']) body[key] = values[key].trim() || null;
    for (const attribute of fields) {
      const before = customer.attributes[attribute.id];
      const value = attributeValue(attribute, values.attributes[attribute.id]);
      if (value !== (before ?? null)) body.attributes[attribute.id] = value;
    }
    try {
      onChange(await api('PATCH', '/customers/' + customer.id, body));
      setEditing(false);
      announce(t('saved'));
    } catch (error) {
      if (error instanceof ApiError && error.details.length) {
        setErrors(error.fields()); setProblem(t('check_fields'));
        setTimeout(() => { const bad = document.querySelector('form.profile [aria-invalid="true"]'); if (bad) bad.focus(); }, 0);
      } else setProblem(error);
    }
    setBusy(false);
  };
  const groupName = gid => (groups.find(g => g.id === gid) || { name: gid }).name;

  if (!editing) {
    return html`<div class="grid-2">
      <section class="card" aria-labelledby="contact-h"><h2 id="contact-h">${t('contact')}</h2>
        <dl class="props">
          ${CONTACT.map(name => html`<dt>${t(name)}</dt><dd>${customer[name] || t('none')}</dd>`)}
          <dt>${t('groups')}</dt><dd>${customer.groups.length ? customer.groups.map(groupName).join(', ') : t('none')}</dd>
          <dt>${t('notes')}</dt><dd class="pre">${customer.notes || t('none')}</dd>
          <dt>${t('col_files')}</dt><dd>${formatNumber(customer.files_count)} · ${formatBytes(customer.bytes)}</dd>
          <dt>${t('col_last_upload')}</dt><dd>${formatDate(customer.last_upload_at)}</dd>
        </dl>
        <div class="actions"><button type="button" class="button" onClick=${start}>${t('edit')}</button></div>
      </section>
      <section class="card" aria-labelledby="fields-h"><h2 id="fields-h">${t('custom_fields')}</h2>
        ${fields.length ? html`<dl class="props">${fields.map(a => html`<dt>${a.name}</dt><dd class=${a.type === 'info' ? 'pre muted' : undefined}
            data-attribute=${a.id}>${displayValue(a, customer.attributes[a.id])}
          ${a.type === 'signature' && customer.attributes[a.id] && html`<${SignatureImage} customer=${customer} attribute=${a} />`}</dd>`)}</dl>`
          : html`<p class="muted">${t('no_attributes')}</p>`}
      </section>
    </div>`;
  }
  const text = (name, type = 'text') => html`<${Field} label=${t(name)} name=${name} error=${errors[name]} required=${name === 'name'}>
    ${props => html`<input ...${props} type=${type} value=${values[name]} onInput=${e => set(name, e.target.value)} />`}<//>`;
  return html`<form class="card form profile" onSubmit=${save} novalidate>
    <h2>${t('edit')}</h2>
    <${Banner} error=${problem} />
    <div class="grid-2"><div>
      ${text('name')}${text('email', 'email')}${text('company')}${text('phone', 'tel')}
      <${Field} label=${t('notes')} name="notes" error=${errors.notes}>${props => html`<textarea ...${props} rows="3" value=${values.notes} onInput=${e => set('notes', e.target.value)}></textarea>`}<//>
      ${groups.length > 0 && html`<fieldset class="checks"><legend>${t('groups')}</legend>
        ${groups.map(g => html`<label><input type="checkbox" checked=${values.groups.includes(g.id)}
          onChange=${e => set('groups', e.target.checked ? [...values.groups, g.id] : values.groups.filter(x => x !== g.id))} /> ${g.name}</label>`)}
      </fieldset>`}
    </div><div>
      ${fields.map(a => {
        const put = v => setValues(previous => ({ ...previous, attributes: { ...previous.attributes, [a.id]: v } }));
        if (a.type === 'info') return html`<div class="field" key=${a.id}><span class="field-label">${a.name}</span><p class="pre muted">${infoText(a)}</p></div>`;
        // A signature is drawn by the customer (link page or portal); staff can only see or remove it.
        if (a.type === 'signature') {
          return html`<fieldset class="field signature-edit" key=${a.id} data-field=${'attributes.' + a.id}><legend>${a.name}</legend>
            <p>${displayValue(a, values.attributes[a.id])}</p>
            ${customer.attributes[a.id] && html`<label class="check"><input type="checkbox" checked=${values.attributes[a.id] === null}
              onChange=${e => put(e.target.checked ? null : customer.attributes[a.id])} /> ${t('signature_remove')}</label>`}
            ${!customer.attributes[a.id] && html`<p class="hint">${t('signature_by_customer')}</p>`}
            ${errors['attributes.' + a.id] && html`<p class="field-error">${errors['attributes.' + a.id]}</p>`}
          </fieldset>`;
        }
        return html`<${Field} key=${a.id} name=${'attributes.' + a.id} label=${a.name} required=${a.required} error=${errors['attributes.' + a.id]}>
          ${props => html`<${AttributeInput} attribute=${a} value=${values.attributes[a.id]} props=${props} onInput=${put} />`}<//>`;
      })}
    </div></div>
    <div class="actions">
      <button type="submit" class="button button-primary" disabled=${busy}>${busy ? t('saving') : t('save')}</button>
      <button type="button" class="button" onClick=${() => setEditing(false)}>${t('cancel')}</button>
    </div>
  </form>`;
}

/** A signature field's image, fetched on request through its short-lived URL (an audited read). */
function SignatureImage({ customer, attribute }) {
  const [shown, setShown] = useState(null);
  const [problem, setProblem] = useState(null);
  const show = async () => {
    setProblem(null);
    try {
      setShown(await api('GET', `/customers/${encodeURIComponent(customer.id)}/signatures/${encodeURIComponent(attribute.id)}`));
      announce(t('signature_shown', { name: attribute.name }));
    } catch (error) { setProblem(error); }
  };
  return html`<div class="signature-value">
    ${shown ? html`<img class="signature-image" src=${shown.download_url} alt=${t('signature_image_of', { name: attribute.name, customer: customer.name })} />`
      : html`<button type="button" class="button" onClick=${show}>${t('signature_show')}<span class="sr-only">: ${attribute.name}</span></button>`}
    <${Banner} error=${problem} />
  </div>`;
}

// --- Dokumente ---------------------------------------------------------------------------------------------

export async function reviewFile(customerId, file, review, comment) {
  return api('PATCH', `/customers/${customerId}/files/${file.id}`, { review, review_comment: comment || null });
}

/** Geprüft / Rückfrage (with a comment for the customer) for one file. */
export function ReviewControls({ customerId, file, onReviewed, clarifyOpen }) {
  const [clarifying, setClarifying] = useState(Boolean(clarifyOpen));
  const [comment, setComment] = useState(file.review_comment || '');
  const [problem, setProblem] = useState(null);
  const commentId = 'comment-' + file.id;
  useEffect(() => setClarifying(Boolean(clarifyOpen)), [clarifyOpen]);
  // Opening the comment box moves focus into it (also when the inbox's `r` key opened it).
  useEffect(() => { if (clarifying) { const box = document.getElementById(commentId); if (box) box.focus(); } }, [clarifying, clarifyOpen]);
  const act = async (review, text) => {
    setProblem(null);
    try {
      const updated = await reviewFile(customerId, file, review, text);
      announce(t('reviewed', { name: file.filename, state: t('review_' + review) }));
      setClarifying(false);
      onReviewed(updated);
    } catch (error) { setProblem(error); }
  };
  if (file.review === 'rejected') return null;
  return html`<div class="review-controls">
    <div class="actions">
      <button type="button" class="button" aria-pressed=${file.review === 'checked' ? 'true' : 'false'} onClick=${() => act('checked')}>✓ ${t('mark_checked')}</button>
      <button type="button" class="button" aria-expanded=${clarifying ? 'true' : 'false'} onClick=${() => setClarifying(!clarifying)}>? ${t('mark_clarify')}</button>
    </div>
    ${clarifying && html`<form class="form" onSubmit=${e => { e.preventDefault(); act('needs_clarification', comment); }}>
      <div class="field"><label for=${commentId}>${t('comment')}</label>
        <textarea id=${commentId} rows="2" value=${comment} onInput=${e => setComment(e.target.value)}></textarea></div>
      <button type="submit" class="button button-primary">${t('send_clarify')}</button>
    </form>`}
    <${Banner} error=${problem} />
  </div>`;
}

/** The file's bytes as a blob URL (images and PDFs only), fetched through its short-lived download URL. */
export function usePreview(customerId, file) {
  const [state, setState] = useState({ url: null, error: null });
  const kind = !file ? null : file.content_type.startsWith('image/') ? 'image' : file.content_type === 'application/pdf' ? 'pdf' : null;
  useEffect(() => {
    let objectUrl = null;
    let stopped = false;
    setState({ url: null, error: null });
    if (!kind) return undefined;
    (async () => {
      try {
        const detail = await api('GET', `/customers/${customerId}/files/${file.id}`);
        const reply = await fetch(detail.download_url, { credentials: 'omit' });
        if (!reply.ok) throw new NetworkError('download');
        const blob = await reply.blob();
        objectUrl = URL.createObjectURL(new Blob([blob], { type: file.content_type }));
        if (!stopped) setState({ url: objectUrl, error: null });
      } catch (error) { if (!stopped) setState({ url: null, error }); }
    })();
    return () => { stopped = true; if (objectUrl) URL.revokeObjectURL(objectUrl); };
  }, [file && file.id]);
  return { ...state, kind };
}

/** `inline` (the inbox): a PDF loads only on request, since the browser's PDF viewer takes the keyboard focus. */
export function PreviewBody({ customerId, file, inline }) {
  const [wanted, setWanted] = useState(false);
  useEffect(() => setWanted(false), [file.id]);
  const isPdf = file.content_type === 'application/pdf';
  if (inline && isPdf && !wanted) {
    return html`<div class="preview-body"><button type="button" class="button" onClick=${() => setWanted(true)}>${t('preview')}: ${file.filename}</button></div>`;
  }
  return html`<${PreviewFrame} customerId=${customerId} file=${file} />`;
}

function PreviewFrame({ customerId, file }) {
  const preview = usePreview(customerId, file);
  return html`<div class="preview-body">
    <${Banner} error=${preview.error} />
    ${!preview.kind && html`<p>${t('no_preview')}</p>`}
    ${preview.url && preview.kind === 'image' && html`<img class="preview" src=${preview.url} alt=${file.filename} />`}
    ${preview.url && preview.kind === 'pdf' && html`<iframe class="preview" src=${preview.url} title=${file.filename}></iframe>`}
    ${!preview.url && !preview.error && preview.kind && html`<p role="status">${t('loading')}</p>`}
  </div>`;
}

export function Preview({ customerId, file, onClose }) {
  return html`<${Dialog} title=${file.filename} onClose=${onClose} wide><${PreviewBody} customerId=${customerId} file=${file} /><//>`;
}

export async function download(customerId, file) {
  const detail = await api('GET', `/customers/${customerId}/files/${file.id}`);
  const anchor = document.createElement('a');
  anchor.href = detail.download_url;
  anchor.download = file.filename;
  anchor.rel = 'noopener';
  document.body.appendChild(anchor);
  anchor.click();
  anchor.remove();
}

function FileRow({ customer, file, onChanged, onDeleted, onPreview }) {
  const may = usePermissions();
  const [problem, setProblem] = useState(null);
  const remove = async () => {
    if (!confirm(t('confirm_delete_file', { name: file.filename }))) return;
    try {
      await api('DELETE', `/customers/${customer.id}/files/${file.id}`);
      announce(t('file_deleted', { name: file.filename }));
      onDeleted(file);
    } catch (error) { setProblem(error); }
  };
  return html`<li data-file=${file.id}>
    <span class="file-name"><strong>${file.filename}</strong><br />
      <span class="muted">${formatBytes(file.size)} · ${formatDateTime(file.uploaded_at)}</span></span>
    ${file.direction === 'received' && html`<${ReviewBadge} review=${file.review} />`}
    ${file.review_comment && html`<span class="muted">„${file.review_comment}“</span>`}
    <div class="actions">
      <button type="button" class="button" onClick=${() => onPreview(file)}>${t('preview')}<span class="sr-only">: ${file.filename}</span></button>
      <button type="button" class="button" onClick=${() => download(customer.id, file).catch(setProblem)}>${t('download')}<span class="sr-only">: ${file.filename}</span></button>
      ${may('files_delete') && html`<button type="button" class="button" onClick=${remove}>${t('delete')}<span class="sr-only">: ${file.filename}</span></button>`}
    </div>
    ${file.direction === 'received' && html`<${ReviewControls} customerId=${customer.id} file=${file} onReviewed=${onChanged} />`}
    <${Banner} error=${problem} />
  </li>`;
}

function Uploader({ customer, area, direction, label, onUploaded }) {
  const [uploads, setUploads] = useState([]);
  const [dragging, setDragging] = useState(false);
  const input = useRef(null);
  const update = (key, changes) => setUploads(list => list.map(u => (u.key === key ? { ...u, ...changes } : u)));
  const send = async file => {
    const key = Math.random().toString(36).slice(2);
    setUploads(list => [...list, { key, name: file.name, progress: 0, state: 'uploading' }]);
    try {
      const presigned = await api('POST', `/customers/${customer.id}/files`, {
        filename: file.name, size: file.size, content_type: file.type || 'application/octet-stream', area, direction,
      });
      let last = -1;
      await postToBucket(presigned, file, progress => {
        update(key, { progress });
        if (progress - last >= 50 || progress === 100) { last = progress; announce(t('uploading', { name: file.name, p: progress })); }
      });
      update(key, { progress: 100, state: 'done' });
      announce(t('uploaded', { name: file.name }));
      onUploaded();
    } catch (error) {
      update(key, { state: 'error', error: errorText(error) });
      announce(t('upload_failed', { name: file.name, reason: errorText(error) }));
    }
  };
  const sendAll = files => Array.from(files).forEach(send);
  const inputId = 'upload-' + area + '-' + direction;
  return html`<div class=${'dropzone' + (dragging ? ' dragging' : '')} data-area=${area}
      onDragOver=${e => { e.preventDefault(); setDragging(true); }} onDragEnter=${e => { e.preventDefault(); setDragging(true); }}
      onDragLeave=${() => setDragging(false)} onDrop=${e => { e.preventDefault(); setDragging(false); sendAll(e.dataTransfer.files); }}>
    <span>${t('drop_here')} </span>
    <button type="button" class="button" onClick=${() => input.current.click()}>${t('choose_files')}<span class="sr-only">: ${label}</span></button>
    <input ref=${input} id=${inputId} type="file" multiple class="sr-only" tabindex="-1" aria-hidden="true"
      onChange=${e => { sendAll(e.target.files); e.target.value = ''; }} />
    ${uploads.length > 0 && html`<ul class="files">${uploads.map(u => html`<li key=${u.key} class="upload" data-state=${u.state}>
      <span class="file-name">${u.name}</span>
      ${u.state === 'error' ? html`<span class="field-error">${u.error}</span>`
        : html`<progress max="100" value=${u.progress} aria-label=${u.name}>${u.progress} %</progress>`}
    </li>`)}</ul>`}
  </div>`;
}

function Documents({ customer, attributes, reload }) {
  const received = useLoad(() => api('GET', `/customers/${customer.id}/files?direction=received&limit=200`), [customer.id]);
  const sent = useLoad(() => api('GET', `/customers/${customer.id}/files?direction=sent&limit=200`), [customer.id]);
  const [preview, setPreview] = useState(null);
  const areas = [{ id: 'general', name: t('general_area') }, ...attributes.filter(a => a.type === 'file')];
  const replace = loader => updated => loader.setData(data => ({ ...data, items: data.items.map(f => (f.id === updated.id ? updated : f)) }));
  const drop = loader => gone => { loader.setData(data => ({ ...data, items: data.items.filter(f => f.id !== gone.id) })); reload(); };
  // A stored file shows up once its S3 event is handled (seconds): look again a few times.
  const refreshSoon = loader => { [1000, 2500, 5000].forEach(wait => setTimeout(() => { loader.reload(); reload(); }, wait)); };

  return html`<div>
    <${Banner} error=${received.error || sent.error} onRetry=${() => { received.reload(); sent.reload(); }} />
    <section aria-labelledby="received-h"><h2 id="received-h">${t('received')}</h2>
      ${areas.map(area => {
        const files = (received.data ? received.data.items : []).filter(f => f.area === area.id);
        return html`<section class="card area" data-area=${area.id} aria-labelledby=${'area-' + area.id}>
          <h3 id=${'area-' + area.id}>${area.name}</h3>
          ${files.length ? html`<ul class="files">${files.map(f => html`<${FileRow} key=${f.id} customer=${customer} file=${f}
              onChanged=${replace(received)} onDeleted=${drop(received)} onPreview=${setPreview} />`)}</ul>`
            : html`<p class="muted">${t('no_files')}</p>`}
          <${Uploader} customer=${customer} area=${area.id} direction="received" label=${area.name} onUploaded=${() => refreshSoon(received)} />
        </section>`;
      })}
    </section>
    <section class="card" aria-labelledby="sent-h"><h2 id="sent-h">${t('sent')}</h2>
      ${sent.data && sent.data.items.length ? html`<ul class="files">${sent.data.items.map(f => html`<${FileRow} key=${f.id} customer=${customer}
          file=${f} onChanged=${replace(sent)} onDeleted=${drop(sent)} onPreview=${setPreview} />`)}</ul>` : html`<p class="muted">${t('no_files')}</p>`}
      <${Uploader} customer=${customer} area="general" direction="sent" label=${t('sent')} onUploaded=${() => refreshSoon(sent)} />
    </section>
    ${preview && html`<${Preview} customerId=${customer.id} file=${preview} onClose=${() => setPreview(null)} />`}
  </div>`;
}

// --- Links -------------------------------------------------------------------------------------------------

function Links({ customer, attributes, creating, onCreated, reload }) {
  const may = usePermissions();
  const links = useLoad(() => api('GET', `/customers/${customer.id}/links?limit=200`), [customer.id]);
  const [open, setOpen] = useState(Boolean(creating));
  const [shown, setShown] = useState(null);
  const [notice, setNotice] = useState(null);
  const [problem, setProblem] = useState(null);
  useEffect(() => { if (creating) setOpen(true); }, [creating]);
  const act = async (link, action) => {
    setProblem(null);
    try {
      if (action === 'revoke') {
        await api('DELETE', `/customers/${customer.id}/links/${link.id}`);
        setNotice(t('link_revoked')); setShown(null);
      } else {
        const sent = await api('POST', `/customers/${customer.id}/links/${link.id}/send`);
        setNotice(t('link_resent'));
        if (sent && sent.url) setShown(sent);
      }
      announce(action === 'revoke' ? t('link_revoked') : t('link_resent'));
      links.reload(); reload();
    } catch (error) { setProblem(error); }
  };
  const [rejecting, setRejecting] = useState(null);
  // Staff accept a "does not apply" mark (accepted_na) or ask for the item again (missing, with a comment).
  const decide = async (link, item, body) => {
    setProblem(null);
    try {
      await api('PATCH', `/customers/${customer.id}/links/${link.id}/items/${item.id}`, body);
      const done = t(body.state === 'accepted_na' ? 'na_accepted' : 'na_rejected');
      setNotice(done); announce(done); setRejecting(null);
      links.reload(); reload();
    } catch (error) { setProblem(error); }
  };
  const areaName = id => (id === 'general' ? t('general_area') : (attributes.find(a => a.id === id) || { name: id }).name);
  return html`<section aria-labelledby="links-h">
    <div class="screen-head"><h2 id="links-h">${t('links_title')}</h2>
      ${may('links_send') && html`<button type="button" class="button button-primary" onClick=${() => setOpen(true)}>${t('create_link')}</button>`}</div>
    ${shown && html`<${ShownOnce} url=${shown.url} />`}
    ${notice && html`<${Banner} kind="ok" error=${notice} />`}
    <${Banner} error=${problem || links.error} onRetry=${links.reload} />
    ${links.data && (links.data.items.length ? html`<ul class="files">${links.data.items.map(link => html`<li key=${link.id} data-link=${link.id}>
      <span class="file-name"><strong>${link.areas.map(areaName).join(', ')}</strong><br />
        <span class="muted">${t('link_state_' + link.state)} · ${t('expires', { d: formatDate(link.expires_at) })}${link.sent_count ? ' · ' + t('sent_n', { n: link.sent_count }) : ''}</span>
        ${link.items && link.items.length > 0 && html`<br /><span class="muted">${t('request_status_' + link.status)}${link.due_at ? ' · ' + t('due', { d: formatDate(link.due_at) }) : ''}</span>
        ${link.reminders && html`<br /><span class="muted reminders">${reminderText(link.reminders)}</span>`}
        <ul class="checklist" aria-label=${t('checklist')}>${link.items.map(item => html`<li key=${item.id} data-item=${item.id} data-state=${item.state}>
          ${areaName(item.id)}${item.required ? ' *' : ''}: ${item.kind === 'info' ? t('type_info') : t('item_state_' + item.state)}${item.comment ? ' – ' + item.comment : ''}${item.help && html` <span class="muted">(${item.help})</span>`}
          ${item.state === 'not_applicable' && html`<span class="actions">
            <button type="button" class="button" onClick=${() => decide(link, item, { state: 'accepted_na' })}>${t('accept_na')}</button>
            <button type="button" class="button" onClick=${() => setRejecting({ link, item })}>${t('reject_na')}</button></span>`}</li>`)}</ul>`}</span>
      ${link.state === 'active' && html`<div class="actions">
        ${may('links_send') && html`<button type="button" class="button" disabled=${!customer.email} onClick=${() => act(link, 'send')}>${t('resend')}</button>`}
        <button type="button" class="button" onClick=${() => act(link, 'revoke')}>${t('revoke')}</button></div>`}
    </li>`)}</ul>` : html`<p class="muted">${t('no_links')}</p>`)}
    ${rejecting && html`<${RejectItem} name=${areaName(rejecting.item.id)} onClose=${() => setRejecting(null)}
      onSubmit=${comment => decide(rejecting.link, rejecting.item, { state: 'missing', comment })} />`}
    ${open && html`<${NewLink} customer=${customer} attributes=${attributes} onClose=${() => { setOpen(false); onCreated(); }}
      onCreated=${link => { setOpen(false); onCreated(); setShown(link); setNotice(null); links.reload(); reload(); }} />`}
  </section>`;
}

/** A request's reminder plan as staff read it: the next planned reminder and how many went out. */
function reminderText(plan) {
  if (!plan.enabled) return t('reminders_off') + (plan.sent_count ? ' · ' + t('reminders_sent', { n: plan.sent_count }) : '');
  return [plan.next_at ? t('reminder_next', { d: formatDateTime(plan.next_at) }) : t('reminder_none_next'),
    t('reminders_sent', { n: plan.sent_count })].join(' · ');
}

function RejectItem({ name, onClose, onSubmit }) {
  const [comment, setComment] = useState('');
  return html`<${Dialog} title=${t('reject_na_title', { name })} onClose=${onClose}>
    <form class="form" onSubmit=${event => { event.preventDefault(); onSubmit(comment.trim()); }}>
      <${Field} label=${t('reject_na_comment')} name="comment">${props => html`<textarea ...${props} rows="3" value=${comment} onInput=${e => setComment(e.target.value)}></textarea>`}<//>
      <div class="actions">
        <button type="submit" class="button button-primary">${t('reject_na')}</button>
        <button type="button" class="button" onClick=${onClose}>${t('cancel')}</button>
      </div>
    </form>
  <//>`;
}

function ShownOnce({ url }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try { await navigator.clipboard.writeText(url); } catch {
      const field = document.getElementById('link-url'); field.select(); document.execCommand('copy');
    }
    setCopied(true); announce(t('copied'));
  };
  return html`<div class="banner banner-info" role="status">
    <div><p>${t('link_created')}</p><input id="link-url" class="url-once" readonly value=${url} aria-label="URL" size="50" /></div>
    <button type="button" class="button button-primary" onClick=${copy}>${copied ? t('copied') : t('copy_link')}</button>
  </div>`;
}

function NewLink({ customer, attributes, onClose, onCreated }) {
  const fileAreas = [{ id: 'general', name: t('general_area') }, ...attributes.filter(a => a.type === 'file')];
  const fields = attributes.filter(a => a.type !== 'file' && a.in_portal !== false);
  const [values, setValues] = useState({ areas: fileAreas.map(a => a.id), attributes: [], message: '', expires: '14', expiresSet: false, send: false, template: '', due: '', fixed: [] });
  const [errors, setErrors] = useState({});
  const [problem, setProblem] = useState(null);
  const templates = useLoad(() => api('GET', '/templates'), []);
  // A template prefills the areas, fields, message and due date; what is changed here still goes with the link.
  const choose = id => {
    const template = (templates.data ? templates.data.items : []).find(x => x.id === id);
    if (!template) { setValues(v => ({ ...v, template: '', fixed: [] })); return; }
    const isArea = itemId => itemId === 'general' || fileAreas.some(a => a.id === itemId);
    const ids = template.items.map(item => item.attribute_id);
    const due = template.due_in_days ? new Date(Date.now() + template.due_in_days * 86400000).toISOString().slice(0, 10) : '';
    // The template's items always go with the link (the API adds them), so they cannot be unticked here.
    setValues(v => ({ ...v, template: id, areas: ids.filter(isArea), attributes: ids.filter(x => !isArea(x)), message: template.message || '', due, fixed: ids }));
  };
  const toggle = (name, id, on) => setValues(v => ({ ...v, [name]: on ? [...v[name], id] : v[name].filter(x => x !== id) }));
  const submit = async event => {
    event.preventDefault();
    setErrors({}); setProblem(null);
    try {
      const body = { areas: values.areas, attributes: values.attributes, message: values.message, send_email: values.send };
      // With a due date the API keeps the link open until a week after it, unless an expiry is set here.
      if (!values.due || values.expiresSet) body.expires_in_days = Number(values.expires) || 14;
      if (values.due) body.due_at = new Date(values.due + 'T23:59:59').toISOString();
      if (values.template) body.template_id = values.template;
      const link = await api('POST', `/customers/${customer.id}/links`, body);
      announce(t('link_created'));
      onCreated(link);
    } catch (error) {
      if (error instanceof ApiError && error.details.length) { setErrors(error.fields()); setProblem(t('check_fields')); } else setProblem(error);
    }
  };
  return html`<${Dialog} title=${t('create_link')} onClose=${onClose}>
    <form class="form" onSubmit=${submit} novalidate>
      <${Banner} error=${problem} />
      ${templates.data && templates.data.items.length > 0 && html`<${Field} label=${t('link_template')} name="template_id" error=${errors.template_id}>
        ${props => html`<select ...${props} value=${values.template} onChange=${e => choose(e.target.value)}>
          <option value="">${t('no_template')}</option>${templates.data.items.map(x => html`<option value=${x.id}>${x.name}</option>`)}</select>`}<//>`}
      <fieldset class="checks"><legend>${t('link_areas')}</legend>
        ${fileAreas.map(a => html`<label><input type="checkbox" checked=${values.areas.includes(a.id)} disabled=${values.fixed.includes(a.id)} onChange=${e => toggle('areas', a.id, e.target.checked)} /> ${a.name}</label>`)}
      </fieldset>
      ${errors.areas && html`<p class="field-error">${errors.areas}</p>`}
      ${fields.length > 0 && html`<fieldset class="checks"><legend>${t('link_fields')}</legend>
        ${fields.map(a => html`<label><input type="checkbox" checked=${values.attributes.includes(a.id)} disabled=${values.fixed.includes(a.id)} onChange=${e => toggle('attributes', a.id, e.target.checked)} /> ${a.name}</label>`)}
      </fieldset>`}
      ${values.fixed.length > 0 && html`<p class="hint">${t('link_template_fixed')}</p>`}
      <${Field} label=${t('link_message')} name="message" error=${errors.message}>${props => html`<textarea ...${props} rows="3" value=${values.message}
        onInput=${e => setValues(v => ({ ...v, message: e.target.value }))}></textarea>`}<//>
      <${Field} label=${t('link_expiry')} name="expires_in_days" error=${errors.expires_in_days}>${props => html`<input ...${props} type="number" min="1" max="365"
        value=${values.expires} onInput=${e => setValues(v => ({ ...v, expires: e.target.value, expiresSet: true }))} />`}<//>
      <${Field} label=${t('link_due')} name="due_at" error=${errors.due_at}>${props => html`<input ...${props} type="date"
        value=${values.due} onInput=${e => setValues(v => ({ ...v, due: e.target.value }))} />`}<//>
      <label class="check"><input type="checkbox" checked=${values.send} disabled=${!customer.email}
        onChange=${e => setValues(v => ({ ...v, send: e.target.checked }))} /> ${t('link_send')}</label>
      ${!customer.email && html`<p class="hint">${t('no_email')}</p>`}
      <div class="actions"><button type="submit" class="button button-primary">${t('create_link')}</button>
        <button type="button" class="button" onClick=${onClose}>${t('cancel')}</button></div>
    </form>
  <//>`;
}

// --- Verlauf -----------------------------------------------------------------------------------------------

function Activity({ customer }) {
  const activity = useLoad(() => api('GET', `/customers/${customer.id}/activity?limit=200`), [customer.id]);
  return html`<section class="card" aria-labelledby="activity-h"><h2 id="activity-h">${t('activity')}</h2>
    <${Banner} error=${activity.error} onRetry=${activity.reload} />
    ${activity.data && (activity.data.items.length ? html`<ol class="timeline">${activity.data.items.map(entry => html`<li>
      <strong>${activityLabel(entry.type)}</strong> <span class="muted">${formatDateTime(entry.at)} · ${actorLabel(entry.actor)}</span>
      ${summary(entry.data) && html`<div class="muted">${summary(entry.data)}</div>`}</li>`)}</ol>` : html`<p class="muted">${t('no_activity')}</p>`)}
  </section>`;
}

function activityLabel(type) {
  const label = t('activity_' + type);
  return label === 'activity_' + type ? type.replace(/[._]/g, ' ') : label;
}

function actorLabel(actor) {
  if (actor === 'customer' || actor === 'system') return t('actor_' + actor);
  return actor.startsWith('staff:') ? actor.slice(6) : actor;
}

function summary(data) {
  if (!data) return '';
  return Object.entries(data).filter(([, v]) => v !== null && typeof v !== 'object').map(([k, v]) => `${k}: ${v}`).join(' · ');
}

// --- Zusammenführen, Exportieren, Löschen ------------------------------------------------------------------

function Merge({ customer, attributes, onChange, onClose }) {
  const [q, setQ] = useState('');
  const [found, setFound] = useState([]);
  const [source, setSource] = useState(null);
  const [take, setTake] = useState({});
  const [problem, setProblem] = useState(null);
  const timer = useRef(null);
  const search = value => {
    setQ(value);
    clearTimeout(timer.current);
    timer.current = setTimeout(async () => {
      try {
        const page = await api('GET', '/customers' + query({ q: value.trim(), limit: 10 }));
        setFound(page.items.filter(c => c.id !== customer.id));
      } catch (error) { setProblem(error); }
    }, 250);
  };
  const fields = [...CONTACT, 'notes', 'status'].map(name => ({ key: name, label: t(name), show: c => (name === 'status' ? t('status_' + c.status) : c[name] || t('none')) }))
    .concat(attributes.filter(a => a.type !== 'file' && a.type !== 'info' && a.scope === 'customer').map(a => ({ key: 'attributes.' + a.id, label: a.name, show: c => displayValue(a, c.attributes[a.id]) })));
  const differing = source ? fields.filter(f => f.show(source) !== f.show(customer)) : [];
  const submit = async event => {
    event.preventDefault();
    try {
      onChange(await api('POST', `/customers/${customer.id}/merge`, { source_id: source.id, take }));
      announce(t('merge_done'));
      onClose();
    } catch (error) { setProblem(error); }
  };
  return html`<${Dialog} title=${t('merge_title')} onClose=${onClose} wide>
    <p>${t('merge_hint')}</p>
    <${Banner} error=${problem} />
    ${!source && html`<div class="field"><label for="merge-search">${t('merge_search')}</label>
      <input id="merge-search" type="search" value=${q} onInput=${e => search(e.target.value)} autocomplete="off" /></div>
      <ul class="files">${found.map(c => html`<li><span class="file-name">${c.name}${c.company ? ' · ' + c.company : ''}${c.email ? ' · ' + c.email : ''}</span>
        <button type="button" class="button" onClick=${() => setSource(c)}>${t('merge')}<span class="sr-only">: ${c.name}</span></button></li>`)}</ul>`}
    ${source && html`<form onSubmit=${submit}>
      <div class="table-wrap"><table class="table"><caption class="sr-only">${t('merge_title')}</caption>
        <thead><tr><th scope="col">${t('field')}</th><th scope="col">${t('keep_this')}</th><th scope="col">${t('keep_other')}</th></tr></thead>
        <tbody>${differing.map(f => html`<tr>
          <th scope="row">${f.label}</th>
          <td><label><input type="radio" name=${'take-' + f.key} checked=${take[f.key] !== 'source'} onChange=${() => setTake({ ...take, [f.key]: 'target' })} /> ${f.show(customer)}</label></td>
          <td><label><input type="radio" name=${'take-' + f.key} checked=${take[f.key] === 'source'} onChange=${() => setTake({ ...take, [f.key]: 'source' })} /> ${f.show(source)}</label></td>
        </tr>`)}</tbody></table></div>
      <div class="actions"><button type="submit" class="button button-primary">${t('merge')}: ${source.name} → ${customer.name}</button>
        <button type="button" class="button" onClick=${() => setSource(null)}>${t('cancel')}</button></div>
    </form>`}
  <//>`;
}

function Export({ customer, onClose }) {
  const [job, setJob] = useState(null);
  const [problem, setProblem] = useState(null);
  useEffect(() => {
    let stopped = false;
    (async () => {
      try {
        let current = await api('POST', `/customers/${customer.id}/export`);
        setJob(current); announce(t('export_running'));
        while (!stopped && (current.status === 'pending' || current.status === 'running')) {
          await new Promise(resolve => setTimeout(resolve, 1000));
          current = await api('GET', `/exports/${current.id}`);
          if (!stopped) setJob(current);
        }
        if (!stopped) announce(current.status === 'done' ? t('export_ready') : t('export_failed', { reason: current.reason || '' }));
      } catch (error) { if (!stopped) setProblem(error); }
    })();
    return () => { stopped = true; };
  }, []);
  return html`<${Dialog} title=${t('export_title')} onClose=${onClose}>
    <${Banner} error=${problem} />
    ${job && (job.status === 'pending' || job.status === 'running') && html`<p>${t('export_running')}</p><progress aria-label=${t('export_running')}></progress>`}
    ${job && job.status === 'done' && html`<p>${t('export_ready')} ${job.size ? formatBytes(job.size) : ''}</p>
      <a class="button button-primary" href=${job.download_url} download=${job.filename}>${t('download_zip')}</a>`}
    ${job && job.status === 'failed' && html`<${Banner} error=${t('export_failed', { reason: job.reason || '' })} />`}
  <//>`;
}

function Delete({ customer, onClose }) {
  const [problem, setProblem] = useState(null);
  const remove = async () => {
    try {
      await api('DELETE', '/customers/' + customer.id);
      announce(t('customer_deleted', { name: customer.name }));
      navigate(['customers'], { deleted: customer.name });
    } catch (error) { setProblem(error); }
  };
  return html`<${Dialog} title=${t('delete_title')} onClose=${onClose}>
    <p>${t('delete_names', { name: customer.name, files: formatNumber(customer.files_count), links: formatNumber(customer.links_count) })}</p>
    <${Banner} error=${problem} />
    <div class="actions"><button type="button" class="button button-danger" onClick=${remove}>${t('delete_title')}</button>
      <button type="button" class="button" autofocus onClick=${onClose}>${t('cancel')}</button></div>
  <//>`;
}
