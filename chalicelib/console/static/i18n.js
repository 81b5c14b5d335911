// Texts in German (first) and English, and German/English formats for dates, numbers and sizes.
// The language comes from the switch (remembered in localStorage: a preference, not a secret) or the browser.
const T = {
  app: ['Dossier', 'Dossier'],
  nav: ['Hauptnavigation', 'Main navigation'],
  customers: ['Kunden', 'Customers'],
  review: ['Prüfen', 'Review'],
  settings: ['Einstellungen', 'Settings'],
  sign_out: ['Abmelden', 'Sign out'],
  language: ['Sprache', 'Language'],
  skip: ['Zum Inhalt springen', 'Skip to content'],
  loading: ['Lädt …', 'Loading …'],
  saving: ['Speichert …', 'Saving …'],
  saved: ['Gespeichert.', 'Saved.'],
  save: ['Speichern', 'Save'],
  cancel: ['Abbrechen', 'Cancel'],
  close: ['Schließen', 'Close'],
  delete: ['Löschen', 'Delete'],
  edit: ['Bearbeiten', 'Edit'],
  retry: ['Erneut versuchen', 'Try again'],
  more: ['Weitere laden', 'Load more'],
  yes: ['Ja', 'Yes'],
  no: ['Nein', 'No'],
  none: ['—', '—'],
  required: ['Pflichtfeld', 'required'],
  please_choose: ['Bitte wählen', 'Please choose'],
  network_error: ['Keine Verbindung zum Server. Bitte prüfen Sie Ihre Internetverbindung.', 'Cannot reach the server. Please check your connection.'],
  check_fields: ['Bitte prüfen Sie die markierten Felder.', 'Please check the marked fields.'],
  session_ended: ['Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.', 'Your session has ended. Please sign in again.'],
  not_found: ['Nicht gefunden.', 'Not found.'],
  // sign-in
  sign_in: ['Anmelden', 'Sign in'],
  sign_in_title: ['Anmeldung bei Dossier', 'Sign in to Dossier'],
  sign_in_local: ['Öffnen Sie die Anmelde-Adresse, die „make run“ ausgibt, oder fügen Sie einen Zugangstoken von „make token“ ein.', 'Open the sign-in URL that “make run” prints, or paste a token from “make token”.'],
  sign_in_oidc: ['Sie werden zur Anmeldeseite Ihres Unternehmens weitergeleitet.', 'You will be taken to your organisation’s sign-in page.'],
  token: ['Zugangstoken', 'Access token'],
  signing_in: ['Anmeldung läuft …', 'Signing in …'],
  login_failed: ['Die Anmeldung ist fehlgeschlagen. Die Anmelde-Adresse gilt nur einmal: Starten Sie „make run“ neu oder nutzen Sie „make token“.', 'Sign-in failed. The sign-in URL works once: restart “make run” or use “make token”.'],
  signed_in_as: ['Angemeldet: {user} ({role})', 'Signed in: {user} ({role})'],
  role_admin: ['Admin', 'admin'],
  role_member: ['Mitglied', 'member'],
  // customers
  customers_title: ['Kundenverwaltung', 'Customers'],
  search: ['Suche', 'Search'],
  search_placeholder: ['Name, E-Mail oder Firma – z. B. Schmidt oder @gmail.com', 'Name, e-mail or company – e.g. Schmidt or @gmail.com'],
  status: ['Status', 'Status'],
  status_all: ['Alle', 'All'],
  status_open: ['Offen', 'Open'],
  status_partial: ['Teilweise', 'Partial'],
  status_complete: ['Vollständig', 'Complete'],
  group: ['Kundengruppe', 'Group'],
  all_groups: ['Alle Gruppen', 'All groups'],
  add_customer: ['Kunde hinzufügen', 'Add customer'],
  col_name: ['Name', 'Name'],
  col_links: ['Aktive Links', 'Active links'],
  col_files: ['Dateien', 'Files'],
  col_last_upload: ['Letzter Upload', 'Last upload'],
  n_customers: ['{n} Kunden angezeigt', '{n} customers shown'],
  no_match: ['Keine Kunden gefunden. Ändern Sie die Suche oder die Filter.', 'No customers found. Change the search or the filters.'],
  empty_title: ['Noch keine Kunden', 'No customers yet'],
  empty_1: ['Kundengruppen anlegen (Einstellungen → Gruppen), z. B. Stammkunden und Neukunden.', 'Create groups (Settings → Groups), e.g. regular and new customers.'],
  empty_2: ['Kunden anlegen mit „Kunde hinzufügen“ – nur der Name ist Pflicht.', 'Add customers with “Add customer” – only the name is required.'],
  empty_3: ['Attribute und Upload-Bereiche festlegen (Einstellungen → Attribute), dann Upload-Links senden.', 'Define fields and upload areas (Settings → Fields), then send upload links.'],
  name: ['Name', 'Name'],
  email: ['E-Mail', 'E-mail'],
  company: ['Firma', 'Company'],
  phone: ['Telefon', 'Phone'],
  notes: ['Notizen', 'Notes'],
  groups: ['Kundengruppen', 'Groups'],
  portal_enabled: ['Kundenportal aktiv', 'Customer portal on'],
  email_tip: ['Tipp: Eine E-Mail-Adresse ermöglicht das direkte Versenden von Upload-Links per E-Mail.', 'Tip: with an e-mail address you can send upload links directly.'],
  customer_created: ['Kunde „{name}“ angelegt.', 'Customer “{name}” created.'],
  // customer page
  customer_record: ['Kundenakte', 'Customer record'],
  number: ['Nr. {n}', 'No. {n}'],
  tab_overview: ['Übersicht', 'Overview'],
  tab_documents: ['Dokumente', 'Documents'],
  tab_links: ['Links', 'Links'],
  tab_activity: ['Verlauf', 'Activity'],
  sections: ['Bereiche der Kundenakte', 'Sections of the record'],
  contact: ['Kontakt', 'Contact'],
  custom_fields: ['Kundenattribute', 'Custom fields'],
  change_status: ['Status ändern', 'Change status'],
  create_link: ['Link erstellen', 'Create link'],
  merge: ['Zusammenführen', 'Merge'],
  export: ['Exportieren', 'Export'],
  back_to_list: ['Zurück zur Kundenliste', 'Back to customers'],
  received: ['Empfangene Dateien', 'Received files'],
  sent: ['Gesendete Dateien', 'Sent files'],
  general_area: ['Allgemeine Dokumente', 'General documents'],
  no_files: ['Noch keine Dateien.', 'No files yet.'],
  drop_here: ['Dateien hierher ziehen oder', 'Drop files here or'],
  choose_files: ['Dateien auswählen', 'Choose files'],
  uploading: ['{name} wird hochgeladen: {p} %', 'Uploading {name}: {p} %'],
  uploaded: ['{name} hochgeladen.', '{name} uploaded.'],
  upload_failed: ['{name} konnte nicht hochgeladen werden: {reason}', '{name} could not be uploaded: {reason}'],
  upload_to: ['Hochladen nach', 'Upload to'],
  direction: ['Richtung', 'Direction'],
  to_customer: ['An den Kunden senden', 'Send to the customer'],
  preview: ['Vorschau', 'Preview'],
  download: ['Herunterladen', 'Download'],
  review_pending: ['Ungeprüft', 'Not reviewed'],
  review_checked: ['geprüft', 'checked'],
  review_needs_clarification: ['Rückfrage', 'Needs clarification'],
  review_rejected: ['Abgewiesen', 'Rejected'],
  mark_checked: ['Geprüft', 'Checked'],
  mark_clarify: ['Rückfrage', 'Clarify'],
  comment: ['Kommentar für den Kunden', 'Comment for the customer'],
  send_clarify: ['Rückfrage senden', 'Send'],
  confirm_delete_file: ['Datei „{name}“ löschen? Sie ist danach nicht mehr abrufbar.', 'Delete “{name}”? It cannot be recovered.'],
  file_deleted: ['Datei „{name}“ gelöscht.', 'File “{name}” deleted.'],
  no_preview: ['Für diesen Dateityp gibt es keine Vorschau.', 'No preview for this file type.'],
  links_title: ['Upload-Links', 'Upload links'],
  link_areas: ['Upload-Bereiche', 'Upload areas'],
  link_fields: ['Felder zum Ausfüllen', 'Fields to fill in'],
  link_message: ['Nachricht an den Kunden', 'Message to the customer'],
  link_expiry: ['Gültig (Tage)', 'Valid (days)'],
  link_send: ['Per E-Mail senden', 'Send by e-mail'],
  link_created: ['Link erstellt. Die Adresse wird nur jetzt angezeigt:', 'Link created. The URL is shown only now:'],
  copy_link: ['Link kopieren', 'Copy link'],
  copied: ['Link kopiert.', 'Link copied.'],
  resend: ['Erneut senden', 'Send again'],
  revoke: ['Widerrufen', 'Revoke'],
  link_state_active: ['Aktiv', 'Active'],
  link_state_expired: ['Abgelaufen', 'Expired'],
  link_state_revoked: ['Widerrufen', 'Revoked'],
  expires: ['Gültig bis {d}', 'Valid until {d}'],
  sent_n: ['{n}× gesendet', 'sent {n}×'],
  link_resent: ['Link erneut gesendet (neue Adresse; die alte gilt nicht mehr).', 'Link sent again (new URL; the old one stopped working).'],
  link_revoked: ['Link widerrufen.', 'Link revoked.'],
  no_links: ['Noch keine Links.', 'No links yet.'],
  no_email: ['Für den Versand per E-Mail braucht der Kunde eine E-Mail-Adresse.', 'Sending by e-mail needs the customer’s e-mail address.'],
  activity: ['Aktivitätsverlauf', 'Activity'],
  no_activity: ['Noch kein Verlauf.', 'No activity yet.'],
  merge_title: ['Zusammenführen mit …', 'Merge with …'],
  merge_search: ['Doppelten Kunden suchen', 'Find the duplicate'],
  merge_hint: ['Dateien, Links, Verlauf und Werte des anderen Kunden wandern hierher; der andere Kunde wird danach gelöscht. Wählen Sie je Feld, welcher Wert bleibt.', 'Files, links, history and values of the other customer move here; the other customer is then removed. Choose which value stays for each field.'],
  keep_this: ['Dieser Kunde', 'This customer'],
  keep_other: ['Anderer Kunde', 'Other customer'],
  field: ['Feld', 'Field'],
  merge_done: ['Kunden zusammengeführt.', 'Customers merged.'],
  export_title: ['Kundendaten exportieren', 'Export customer data'],
  export_running: ['Export läuft …', 'Export running …'],
  export_ready: ['Export fertig.', 'Export ready.'],
  export_failed: ['Export fehlgeschlagen: {reason}', 'Export failed: {reason}'],
  download_zip: ['ZIP herunterladen', 'Download ZIP'],
  delete_title: ['Kunde löschen', 'Delete customer'],
  delete_names: ['Löscht „{name}“ mit {files} Dateien, {links} Links und dem Verlauf. Das kann nicht rückgängig gemacht werden.', 'Deletes “{name}” with {files} files, {links} links and the history. This cannot be undone.'],
  delete_type: ['Zur Bestätigung den Namen eingeben', 'Type the name to confirm'],
  customer_deleted: ['Kunde „{name}“ wird gelöscht.', 'Customer “{name}” is being deleted.'],
  // review
  review_title: ['Prüfen', 'Review'],
  review_filter: ['Anzeigen', 'Show'],
  review_inbox_pending: ['Ungeprüft', 'Not reviewed'],
  review_inbox_clarify: ['Mit Rückfrage', 'Needs clarification'],
  review_empty: ['Alles geprüft – keine Dateien warten.', 'All reviewed – no files waiting.'],
  review_keys: ['Tastatur: j/k nächste/vorige Datei, c geprüft, r Rückfrage', 'Keyboard: j/k next/previous file, c checked, r clarify'],
  col_file: ['Datei', 'File'],
  col_customer: ['Kunde', 'Customer'],
  col_area: ['Bereich', 'Area'],
  col_received: ['Empfangen', 'Received'],
  reviewed: ['„{name}“: {state}.', '“{name}”: {state}.'],
  // settings
  settings_title: ['Einstellungen', 'Settings'],
  set_account: ['Konto & Branding', 'Account & branding'],
  set_portal: ['Kundenportal', 'Customer portal'],
  set_groups: ['Gruppen', 'Groups'],
  set_attributes: ['Attribute & Upload-Bereiche', 'Fields & upload areas'],
  set_exports: ['Exporte', 'Exports'],
  set_intake: ['Neukunden-Link', 'Registration link'],
  admin_only: ['Nur Admins können die Einstellungen ändern.', 'Only admins can change the settings.'],
  account_name: ['Kontoname', 'Account name'],
  company_name: ['Firmenname', 'Company name'],
  contact_email: ['Kontakt-E-Mail', 'Contact e-mail'],
  contact_phone: ['Kontakt-Telefon', 'Contact phone'],
  address: ['Adresse', 'Address'],
  description: ['Beschreibung im Portal', 'Description in the portal'],
  notification_email: ['Benachrichtigungen an (E-Mail)', 'Notifications to (e-mail)'],
  logo: ['Logo (PNG, JPEG, WebP oder GIF, höchstens 1 MB)', 'Logo (PNG, JPEG, WebP or GIF, at most 1 MB)'],
  remove_logo: ['Logo entfernen', 'Remove logo'],
  logo_saved: ['Logo gespeichert.', 'Logo saved.'],
  live_preview: ['Vorschau des Kundenportals', 'Portal preview'],
  preview_hello: ['Hallo Anna Schmidt,', 'Hello Anna Schmidt,'],
  portal_on: ['Kundenportal aktivieren', 'Turn the customer portal on'],
  portal_default: ['Standardmäßig für neue Kunden aktivieren', 'On by default for new customers'],
  usage: ['Speicher: {used} von {quota} belegt · {n} Kunden', 'Storage: {used} of {quota} used · {n} customers'],
  group_name: ['Name der Gruppe', 'Group name'],
  default_group: ['Standardgruppe', 'Default group'],
  add_group: ['Kundengruppe hinzufügen', 'Add group'],
  confirm_delete_group: ['Gruppe „{name}“ löschen? Ihre Kunden verlassen die Gruppe.', 'Delete group “{name}”? Its customers leave it.'],
  no_groups: ['Noch keine Gruppen.', 'No groups yet.'],
  attr_name: ['Bezeichnung', 'Label'],
  attr_type: ['Typ', 'Type'],
  attr_scope: ['Gilt für', 'Applies to'],
  scope_customer: ['Kunde', 'Customer'],
  scope_request: ['Anfrage', 'Request'],
  attr_options: ['Auswahlmöglichkeiten (eine pro Zeile)', 'Options (one per line)'],
  attr_pattern: ['Muster (regulärer Ausdruck, optional)', 'Pattern (regular expression, optional)'],
  attr_in_portal: ['Im Kundenportal zeigen', 'Show in the customer portal'],
  add_attribute: ['Attribut hinzufügen', 'Add field'],
  confirm_delete_attr: ['„{name}“ löschen? Alle Werte dieses Attributs gehen verloren.', 'Delete “{name}”? All its values are lost.'],
  move_up: ['Nach oben', 'Move up'],
  move_down: ['Nach unten', 'Move down'],
  reorder_hint: ['Reihenfolge: ziehen oder mit den Pfeil-Schaltflächen verschieben.', 'Order: drag, or use the arrow buttons.'],
  moved: ['„{name}“ ist jetzt an Position {n}.', '“{name}” is now at position {n}.'],
  no_attributes: ['Noch keine Attribute.', 'No fields yet.'],
  type_text: ['Text (einzeilig)', 'Text (one line)'],
  type_multiline_text: ['Text (mehrzeilig)', 'Text (multi-line)'],
  type_boolean: ['Ja/Nein', 'Yes/No'],
  type_number: ['Zahl', 'Number'],
  type_decimal: ['Dezimalzahl', 'Decimal'],
  type_select: ['Auswahl', 'Choice'],
  type_date: ['Datum', 'Date'],
  type_file: ['Datei-Upload', 'File upload'],
  schedule: ['Täglicher Export (02:00 UTC)', 'Daily export (02:00 UTC)'],
  export_now: ['Jetzt exportieren', 'Export now'],
  export_list: ['Letzte Exporte', 'Recent exports'],
  export_status_pending: ['Wartet', 'Waiting'],
  export_status_running: ['Läuft', 'Running'],
  export_status_done: ['Fertig', 'Done'],
  export_status_failed: ['Fehlgeschlagen', 'Failed'],
  no_exports: ['Noch keine Exporte.', 'No exports yet.'],
  intake_text: ['Mit dem Neukunden-Link registrieren sich neue Kunden selbst (z. B. von Ihrer Website) und landen in der Standardgruppe.', 'With the registration link, new customers register themselves (e.g. from your website) and join the default group.'],
  intake_open: ['Neuen Link erzeugen', 'Create a new link'],
  intake_close: ['Link schließen', 'Close the link'],
  intake_is_open: ['Der Neukunden-Link ist aktiv.', 'The registration link is active.'],
  intake_is_closed: ['Kein Neukunden-Link aktiv.', 'No registration link is active.'],
  intake_shown_once: ['Die Adresse wird nur jetzt angezeigt; ein neuer Link ersetzt den alten.', 'The URL is shown only now; a new link replaces the old one.'],
};

