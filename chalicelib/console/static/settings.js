import { html } from './ui.js';
export function Settings() { return html`<p>settings</p>`; }
