"""What a customer sees and does through a link: the portal's context, uploads and form."""

from __future__ import annotations

from typing import Any

from chalicelib import clock, errors
from chalicelib.accounts.logo import logo_url
from chalicelib.accounts.service import AccountPartition, load_partition
from chalicelib.activity import service as activity
from chalicelib.activity.models import CUSTOMER
from chalicelib.attributes.models import GENERAL_AREA, Attribute
from chalicelib.attributes.signatures import SignatureOwner
from chalicelib.attributes.values import check_values
from chalicelib.customers.service import attributes_action
from chalicelib.files import service as files
from chalicelib.files import types
from chalicelib.files.models import StoredFile, UploadRequest
from chalicelib.links import service as links
from chalicelib.links.models import Item
from chalicelib.links.service import PortalAccess, resolve
from chalicelib.storage.dynamo import Action

GENERAL_AREA_NAME = "Allgemeine Dokumente"
#: Files the context shows at most (newest first); `more_files_cursor` leads to the rest.
CONTEXT_FILES = 100


def _field(attribute: Attribute, value: Any) -> dict[str, Any]:
    return {"id": attribute.id, "name": attribute.name, "type": attribute.type, "required": attribute.required,
            "options": attribute.options, "pattern": attribute.pattern, "text": attribute.text,
            "text_en": attribute.text_en, "value": value}


def _in_attribute_order(attribute_ids: list[str], definitions: dict[str, Attribute]) -> list[str]:
    """The link's areas or fields in the account's attribute order (`definitions` is ordered); the general
    area, the catch-all, last."""
    places = {attribute_id: index for index, attribute_id in enumerate(definitions)}
    return sorted(attribute_ids, key=lambda i: places.get(i, len(places)))


def _fields(access: PortalAccess, definitions: dict[str, Attribute]) -> list[dict[str, Any]]:
    fields = []
    for attribute_id in _in_attribute_order(access.link.attributes, definitions):
        attribute = definitions.get(attribute_id)
        if attribute is None or attribute.is_area:
            continue
        source = access.customer.attributes if attribute.scope == "customer" else access.link.values
        fields.append(_field(attribute, source.get(attribute_id)))
    return fields


def _item_out(item: Item, definitions: dict[str, Attribute]) -> dict[str, Any]:
    attribute = definitions.get(item.attribute_id)
    return {**item.model_dump(exclude={"value"}), "name": attribute.name if attribute else GENERAL_AREA_NAME}


def _received_out(file: StoredFile) -> dict[str, Any]:
    return {"id": file.id, "filename": file.filename, "size": file.size, "uploaded_at": file.uploaded_at,
            "review": file.review, "review_comment": file.review_comment, "reject_reason": file.reject_reason}


def _sent_out(file: StoredFile) -> dict[str, Any]:
    return {"id": file.id, "filename": file.filename, "size": file.size, "uploaded_at": file.uploaded_at,
            "download_url": files.download_url(file)}


def _shown_to_customer(file: StoredFile) -> bool:
    return file.direction == "received" or (file.state == "stored" and not file.deleting)


def _areas(access: PortalAccess, definitions: dict[str, Attribute], received: dict[str, list[StoredFile]]
           ) -> list[dict[str, Any]]:
    areas = []
    for area_id in _in_attribute_order(access.link.areas, definitions):
        attribute = definitions.get(area_id)
        if area_id != GENERAL_AREA and attribute is None:
            continue
        areas.append({
            "id": area_id,
            "name": attribute.name if attribute else GENERAL_AREA_NAME,
            "required": bool(attribute and attribute.required),
            "files": [_received_out(f) for f in received.get(area_id, [])],
        })
    return areas


def sent_files_out(customer_files: list[StoredFile]) -> list[dict[str, Any]]:
    """The files staff sent that the customer may see, with download URLs (the portal's `sent_files`)."""
    return [_sent_out(f) for f in customer_files if f.direction == "sent" and _shown_to_customer(f)]


def received_out(file: StoredFile) -> dict[str, Any]:
    return _received_out(file)


def request_view(access: PortalAccess, partition: AccountPartition, received: dict[str, list[StoredFile]]
                 ) -> dict[str, Any]:
    """One request as the customer sees it: its checklist, upload areas (with the customer's files received
    through it, `received` by area) and fields; what the link page shows, for the permanent portal's home."""
    definitions = partition.attributes
    return {
        "items": [_item_out(item, definitions) for item in links.portal_checklist(access, partition)],
        "areas": _areas(access, definitions, received),
        "attributes": _fields(access, definitions),
        "status": links.portal_status(access, partition),
    }