const STORED = 'dossier.console.lang';

function initialLanguage() {
  const stored = globalThis.localStorage?.getItem(STORED);
  if (stored === 'de' || stored === 'en') return stored;
  const browser = (navigator.languages?.[0] || navigator.language || 'de').toLowerCase();
  return browser.startsWith('en') ? 'en' : 'de';
}

export let lang = initialLanguage();

export function setLanguage(value) {
  lang = value;
  localStorage.setItem(STORED, value);
  document.documentElement.lang = value;
}

export function t(key, vars) {
  const entry = T[key];
  let text = entry ? entry[lang === 'en' ? 1 : 0] : key;
  if (vars) for (const [name, value] of Object.entries(vars)) text = text.split('{' + name + '}').join(String(value));
  return text;
}

const locale = () => (lang === 'en' ? 'en-GB' : 'de-DE');

export function formatDate(iso) {
  if (!iso) return t('none');
  return new Date(iso).toLocaleDateString(locale(), { day: '2-digit', month: '2-digit', year: 'numeric' });
}

export function formatDateTime(iso) {
  if (!iso) return t('none');
  return new Date(iso).toLocaleString(locale(), { day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function formatNumber(value, digits) {
  return Number(value).toLocaleString(locale(), digits === undefined ? {} : { maximumFractionDigits: digits });
}

export function formatBytes(bytes) {
  if (bytes < 1024) return formatNumber(bytes) + ' B';
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return formatNumber(value, 1) + ' ' + units[unit];
}
