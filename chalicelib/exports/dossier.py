"""One customer's data for the right of access (GDPR Art. 15/20): `customer.json` and the archive paths of
the customer's files, and the approvals with their signature images (`signatures/<approval id>.png`).

`customer.json` holds the profile, attribute values by attribute name, group names, the whole activity
history, the audit log's entries about the customer (who opened, changed or exported what, from where), the upload
links (never their secret: no token, no token hash), the portal messages (author, at, body) and every file's
metadata with its path in the archive (`files/<area>/<filename>`, or null for a file without stored bytes).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from chalicelib import clock
from chalicelib.accounts.service import AccountPartition, load_partition
from chalicelib.activity import service as activity
from chalicelib.attributes import signatures as drawn_signatures
from chalicelib.attributes.models import GENERAL_AREA
from chalicelib.audit.service import entries_about
from chalicelib.customers.service import get_customer
from chalicelib.exports.table import customer_attributes, unique_names
from chalicelib.files import service as files_service
from chalicelib.files.models import StoredFile
from chalicelib.files.names import sanitize
from chalicelib.links import service as links_service
from chalicelib.links.models import Link

FORMAT = "dossier-customer-export"
VERSION = 1
GENERAL_AREA_NAME = "Allgemeine Dokumente"
#: Names Windows refuses for files, whatever the extension.
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
_MAX_PART_CHARS = 120


@dataclass
class ArchivedFile:
    path: str
    file: StoredFile


@dataclass
class Dossier:
    document: dict[str, Any]
    archived: list[ArchivedFile] = field(default_factory=list)

    def mark_missing(self, file_id: str) -> None:
        """The file's object was gone when the archive was written: its metadata stays, without a path."""
        for entry in self.document["files"]:
            if entry["id"] == file_id:
                entry["path"] = None


def safe_part(name: str) -> str:
    """One path segment that unpacks safely on Windows, macOS and Linux: no directories, no control or
    reserved characters, no leading dots, no trailing dots or spaces, no device names."""
    part = sanitize(unicodedata.normalize("NFC", name)).rstrip(". ") or "file"
    if _RESERVED.match(part):
        part = "_" + part
    if len(part) > _MAX_PART_CHARS:
        dot = part.rfind(".")
        suffix = part[dot:] if 0 < dot and len(part) - dot <= 10 else ""
        part = part[: _MAX_PART_CHARS - len(suffix)] + suffix
    return part


def unique_file_names(names: list[str]) -> list[str]:
    """Names made unique (case-insensitively, as on Windows and macOS) by ` (2)` before the extension."""
    used: set[str] = set()
    result = []
    for name in names:
        dot = name.rfind(".")
        stem, extension = (name[:dot], name[dot:]) if dot > 0 else (name, "")
        candidate, number = name, 2
        while candidate.casefold() in used:
            candidate, number = f"{stem} ({number}){extension}", number + 1
        used.add(candidate.casefold())
        result.append(candidate)
    return result


def _area_names(partition: AccountPartition) -> dict[str, str]:
    areas = sorted((a for a in partition.attributes.values() if a.is_area), key=lambda a: (a.created_at, a.id))
    names = unique_names([safe_part(a.name) for a in areas], taken=[GENERAL_AREA_NAME])
    return {GENERAL_AREA: GENERAL_AREA_NAME, **{a.id: name for a, name in zip(areas, names, strict=True)}}


def _archive_paths(files: list[StoredFile], area_names: dict[str, str]) -> list[ArchivedFile]:
    """Paths of the files whose bytes go into the archive (stored ones, not being deleted)."""
    by_folder: dict[str, list[StoredFile]] = {}
    for file in files:
        if file.state == "stored" and not file.deleting:
            by_folder.setdefault(area_names.get(file.area, safe_part(file.area)), []).append(file)
    archived = []
    for folder, members in by_folder.items():
        names = unique_file_names([safe_part(f.filename) for f in members])
        archived += [ArchivedFile(f"files/{folder}/{name}", f) for f, name in zip(members, names, strict=True)]
    return archived


