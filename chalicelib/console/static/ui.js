// Shared components and hooks of the console: banners, fields, dialogs, badges, the live region, routing.
import { html, useEffect, useRef, useState, useCallback } from './preact-htm.module.js';
import { ApiError, NetworkError } from './api.js';
import { t } from './i18n.js';

export { html };

// --- routing: `#/customers/<id>/documents?x=y` -------------------------------------------------------------

export function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, search] = raw.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(search || '') };
}

export function href(parts, params) {
  const path = '#/' + parts.map(encodeURIComponent).join('/');
  const search = params ? new URLSearchParams(Object.entries(params).filter(([, v]) => v)).toString() : '';
  return search ? path + '?' + search : path;
}

export const navigate = (parts, params) => { location.hash = href(parts, params); };
/** Changes the hash without a history entry (search as you type). */
export const replaceRoute = (parts, params) => {
  history.replaceState(null, '', href(parts, params));
  window.dispatchEvent(new HashChangeEvent('hashchange'));
};

// --- the live region: progress and results for screen readers ---------------------------------------------

export function announce(text) {
  const region = document.getElementById('live');
  if (!region) return;
  region.textContent = '';
  setTimeout(() => { region.textContent = text; }, 30);
}

// --- data --------------------------------------------------------------------------------------------------

/** Loads with `load()` whenever `keys` change: {data, error, loading, reload, setData}. */
export function useLoad(load, keys) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const generation = useRef(0);
  const reload = useCallback(() => {
    const mine = ++generation.current;
    setState(previous => ({ ...previous, loading: true, error: null }));
    load().then(
      data => { if (mine === generation.current) setState({ data, error: null, loading: false }); },
      error => { if (mine === generation.current) setState(previous => ({ data: previous.data, error, loading: false })); },
    );
  }, keys);
  useEffect(reload, [reload]);
  const setData = data => setState(previous => ({ ...previous, data: typeof data === 'function' ? data(previous.data) : data }));
  return { ...state, reload, setData };
}

export function errorText(error) {
  if (!error) return '';
  if (error instanceof NetworkError) return t('network_error');
  if (error instanceof ApiError) return error.message;
  return String(error.message || error);
}

// --- components ------------------------------------------------------------------------------------------

export function Banner({ error, onRetry, kind }) {
  if (!error) return null;
  const text = typeof error === 'string' ? error : errorText(error);
  const retry = onRetry && (error instanceof NetworkError || (error instanceof ApiError && error.status >= 500));
  return html`<div class=${'banner banner-' + (kind || 'error')} role=${kind === 'ok' ? 'status' : 'alert'}>
    <span>${text}</span>
    ${retry && html`<button type="button" class="button" onClick=${onRetry}>${t('retry')}</button>`}
  </div>`;
}

let fieldCounter = 0;
export function useId(prefix) {
  const id = useRef(null);
  if (id.current === null) id.current = (prefix || 'f') + '-' + ++fieldCounter;
  return id.current;
}

/** A labelled form field whose error is tied to its input (aria-describedby, aria-invalid). */
export function Field({ label, error, required, hint, children, name }) {
  const id = useId('field');
  const errorId = id + '-error';
  const hintId = id + '-hint';
  const described = [error && errorId, hint && hintId].filter(Boolean).join(' ') || undefined;
  const control = typeof children === 'function' ? children({ id, 'aria-describedby': described, 'aria-invalid': error ? 'true' : undefined, required }) : children;
  return html`<div class=${'field' + (error ? ' has-error' : '')} data-field=${name}>
    <label for=${id}>${label}${required && html`<span class="required" aria-hidden="true"> *</span>`}</label>
    ${control}
    ${hint && html`<p class="hint" id=${hintId}>${hint}</p>`}
    ${error && html`<p class="field-error" id=${errorId}>${error}</p>`}
  </div>`;
}

/** A modal dialog (native <dialog>: focus stays inside, Escape closes, focus returns to the opener). */
export function Dialog({ title, onClose, children, wide }) {
  const ref = useRef(null);
  const opener = useRef(document.activeElement);
  useEffect(() => {
    const dialog = ref.current;
    dialog.showModal();
    const first = dialog.querySelector('[autofocus], input, select, textarea, button:not(.dialog-close)');
    if (first) first.focus();
    return () => { if (opener.current && opener.current.focus) opener.current.focus(); };
  }, []);
  const id = useId('dialog');
  return html`<dialog ref=${ref} class=${'dialog' + (wide ? ' dialog-wide' : '')} aria-labelledby=${id}
      onCancel=${event => { event.preventDefault(); onClose(); }}>
    <div class="dialog-head">
      <h2 id=${id}>${title}</h2>
      <button type="button" class="button-icon dialog-close" aria-label=${t('close')} onClick=${onClose}>×</button>
    </div>
    ${children}
  </dialog>`;
}

