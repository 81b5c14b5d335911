// Freigaben: staff ask the customer to approve a document they sent (one already sent, or a file uploaded now as
// sent), and read each answer: the decision, who signed, when, from which IP and browser, the SHA-256 of the exact
// document version and the signature image. The image and the pinned version come from the one approval's route
// (an audited read, like a file download), only when asked for.
import { useRef, useState } from './preact-htm.module.js';
import { api, postToBucket, ApiError } from './api.js';
import { formatDateTime, t } from './i18n.js';
import { Banner, Field, announce, errorText, html, useLoad } from './ui.js';

const NEW_FILE = '__new__';
const customerPath = (customer, rest) => '/customers/' + encodeURIComponent(customer.id) + rest;
const stateOf = approval => approval.decision || 'open';

/** The Freigaben tab of a customer's record. */
export function Approvals({ customer }) {
  const approvals = useLoad(() => api('GET', customerPath(customer, '/approvals')), [customer.id]);
  const sent = useLoad(() => api('GET', customerPath(customer, '/files?direction=sent&limit=200')), [customer.id]);
  const portal = customer.portal || {};
  const items = approvals.data ? approvals.data.items : [];
  return html`<div class="approvals">
    <${Request} customer=${customer} files=${sent.data ? sent.data.items.filter(f => !f.deleting && !f.reject_reason) : null}
      onSent=${() => { approvals.reload(); sent.reload(); }} />
    ${(portal.enabled === false || (portal.permissions && portal.permissions.approve_documents === false)) && html`
      <p class="banner banner-info">${portal.enabled === false ? t('approval_portal_off') : t('approval_not_permitted')}</p>`}
    <section class="card" aria-labelledby="approvals-h">
      <div class="screen-head"><h2 id="approvals-h">${t('approvals')}</h2>
        <button type="button" class="button" onClick=${() => { approvals.reload(); announce(t('approvals_refreshed')); }}>${t('refresh')}</button></div>
      <${Banner} error=${approvals.error || sent.error} onRetry=${() => { approvals.reload(); sent.reload(); }} />
      ${!approvals.data && !approvals.error && html`<p role="status">${t('loading')}</p>`}
      ${approvals.data && !items.length && html`<p class="muted">${t('approvals_none')}</p>`}
      ${items.length > 0 && html`<ul class="approval-list">${items.map(a => html`<${ApprovalItem} key=${a.id} customer=${customer} approval=${a} />`)}</ul>`}
    </section>
  </div>`;
}

function Request({ customer, files, onSent }) {
  const [fileId, setFileId] = useState('');
  const [upload, setUpload] = useState(null);
  const [message, setMessage] = useState('');
  const [errors, setErrors] = useState({});
  const [problem, setProblem] = useState(null);
  const [progress, setProgress] = useState(null);
  const picker = useRef(null);
  const chosen = fileId || (files && files.length ? files[0].id : NEW_FILE);

  // A new document goes to the customer as a sent file; it can be asked about once its upload is stored.
  const uploadNew = async () => {
    setProgress(t('approval_uploading', { name: upload.name }));
    const presigned = await api('POST', customerPath(customer, '/files'), {
      filename: upload.name, size: upload.size, content_type: upload.type || 'application/octet-stream', area: 'general', direction: 'sent',
    });
    await postToBucket(presigned, upload, () => {});
    setProgress(t('approval_processing', { name: upload.name }));
    for (let attempt = 0; attempt < 30; attempt += 1) {
      const listed = await api('GET', customerPath(customer, '/files?direction=sent&limit=200'));
      if (listed.items.some(f => f.id === presigned.file_id)) return presigned.file_id;
      await new Promise(resolve => setTimeout(resolve, 1000));
    }
    throw new Error(t('approval_upload_slow'));
  };

  const submit = async event => {
    event.preventDefault();
    setErrors({}); setProblem(null);
    if (chosen === NEW_FILE && !upload) {
      setErrors({ file_id: t('approval_choose_file') });
      if (picker.current) picker.current.focus();
      return;
    }
    try {
      const id = chosen === NEW_FILE ? await uploadNew() : chosen;
      setProgress(null);
      const made = await api('POST', customerPath(customer, '/approvals'), { file_id: id, message: message.trim() });
      announce(t('approval_requested', { name: made.filename }));
      setMessage(''); setUpload(null); setFileId('');
      if (picker.current) picker.current.value = '';
      onSent();
    } catch (error) {
      setProgress(null);
      if (error instanceof ApiError && error.details.length) setErrors(error.fields()); else setProblem(error);
      announce(t('approval_failed', { reason: errorText(error) }));
    }
  };

  return html`<section class="card" aria-labelledby="approval-new-h">
    <h2 id="approval-new-h">${t('approval_new')}</h2>
    <p class="muted">${t('approval_new_hint')}</p>
    <form class="form approval-form" onSubmit=${submit} novalidate>
      <${Banner} error=${problem} />
      ${files === null ? html`<p role="status">${t('loading')}</p>` : html`
        <${Field} label=${t('approval_document')} name="file_id" error=${chosen !== NEW_FILE ? errors.file_id : undefined}>${props => html`<select ...${props}
            value=${chosen} onChange=${e => { setFileId(e.target.value); setErrors({}); }}>
          ${files.map(f => html`<option value=${f.id}>${f.filename} (${formatDateTime(f.uploaded_at)})</option>`)}
          <option value=${NEW_FILE}>${t('approval_upload_new')}</option>
        </select>`}<//>
        ${chosen === NEW_FILE && html`<${Field} label=${t('approval_file')} name="upload" error=${errors.file_id}
            hint=${t('approval_file_hint')}>${props => html`<input ...${props} ref=${picker} type="file"
            onChange=${e => { setUpload(e.target.files[0] || null); setErrors({}); }} />`}<//>`}`}
      <${Field} label=${t('approval_message')} name="message" error=${errors.message}>${props => html`<textarea ...${props}
        rows="3" maxlength="2000" value=${message} onInput=${e => setMessage(e.target.value)}></textarea>`}<//>
      ${progress && html`<p role="status">${progress}</p>`}
      <div class="actions"><button type="submit" class="button button-primary" disabled=${Boolean(progress) || files === null}>${t('approval_send')}</button></div>
    </form>
  </section>`;
}