def collect(account_id: str, customer_id: str) -> Dossier:
    """Everything stored about the customer; NotFoundError for an unknown (or another account's) id."""
    customer = get_customer(account_id, customer_id)
    partition = load_partition(account_id)
    attributes = customer_attributes(partition)
    attribute_names = dict(zip([a.id for a in attributes], unique_names([a.name for a in attributes]), strict=True))
    all_names = {a.id: a.name for a in partition.attributes.values()}
    area_names = _area_names(partition)

    files = sorted(files_service.customer_files(account_id, customer_id), key=lambda f: (f.uploaded_at, f.id))
    archived = _archive_paths(files, area_names)
    path_of = {entry.file.id: entry.path for entry in archived}
    links = sorted(links_service.customer_links(account_id, customer_id), key=lambda link: link.created_at)
    history = activity.history(account_id, customer_id)

    def area_label(area: str) -> str:
        return GENERAL_AREA_NAME if area == GENERAL_AREA else all_names.get(area, area)

    document = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": clock.now_iso(),
        "account": {"id": partition.account.id, "name": partition.account.name},
        "customer": customer.model_dump(include={
            "id", "number", "name", "email", "company", "phone", "notes", "status", "portal_enabled",
            "files_count", "links_count", "bytes", "last_upload_at", "created_at", "updated_at"}),
        "groups": sorted((partition.groups[g].name for g in customer.groups if g in partition.groups),
                         key=str.casefold),
        "attributes": {attribute_names[a.id]: customer.attributes[a.id] for a in attributes
                       if a.id in customer.attributes and not a.is_area},
        "links": [_link_entry(link, area_label, all_names) for link in links],
        "activity": [{"at": e.at, "type": e.type, "actor": e.actor, "data": e.data} for e in history],
        "audit": [e.model_dump(include={"at", "actor", "action", "target", "ip"})
                  for e in entries_about(account_id, customer_id)],
        "files": [_file_entry(f, path_of.get(f.id), area_label) for f in files],
    }
    document["messages"] = _messages(account_id, customer_id)
    signatures = _signatures(account_id, customer_id, document)
    kinds = {a.id: a.type for a in partition.attributes.values()}
    drawn = [(cast(dict[str, Any], document["attributes"]), attribute_names[a.id], customer.attributes[a.id])
             for a in attributes if a.type == "signature" and a.id in customer.attributes]
    for link, entry in zip(links, cast(list[dict[str, Any]], document["links"]), strict=True):
        drawn += [(entry["values"], all_names.get(a, a), value) for a, value in link.values.items()
                  if kinds.get(a) == "signature"]
    return Dossier(document=document,
                   archived=archived + signatures + _field_signatures(account_id, customer_id, drawn))


def _field_signatures(account_id: str, customer_id: str, drawn: list[tuple[dict[str, Any], str, Any]]
                      ) -> list[ArchivedFile]:
    """The images of signature fields into the archive (`signatures/fields/<signature id>.png`); `drawn` are
    (where customer.json holds the value, under which name, the stored reference); each value there gains the
    `path` of its image."""
    archived = []
    for holder, name, value in drawn:
        key = drawn_signatures.image_key(account_id, value)
        if key is None:
            continue
        path = f"signatures/fields/{value['signature_id']}.png"
        holder[name] = {**value, "path": path}
        archived.append(ArchivedFile(path, StoredFile(
            id=value["signature_id"], customer_id=customer_id, key=key, area="signatures",
            filename=f"{value['signature_id']}.png", size=int(value.get("size") or 0), content_type="image/png",
            direction="received", state="stored", actor="customer", uploaded_at=value.get("signed_at") or "")))
    return archived


def _messages(account_id: str, customer_id: str) -> list[dict[str, Any]]:
    """The portal conversation (author, at, body), oldest first."""
    from chalicelib.customer_portal import service as customer_portal

    return customer_portal.archived_messages(account_id, customer_id)


def _signatures(account_id: str, customer_id: str, document: dict[str, Any]) -> list[ArchivedFile]:
    """The approvals into `document` and their signature images into the archive (`signatures/<id>.png`)."""
    from chalicelib.approvals import service as approvals

    found = approvals.customer_approvals(account_id, customer_id)
    signed = [a for a in found if a.signature_key and a.signature_size is not None]
    document["approvals"] = [approvals.record(a, f"signatures/{a.id}.png" if a in signed else None)
                             for a in reversed(found)]
    return [ArchivedFile(f"signatures/{a.id}.png", StoredFile(
        id=a.id, customer_id=customer_id, key=a.signature_key or "", area="signatures", filename=f"{a.id}.png",
        size=a.signature_size or 0, content_type="image/png", direction="received", state="stored",
        actor="customer", uploaded_at=a.signed_at or a.requested_at)) for a in signed]


def _link_entry(link: Link, area_label: Callable[[str], str], names: dict[str, str]) -> dict[str, Any]:
    """A link in customer.json, its areas and fields by name."""
    return {
        "id": link.id,
        "areas": [area_label(area) for area in link.areas],
        "attributes": [names.get(a, a) for a in link.attributes],
        "values": {names.get(a, a): value for a, value in link.values.items()},
        "message": link.message,
        "created_at": link.created_at,
        "created_by": link.created_by,
        "expires_at": link.expires_at,
        "revoked_at": link.revoked_at,
        "sent_count": link.sent_count,
        "last_sent_at": link.last_sent_at,
        "submitted_at": link.submitted_at,
    }


def _file_entry(file: StoredFile, path: str | None, area_label: Callable[[str], str]) -> dict[str, Any]:
    """A file in customer.json: where the archive holds it (None: no stored bytes), its area by name."""
    return {
        "id": file.id,
        "path": path,
        "area": area_label(file.area),
        "filename": file.filename,
        "size": file.size,
        "content_type": file.content_type,
        "direction": file.direction,
        "state": file.state,
        "review": file.review,
        "review_comment": file.review_comment,
        "reject_reason": file.reject_reason,
        "uploaded_at": file.uploaded_at,
        "link_id": file.link_id,
    }
