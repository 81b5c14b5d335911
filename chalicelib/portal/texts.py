"""Every text of the portal page, German (the default) and English, in one place.

The server uses them for the page shell and the 404/410 pages; the page's script receives the chosen
language's texts as a JSON data block and fills the `{placeholders}` itself.
"""

from __future__ import annotations

from typing import Literal, TypeGuard

Language = Literal["de", "en"]
DEFAULT_LANGUAGE: Language = "de"

TEXTS: dict[Language, dict[str, str]] = {
    "de": {
        # The shell and the pages without a link.
        "title": "{company} – Unterlagen",
        "title_plain": "Unterlagen hochladen",
        "loading": "Die Seite wird geladen …",
        "noscript": "Bitte aktivieren Sie JavaScript, um Dateien hochzuladen.",
        "not_found_title": "Link nicht gefunden",
        "not_found_text": "Dieser Link ist ungültig. Bitte prüfen Sie, ob Sie ihn vollständig kopiert haben, "
                          "oder bitten Sie Ihren Ansprechpartner um einen neuen Link.",
        "expired_title": "Link abgelaufen",
        "expired_text": "Dieser Link ist nicht mehr gültig. Bitte bitten Sie Ihren Ansprechpartner um einen "
                        "neuen Link – Ihre bereits gesendeten Unterlagen bleiben erhalten.",
        # Branding and greeting.
        "logo_alt": "Logo von {company}",
        "greeting": "Hallo {name},",
        "intro": "hier können Sie uns Ihre Unterlagen sicher übermitteln.",
        "valid_until": "Dieser Link ist gültig bis {date}.",
        "contact": "Kontakt",
        "required": "Pflichtfeld",
        "required_area": "Pflichtbereich",
        # Upload areas.
        "areas_heading": "Unterlagen hochladen",
        "drop_here": "Dateien hierher ziehen",
        "or": "oder",
        "choose_files": "Dateien auswählen",
        "limits": "Bis zu {max} pro Datei · PDF, Bilder, Office-Dokumente, Text, CSV, ZIP",
        "uploaded_files": "Bereits gesendet",
        "no_files": "Noch keine Dateien.",
        "review_pending": "Eingegangen",
        "review_checked": "Geprüft",
        "review_needs_clarification": "Rückfrage",
        "review_rejected": "Abgelehnt",
        "clarification": "Bitte senden Sie diese Datei noch einmal: {comment}",
        "rejected_reason": "Nicht angenommen: {reason}",
        "reason_larger_than_declared": "Die Datei war größer als angekündigt.",
        "reason_type_differs": "Die Datei hatte ein anderes Format als angekündigt.",
        "reason_quota_exceeded": "Der Speicherplatz war voll.",
        "reason_customer_gone": "Der Vorgang wurde geschlossen.",
        "reason_unexpected_upload": "Die Datei wurde nicht erwartet.",
        "reason_link_revoked": "Der Link war nicht mehr gültig, als die Datei ankam.",
        "reason_link_expired": "Der Link war abgelaufen, als die Datei ankam.",
        "reason_unknown": "Die Datei konnte nicht angenommen werden.",
        # One file on its way.
        "state_waiting": "Wartet …",
        "state_uploading": "Wird hochgeladen … {percent} %",
        "state_processing": "Übertragen, wird bestätigt …",
        "state_done": "Fertig – die Datei ist angekommen.",
        "state_rejected": "Die Datei wurde nicht angenommen: {reason}",
        "state_slow": "Die Datei ist übertragen, aber noch nicht bestätigt. Bitte laden Sie die Seite in ein "
                      "paar Minuten neu.",
        "retry": "Erneut versuchen",
        "remove": "Ausblenden",
        "all_done": "Alle Dateien sind angekommen. Vielen Dank!",
        "error_too_large": "„{name}“ ist {size} groß; erlaubt sind höchstens {max} pro Datei.",
        "error_empty": "„{name}“ ist leer.",
        "error_type": "„{name}“ hat ein Format, das hier nicht angenommen wird. Erlaubt sind PDF, Bilder "
                      "(JPG, PNG, HEIC …), Office-Dokumente, Text, CSV und ZIP.",
        "error_quota": "Für „{name}“ ist nicht mehr genug Speicherplatz frei ({remaining} frei). Bitte "
                       "wenden Sie sich an uns.",
        "error_network": "Die Übertragung ist fehlgeschlagen. Bitte prüfen Sie Ihre Internetverbindung und "
                         "versuchen Sie es erneut.",
        "error_server": "Das hat leider nicht geklappt. Bitte versuchen Sie es erneut.",
        "error_link_gone": "Dieser Link ist nicht mehr gültig. Bitte laden Sie die Seite neu.",
        "error_link_expired": "Dieser Link ist inzwischen abgelaufen. Bitte fragen Sie nach einem neuen Link.",
        # The form.
        "form_heading": "Ihre Angaben",
        "choose": "Bitte wählen",
        "yes": "Ja",
        "save": "Angaben speichern",
        "saving": "Wird gespeichert …",
        "saved": "Vielen Dank, Ihre Angaben sind gespeichert.",
        "form_has_errors": "Bitte prüfen Sie die markierten Felder.",
        "field_required": "Bitte füllen Sie dieses Feld aus.",
        "field_pattern": "Bitte geben Sie den Wert im verlangten Format ein.",
        "field_number": "Bitte geben Sie eine ganze Zahl ein.",
        "field_decimal": "Bitte geben Sie eine Zahl ein, z. B. 1234,50.",
        "field_date": "Bitte geben Sie ein gültiges Datum ein.",
        "field_time": "Bitte geben Sie eine Uhrzeit ein, z. B. 14:30.",
        "signature_none": "Noch nicht unterschrieben.",
        "signature_done": "Unterschrieben am {date}.",
        "signature_sign": "Unterschreiben",
        "signature_again": "Neu unterschreiben",
        "signature_cancel": "Doch nicht unterschreiben",
        "signature_remove": "Unterschrift entfernen",
        "signature_removed": "Die Unterschrift wird beim Speichern entfernt.",
        "signature_keep": "Unterschrift behalten",
        "signature_name": "Ihr Name (für die Unterschrift mit dem getippten Namen)",
        "signature_required": "Bitte unterschreiben Sie hier.",
        "field_server": "Diese Angabe wurde nicht angenommen ({message}).",
        # Files from us.
        "sent_heading": "Dateien für Sie",
        "download": "Herunterladen",
        "delete": "Löschen",
        "delete_file": "„{name}“ löschen",
        # The checklist.
        "checklist_heading": "Was wir von Ihnen brauchen",
        "checklist_open": "Noch offen: {count}",
        "checklist_done": "Alles da – vielen Dank!",
        "due_at": "Bitte bis {date}.",
        "item_missing": "Fehlt noch",
        "item_received": "Eingegangen",
        "item_checked": "Erledigt",
        "item_needs_clarification": "Rückfrage",
        "item_not_applicable": "Trifft nicht zu",
        "item_accepted_na": "Entfällt",
        "item_optional": "optional",
        "na_button": "Trifft auf mich nicht zu",
        "na_comment": "Warum trifft das nicht zu?",
        "na_submit": "Mitteilen",
        "na_cancel": "Abbrechen",
        "na_undo": "Zurücknehmen",
        "na_your_comment": "Ihre Begründung: {comment}",
        "na_comment_required": "Bitte schreiben Sie kurz, warum das nicht zutrifft.",
        # The registration page for new customers (/intake/{token}).
        "intake_title": "{company} – Neukunden",
        "intake_heading": "Als Neukunde Unterlagen senden",
        "intake_intro": "Bitte nennen Sie uns Ihren Namen und Ihre E-Mail-Adresse. Sie erhalten dann eine E-Mail "
                        "mit einem Link zu Ihrer persönlichen Seite, auf der Sie Ihre Unterlagen hochladen.",
        "intake_name": "Name",
        "intake_email": "E-Mail",
        "intake_company": "Firma",
        "intake_phone": "Telefon",
        "intake_submit": "Registrieren",
        "intake_sending": "Einen Moment …",
        "intake_full": "Derzeit können wir keine neuen Kunden aufnehmen. Bitte wenden Sie sich direkt an uns.",
        "intake_gone": "Diese Seite ist nicht mehr verfügbar.",
        "intake_network": "Die Verbindung ist unterbrochen. Bitte versuchen Sie es noch einmal.",
        "intake_not_found_title": "Seite nicht gefunden",
        "intake_not_found_text": "Diese Seite gibt es nicht (mehr). Bitte wenden Sie sich direkt an uns.",
        "intake_check_mail_heading": "Bitte prüfen Sie Ihr Postfach",
        "intake_check_mail": "Wir haben eine E-Mail an {email} geschickt. Bitte bestätigen Sie Ihre Adresse mit dem "
                             "Link darin; danach geht es weiter zum Hochladen. Der Link gilt 24 Stunden.",
        "intake_rate_limited": "Gerade gehen sehr viele Registrierungen ein. Bitte versuchen Sie es in einigen "
                               "Minuten noch einmal.",
        "intake_confirming": "Ihre E-Mail-Adresse wird bestätigt …",
        "intake_confirm_failed": "Dieser Bestätigungslink gilt nicht (mehr). Bitte registrieren Sie sich noch einmal.",
    },
    "en": {
        "title": "{company} – documents",
        "title_plain": "Upload documents",
        "loading": "Loading …",
        "noscript": "Please enable JavaScript to upload files.",
        "not_found_title": "Link not found",
        "not_found_text": "This link is not valid. Please check that you copied all of it, or ask your "
                          "contact for a new link.",
        "expired_title": "Link expired",
        "expired_text": "This link is no longer valid. Please ask your contact for a new link – the documents "
                        "you already sent are kept.",
        "logo_alt": "{company} logo",
        "greeting": "Hello {name},",
        "intro": "you can send us your documents securely here.",
        "valid_until": "This link is valid until {date}.",
        "contact": "Contact",
        "required": "required",
        "required_area": "required",
        "areas_heading": "Upload documents",
        "drop_here": "Drag files here",
        "or": "or",
        "choose_files": "Choose files",
        "limits": "Up to {max} per file · PDF, images, office documents, text, CSV, ZIP",
        "uploaded_files": "Already sent",
        "no_files": "No files yet.",
        "review_pending": "Received",
        "review_checked": "Checked",
        "review_needs_clarification": "Please check",
        "review_rejected": "Rejected",
        "clarification": "Please send this file again: {comment}",
        "rejected_reason": "Not accepted: {reason}",
        "reason_larger_than_declared": "The file was larger than announced.",
        "reason_type_differs": "The file had another format than announced.",
        "reason_quota_exceeded": "The storage was full.",
        "reason_customer_gone": "The case was closed.",
        "reason_unexpected_upload": "The file was not expected.",
        "reason_link_revoked": "The link was no longer valid when the file arrived.",
        "reason_link_expired": "The link had expired when the file arrived.",
        "reason_unknown": "The file could not be accepted.",
        "state_waiting": "Waiting …",
        "state_uploading": "Uploading … {percent} %",
        "state_processing": "Sent, waiting for confirmation …",
        "state_done": "Done – the file has arrived.",
        "state_rejected": "The file was not accepted: {reason}",
        "state_slow": "The file was sent but is not confirmed yet. Please reload the page in a few minutes.",
        "retry": "Try again",
        "remove": "Dismiss",
        "all_done": "All files have arrived. Thank you!",
        "error_too_large": "“{name}” has {size}; at most {max} per file are allowed.",
        "error_empty": "“{name}” is empty.",
        "error_type": "“{name}” has a format that is not accepted here. Please send PDF, images (JPG, PNG, "
                      "HEIC …), office documents, text, CSV or ZIP files.",
        "error_quota": "There is not enough storage left for “{name}” ({remaining} free). Please contact us.",
        "error_network": "The upload failed. Please check your internet connection and try again.",
        "error_server": "Sorry, that did not work. Please try again.",
        "error_link_gone": "This link is no longer valid. Please reload the page.",
        "error_link_expired": "This link has expired meanwhile. Please ask for a new one.",
        "form_heading": "Your details",
        "choose": "Please choose",
        "yes": "Yes",
        "save": "Save details",
        "saving": "Saving …",
        "saved": "Thank you, your details are saved.",
        "form_has_errors": "Please check the marked fields.",
        "field_required": "Please fill in this field.",
        "field_pattern": "Please enter the value in the requested format.",
        "field_number": "Please enter a whole number.",
        "field_decimal": "Please enter a number, e.g. 1234.50.",
        "field_date": "Please enter a valid date.",
        "field_time": "Please enter a time of day, 14:30 say.",
        "signature_none": "Not signed yet.",
        "signature_done": "Signed on {date}.",
        "signature_sign": "Sign",
        "signature_again": "Sign again",
        "signature_cancel": "Do not sign after all",
        "signature_remove": "Remove the signature",
        "signature_removed": "The signature is removed when you save.",
        "signature_keep": "Keep the signature",
        "signature_name": "Your name (for the signature with your typed name)",
        "signature_required": "Please sign here.",
        "field_server": "This value was not accepted ({message}).",
        "sent_heading": "Files for you",
        "download": "Download",
        "delete": "Delete",
        "delete_file": "Delete “{name}”",
        # The checklist.
        "checklist_heading": "What we need from you",
        "checklist_open": "Still open: {count}",
        "checklist_done": "Everything is here – thank you!",
        "due_at": "Please by {date}.",
        "item_missing": "Missing",
        "item_received": "Received",
        "item_checked": "Done",
        "item_needs_clarification": "Question",
        "item_not_applicable": "Does not apply",
        "item_accepted_na": "Not needed",
        "item_optional": "optional",
        "na_button": "This does not apply to me",
        "na_comment": "Why does this not apply?",
        "na_submit": "Send",
        "na_cancel": "Cancel",
        "na_undo": "Take back",
        "na_your_comment": "Your reason: {comment}",
        "na_comment_required": "Please say briefly why this does not apply.",
        "intake_title": "{company} – new customers",
        "intake_heading": "Send documents as a new customer",
        "intake_intro": "Please tell us your name and e-mail address. You will get an e-mail with a link to your "
                        "personal page, where you upload your documents.",
        "intake_name": "Name",
        "intake_email": "E-mail",
        "intake_company": "Company",
        "intake_phone": "Phone",
        "intake_submit": "Register",
        "intake_sending": "One moment …",
        "intake_full": "We cannot take on new customers at the moment. Please contact us directly.",
        "intake_gone": "This page is no longer available.",
        "intake_network": "The connection was interrupted. Please try again.",
        "intake_not_found_title": "Page not found",
        "intake_not_found_text": "This page does not exist (any more). Please contact us directly.",
        "intake_check_mail_heading": "Please check your mailbox",
        "intake_check_mail": "We sent an e-mail to {email}. Please confirm your address with the link in it; then "
                             "you continue to the upload. The link works for 24 hours.",
        "intake_rate_limited": "Very many registrations are coming in right now. Please try again in a few minutes.",
        "intake_confirming": "Confirming your e-mail address …",
        "intake_confirm_failed": "This confirmation link is not valid (any more). Please register again.",
    },
}


def _is_language(value: str) -> TypeGuard[Language]:
    return value in TEXTS


def negotiate(accept_language: str | None) -> Language:
    """The language the browser prefers most among ours (RFC 9110 weights); German when none fits."""
    best: tuple[float, int, Language] | None = None
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, parameters = part.strip().partition(";")
        primary = tag.strip().split("-", 1)[0].lower()
        if not _is_language(primary):
            continue
        weight = 1.0
        name, _, value = parameters.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                weight = float(value)
            except ValueError:
                continue
        if weight <= 0:
            continue
        candidate = (-weight, position, primary)
        if best is None or candidate < best:
            best = candidate
    return best[2] if best else DEFAULT_LANGUAGE
