import { html } from './ui.js';
export function ReviewInbox() { return html`<p>review</p>`; }
