// The public API with the staff bearer token. Errors come back as ApiError (the contract's JSON error) or
// NetworkError (no answer: offer a retry); a 401 ends the session, which leads to sign-in.
import { apiBase, expire, getSession } from './auth.js';

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || 'HTTP ' + status);
    this.status = status;
    this.code = error.code || 'error';
    this.details = Array.isArray(error.details) ? error.details : [];
  }
  /** Field errors by field name (`name`, `attributes.<id>`, ...). */
  fields() {
    const found = {};
    for (const detail of this.details) if (detail && detail.field) found[detail.field] = detail.message;
    return found;
  }
}

export class NetworkError extends Error {}

export let requestCount = 0;

/** `extraHeaders`: e.g. an `Idempotency-Key`, so a repeated request returns what the first one did. */
export async function api(method, path, body, extraHeaders) {
  const session = getSession();
  const headers = { ...extraHeaders };
  if (session) headers.Authorization = 'Bearer ' + session.token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let reply;
  try {
    requestCount += 1;
    reply = await fetch(apiBase + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store',
    });
  } catch (cause) {
    throw new NetworkError(cause.message);
  }
  const text = await reply.text();
  let payload = null;
  try { payload = text ? JSON.parse(text) : null; } catch { payload = null; }
  if (reply.status === 401) { expire('session_ended'); throw new ApiError(401, payload); }
  if (!reply.ok) throw new ApiError(reply.status, payload);
  return payload;
}

export const query = params => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, value);
  const text = search.toString();
  return text ? '?' + text : '';
};

/** A presigned POST straight to S3 with progress (XHR: fetch has no upload progress). */
export function postToBucket(presigned, file, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [key, value] of Object.entries(presigned.fields)) form.append(key, value);
    form.append('file', file);
    const request = new XMLHttpRequest();
    request.open('POST', presigned.url);
    request.upload.onprogress = event => { if (event.lengthComputable) onProgress(Math.round((event.loaded / event.total) * 100)); };
    request.onload = () => (request.status < 300 ? resolve() : reject(new ApiError(request.status, null)));
    request.onerror = () => reject(new NetworkError('upload'));
    request.send(form);
  });
}