function ApprovalItem({ customer, approval }) {
  const [detail, setDetail] = useState(null);
  const [open, setOpen] = useState(false);
  const [problem, setProblem] = useState(null);
  const state = stateOf(approval);
  const imageId = 'signature-' + approval.id;
  // Each opening fetches fresh short-lived URLs (and is one entry in the audit log).
  const toggle = async () => {
    if (open) { setOpen(false); return; }
    setProblem(null);
    try {
      setDetail(await api('GET', customerPath(customer, '/approvals/' + encodeURIComponent(approval.id))));
      setOpen(true);
      announce(t(approval.decision ? 'approval_signature_shown' : 'approval_document_ready', { name: approval.filename }));
    } catch (error) { setProblem(error); }
  };
  return html`<li data-approval=${approval.id} data-state=${state}>
    <div class="approval-head">
      <span class="file-name"><strong>${approval.filename}</strong><br />
        <span class="muted">${t('approval_requested_at', { d: formatDateTime(approval.requested_at) })}</span></span>
      <span class=${'badge approval-' + state}>${t('approval_state_' + state)}</span>
    </div>
    ${approval.message && html`<p class="pre">${t('approval_your_message')}: ${approval.message}</p>`}
    ${approval.decision && html`<dl class="props approval-evidence">
      <dt>${t('approval_decision')}</dt><dd>${t('approval_state_' + state)}</dd>
      <dt>${t('approval_signer')}</dt><dd>${approval.signer_name}</dd>
      <dt>${t('approval_signed_at')}</dt><dd><time datetime=${approval.signed_at}>${formatDateTime(approval.signed_at)}</time></dd>
      <dt>${t('approval_comment')}</dt><dd class="pre">${approval.comment || t('none')}</dd>
      <dt>${t('approval_ip')}</dt><dd>${approval.ip || t('none')}</dd>
      <dt>${t('approval_user_agent')}</dt><dd class="approval-wrap">${approval.user_agent || t('none')}</dd>
      <dt>${t('approval_sha256')}</dt><dd><code class="approval-wrap">${approval.document_sha256}</code></dd>
    </dl>`}
    <div class="actions">
      <button type="button" class="button" aria-expanded=${open ? 'true' : 'false'} aria-controls=${open ? imageId : undefined} onClick=${toggle}>
        ${approval.decision ? t('approval_show_signature') : t('approval_show_document')}<span class="sr-only">: ${approval.filename}</span></button>
    </div>
    <${Banner} error=${problem} />
    ${open && detail && html`<div id=${imageId} class="approval-detail">
      ${detail.signature_url && html`<figure class="signature-figure">
        <img class="signature-image" src=${detail.signature_url} alt=${t('approval_signature_of', { name: approval.signer_name })} />
        <figcaption class="muted">${t('approval_signature_caption', { name: approval.signer_name, d: formatDateTime(approval.signed_at) })}</figcaption>
      </figure>`}
      ${detail.download_url ? html`<a class="button" href=${detail.download_url} download=${approval.filename} rel="noopener">${t('approval_download_version')}<span class="sr-only">: ${approval.filename}</span></a>`
        : html`<p class="muted">${t('approval_document_gone')}</p>`}
    </div>`}
  </li>`;
}