def context(token: str) -> dict[str, Any]:
    access = resolve(token)
    partition = load_partition(access.account.id)
    definitions = partition.attributes
    # The newest files only: what a customer has may grow without bound; the rest comes from /p/{token}/files.
    customer_files, more_files = files.customer_files_page(access.account.id, access.customer.id, CONTEXT_FILES,
                                                           None)
    received = files.files_by_area([f for f in customer_files if f.direction == "received"])
    areas = _areas(access, definitions, received)
    sent = sent_files_out(customer_files)
    account = access.account
    branding = account.branding.model_dump(exclude={"logo_key"})
    branding["company_name"] = branding["company_name"] or account.name
    return {
        "account": {"branding": {**branding, "logo_url": logo_url(access.account)}},
        "customer": {"name": access.customer.name},
        "link": {"message": access.link.message, "expires_at": access.link.expires_at, "due_at": access.link.due_at,
                 "status": links.portal_status(access, partition)},
        "items": [_item_out(item, definitions) for item in links.portal_checklist(access, partition)],
        "areas": areas,
        "attributes": _fields(access, definitions),
        "sent_files": sent,
        "more_files_cursor": more_files,
        "limits": {
            "max_file_bytes": account.max_file_bytes,
            # What is stored, not what is promised to uploads in flight: the page's own check is advisory (it
            # counts its own uploads), the presign is exact; reading the open reservations would cost a call.
            "remaining_bytes": max(0, account.free_bytes),
            "allowed_types": {t: list(ext) for t, ext in types.ALLOWED_TYPES.items()},
        },
    }


def more_files(token: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """The customer's files beyond the context's, newest first: received ones with their area and review, sent
    ones with a download URL."""
    access = resolve(token)
    page, next_cursor = files.customer_files_page(access.account.id, access.customer.id, limit, cursor)
    shown = [f for f in page if _shown_to_customer(f)]
    return [{**(_received_out(f) if f.direction == "received" else _sent_out(f)), "direction": f.direction,
             "area": f.area} for f in shown], next_cursor


def presign(token: str, request: UploadRequest) -> files.PresignedUpload:
    access = resolve(token)
    return files.presign_upload(access.account, access.customer, request, direction="received", actor=CUSTOMER,
                                link_id=access.link.id, allowed_areas=access.link.areas,
                                link_expires_at=access.link.expires_at)


def submit_attributes(token: str, submitted: dict[str, Any]) -> list[dict[str, Any]]:
    """Validate what the customer filled in exactly as a staff write would, and store it."""
    return submit_request_attributes(resolve(token), submitted)


def submit_request_attributes(access: PortalAccess, submitted: dict[str, Any]) -> list[dict[str, Any]]:
    """The link's form filled in by its customer (through the link or the permanent portal)."""
    definitions = load_partition(access.account.id).attributes
    asked = set(access.link.attributes)
    for attribute_id in submitted:
        if attribute_id not in asked or attribute_id not in definitions:
            raise errors.InvalidInputError.for_field(attribute_id, "this link does not ask for that field")
    by_scope: dict[str, dict[str, Any]] = {"customer": {}, "request": {}}
    for attribute_id, value in submitted.items():
        by_scope[definitions[attribute_id].scope][attribute_id] = value
    # Both are checked before either stores a signature image.
    check_values(definitions, by_scope["request"], scope="request", current=access.link.values, require_all=True,
                 allowed=asked, field="attributes", signatures="check")
    owner = SignatureOwner(access.account.id, access.customer.id)
    customer_values = check_values(definitions, by_scope["customer"], scope="customer",
                                   current=access.customer.attributes, require_all=True,
                                   allowed=asked, field="attributes", signatures=owner)
    link_values = check_values(definitions, by_scope["request"], scope="request", current=access.link.values,
                               require_all=True, allowed=asked, field="attributes", signatures=owner)
    moment = clock.now_iso()
    also: list[Action] = [activity.entry(access.account.id, access.customer.id, "portal_attributes_submitted", CUSTOMER,
                           {"link_id": access.link.id, "changed": sorted(submitted)}, at=moment)]
    if customer_values != access.customer.attributes:
        also.insert(0, attributes_action(access.account.id, access.customer.id, customer_values))
    links.submit_values(access.account.id, access.link.id, link_values, moment, also)
    access.customer.attributes = customer_values
    access.link.values = link_values
    links.refresh_status(access.account.id, access.link.id)
    return _fields(access, definitions)


def mark_not_applicable(token: str, item_id: str, comment: str) -> Item:
    return links.mark_not_applicable(resolve(token), item_id, comment)


def undo_not_applicable(token: str, item_id: str) -> Item:
    return links.undo_not_applicable(resolve(token), item_id)
