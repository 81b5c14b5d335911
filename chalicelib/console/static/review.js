// Prüfen: every received file waiting for review across customers, newest first, reviewed in place with a
// preview beside it. Keyboard: j/k next/previous, c checked, r needs clarification (focus the comment).
import { useEffect, useState } from './preact-htm.module.js';
import { api, query } from './api.js';
import { formatDateTime, t } from './i18n.js';
import { Banner, ReviewBadge, html, href, navigate, useLoad } from './ui.js';
import { PreviewBody, ReviewControls, reviewFile } from './customer.js';
import { announce } from './ui.js';

export function ReviewInbox({ route }) {
  const filter = route.params.get('review') === 'needs_clarification' ? 'needs_clarification' : 'pending';
  const inbox = useLoad(() => api('GET', '/files' + query({ review: filter, limit: 50 })), [filter]);
  const attributes = useLoad(() => api('GET', '/attributes?limit=200'), []);
  const [selected, setSelected] = useState(0);
  const [clarify, setClarify] = useState(0);
  const [problem, setProblem] = useState(null);
  const items = inbox.data ? inbox.data.items : [];
  const file = items[Math.min(selected, items.length - 1)];
  useEffect(() => setSelected(0), [filter]);
  useEffect(() => setClarify(0), [file && file.id]);

  const reviewed = updated => {
    // A file that left this inbox goes; the next one is selected.
    inbox.setData(data => ({ ...data, items: updated.review === filter ? data.items.map(f => (f.id === updated.id ? { ...f, ...updated } : f))
      : data.items.filter(f => f.id !== updated.id) }));
  };
  useEffect(() => {
    const onKey = async event => {
      if (event.target.closest && event.target.closest('input, textarea, select, [contenteditable]')) return;
      if (event.ctrlKey || event.metaKey || event.altKey || !items.length) return;
      if (event.key === 'j') { setSelected(i => Math.min(i + 1, items.length - 1)); event.preventDefault(); }
      if (event.key === 'k') { setSelected(i => Math.max(i - 1, 0)); event.preventDefault(); }
      if (event.key === 'c' && file) {
        event.preventDefault();
        try {
          const updated = await reviewFile(file.customer.id, file, 'checked');
          announce(t('reviewed', { name: file.filename, state: t('review_checked') }));
          reviewed({ ...updated, customer: file.customer });
        } catch (error) { setProblem(error); }
      }
      if (event.key === 'r' && file) {
        event.preventDefault();
        setClarify(n => n + 1);
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [items, file, filter]);
  useEffect(() => {
    const row = file && document.querySelector(`tr[data-file="${file.id}"]`);
    if (row && row.scrollIntoView) row.scrollIntoView({ block: 'nearest' });
  }, [file && file.id]);

  const areaName = id => (id === 'general' ? t('general_area') : ((attributes.data && attributes.data.items.find(a => a.id === id)) || { name: id }).name);
  return html`<div class="screen">
    <div class="screen-head"><h1>${t('review_title')}</h1>
      <div class="chips" role="group" aria-label=${t('review_filter')}>
        ${[['pending', 'review_inbox_pending'], ['needs_clarification', 'review_inbox_clarify']].map(([value, label]) => html`
          <button type="button" class=${'chip' + (filter === value ? ' chip-on' : '')} aria-pressed=${filter === value ? 'true' : 'false'}
            onClick=${() => navigate(['review'], { review: value === 'pending' ? '' : value })}>${t(label)}</button>`)}
      </div></div>
    <p class="muted">${t('review_keys')}</p>
    <${Banner} error=${problem || inbox.error} onRetry=${inbox.reload} />
    ${inbox.loading && !inbox.data && html`<p role="status">${t('loading')}</p>`}
    ${inbox.data && !items.length && html`<p class="empty card">${t('review_empty')}</p>`}
    ${items.length > 0 && html`<div class="review-layout">
      <div class="table-wrap"><table class="table inbox">
        <caption class="sr-only">${t('review_title')}</caption>
        <thead><tr><th scope="col">${t('col_file')}</th><th scope="col">${t('col_customer')}</th><th scope="col">${t('col_area')}</th><th scope="col">${t('col_received')}</th></tr></thead>
        <tbody>${items.map((f, index) => html`<tr key=${f.id} data-file=${f.id} class=${'row-link' + (f === file ? ' row-selected' : '')}
            onClick=${() => setSelected(index)}>
          <td><button type="button" class="link-button" aria-current=${f === file ? 'true' : undefined} onClick=${() => setSelected(index)}>${f.filename}</button></td>
          <td><a href=${href(['customers', f.customer.id, 'documents'])}>${f.customer.name}</a></td>
          <td>${areaName(f.area)}</td><td>${formatDateTime(f.uploaded_at)}</td></tr>`)}</tbody>
      </table></div>
      ${file && html`<section class="card" aria-labelledby="review-file-h">
        <h2 id="review-file-h">${file.filename}</h2>
        <p class="muted">${file.customer.name} · ${areaName(file.area)} · <${ReviewBadge} review=${file.review} /></p>
        <${ReviewControls} key=${file.id} customerId=${file.customer.id} file=${file} clarifyOpen=${clarify}
          onReviewed=${updated => reviewed({ ...updated, customer: file.customer })} />
        <${PreviewBody} customerId=${file.customer.id} file=${file} inline />
      </section>`}
    </div>`}
  </div>`;
}