export function StatusBadge({ status }) {
  return html`<span class=${'badge badge-' + status}>${t('status_' + status)}</span>`;
}

export function ReviewBadge({ review }) {
  return html`<span class=${'badge review-' + review}>${t('review_' + review)}</span>`;
}

/** An input for an attribute's type; `value` and `onInput(value)` in the API's JSON types. */
export function AttributeInput({ attribute, value, onInput, props }) {
  const common = { ...props, name: attribute.id };
  switch (attribute.type) {
    case 'multiline_text':
      return html`<textarea ...${common} rows="3" value=${value ?? ''} onInput=${e => onInput(e.target.value)}></textarea>`;
    case 'boolean':
      return html`<select ...${common} value=${value === true ? 'true' : value === false ? 'false' : ''}
          onChange=${e => onInput(e.target.value === '' ? null : e.target.value === 'true')}>
        <option value="">${t('please_choose')}</option><option value="true">${t('yes')}</option><option value="false">${t('no')}</option>
      </select>`;
    case 'number':
    case 'decimal':
      return html`<input ...${common} type="text" inputmode=${attribute.type === 'number' ? 'numeric' : 'decimal'}
          value=${value ?? ''} onInput=${e => onInput(e.target.value)} />`;
    case 'select':
      return html`<select ...${common} value=${value ?? ''} onChange=${e => onInput(e.target.value || null)}>
        <option value="">${t('please_choose')}</option>
        ${attribute.options.map(option => html`<option value=${option}>${option}</option>`)}
      </select>`;
    case 'date':
      return html`<input ...${common} type="date" value=${value ?? ''} onInput=${e => onInput(e.target.value)} />`;
    case 'time':
      return html`<input ...${common} type="time" value=${value ?? ''} onInput=${e => onInput(e.target.value)} />`;
    default:
      return html`<input ...${common} type="text" value=${value ?? ''} onInput=${e => onInput(e.target.value)} />`;
  }
}

/** A typed value as the API wants it: numbers as numbers (a German decimal comma is accepted), empty as null. */
export function attributeValue(attribute, raw) {
  if (raw === '' || raw === undefined) return null;
  if ((attribute.type === 'number' || attribute.type === 'decimal') && typeof raw === 'string') {
    const normal = raw.trim().replace(/\s/g, '').replace(/\.(?=\d{3}(\D|$))/g, '').replace(',', '.');
    const number = Number(normal);
    return normal !== '' && Number.isFinite(number) ? number : raw;
  }
  return raw;
}

/** An info attribute's text in the console's language (German when there is no English one). */
export const infoText = attribute => (document.documentElement.lang === 'en' && attribute.text_en) || attribute.text || '';

export function displayValue(attribute, value) {
  if (attribute.type === 'info') return infoText(attribute);
  if (value === null || value === undefined || value === '') return t('none');
  if (attribute.type === 'boolean') return value ? t('yes') : t('no');
  if (attribute.type === 'signature') {
    const at = value.signed_at && new Date(value.signed_at).toLocaleString(document.documentElement.lang === 'en' ? 'en-GB' : 'de-DE',
      { day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' });
    return at ? t('signature_signed_at', { d: at }) : t('signature_signed');
  }
  if (attribute.type === 'date') {
    return new Date(value + 'T00:00:00Z').toLocaleDateString(document.documentElement.lang === 'en' ? 'en-GB' : 'de-DE',
      { timeZone: 'UTC', day: '2-digit', month: '2-digit', year: 'numeric' });
  }
  if (attribute.type === 'decimal' || attribute.type === 'number') return Number(value).toLocaleString(document.documentElement.lang === 'en' ? 'en-GB' : 'de-DE');
  return String(value);
}

/** A component from a module loaded on first use (`load`: `() => import('./x.js')`), so screens that few visits
 * need stay out of the console's first load; a failed load offers a retry. */
export function Lazy({ load, name, props }) {
  const [state, setState] = useState({ module: null, error: null, attempt: 0 });
  useEffect(() => {
    load().then(module => setState(s => ({ ...s, module, error: null })),
      () => setState(s => ({ ...s, error: new NetworkError('module') })));
  }, [state.attempt]);
  if (state.error) return html`<${Banner} error=${state.error} onRetry=${() => setState(s => ({ ...s, error: null, attempt: s.attempt + 1 }))} />`;
  const Component = state.module && state.module[name];
  return Component ? html`<${Component} ...${props} />` : html`<p role="status">${t('loading')}</p>`;
}
