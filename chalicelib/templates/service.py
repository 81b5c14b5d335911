"""Template rules: what a template may ask for, and what a link made from one gets.

A template names attributes; one deleted later stays in the template (shown `missing`, so staff see what
changed) and a link made from the template skips it."""

from __future__ import annotations

from chalicelib import clock, errors, ids
from chalicelib.accounts.service import AccountPartition, load_partition
from chalicelib.attributes.models import GENERAL_AREA
from chalicelib.templates.models import NewTemplate, Template, TemplateChanges, TemplateItem
from chalicelib.templates.repository import TemplateChangedError, TemplateRepository


def _not_found() -> errors.NotFoundError:
    return errors.NotFoundError("There is no such template.")


def _checked_items(partition: AccountPartition, items: list[TemplateItem]) -> list[TemplateItem]:
    seen: set[str] = set()
    for index, item in enumerate(items):
        attribute = partition.attributes.get(item.attribute_id)
        if item.attribute_id != GENERAL_AREA and attribute is None:
            raise errors.InvalidInputError.for_field(f"items.{index}.attribute_id",
                                                     f"no such attribute: {item.attribute_id}")
        if attribute is not None and not attribute.in_portal:
            raise errors.InvalidInputError.for_field(f"items.{index}.attribute_id",
                                                     f"'{attribute.name}' is not shown in the portal")
        if item.attribute_id in seen:
            raise errors.InvalidInputError.for_field(f"items.{index}.attribute_id", "named twice")
        seen.add(item.attribute_id)
    return items


def missing_attributes(partition: AccountPartition, template: Template) -> set[str]:
    """The attributes the template names that were deleted since."""
    return {item.attribute_id for item in template.items
            if item.attribute_id != GENERAL_AREA and item.attribute_id not in partition.attributes}


def list_templates(account_id: str) -> tuple[list[Template], AccountPartition]:
    return sorted(TemplateRepository().list(account_id), key=lambda t: t.name.casefold()), load_partition(account_id)


def create_template(account_id: str, new: NewTemplate) -> tuple[Template, AccountPartition]:
    partition = load_partition(account_id)
    moment = clock.now_iso()
    template = Template(id=ids.new_id(), name=new.name, message=new.message,
                        items=_checked_items(partition, new.items), due_in_days=new.due_in_days,
                        reminders=new.reminders, created_at=moment, updated_at=moment)
    TemplateRepository().create(account_id, template)
    return template, partition


def get_template(account_id: str, template_id: str) -> Template:
    template = TemplateRepository().get(account_id, template_id) if ids.is_id(template_id) else None
    if template is None:
        raise _not_found()
    return template


def template_detail(account_id: str, template_id: str) -> tuple[Template, AccountPartition]:
    return get_template(account_id, template_id), load_partition(account_id)


def update_template(account_id: str, template_id: str, changes: TemplateChanges) -> tuple[Template, AccountPartition]:
    partition = load_partition(account_id)
    current = get_template(account_id, template_id)
    requested = changes.model_dump(exclude_unset=True)
    if changes.items is not None:
        _checked_items(partition, changes.items)
    updated = current.model_copy(update={
        **{name: getattr(changes, name) for name in requested},
        "updated_at": clock.now_iso(),
    })
    try:
        TemplateRepository().replace(account_id, updated, current.updated_at)
    except TemplateChangedError as exc:
        raise errors.ConflictError("The template was changed meanwhile; reload and try again.") from exc
    return updated, partition


def delete_template(account_id: str, template_id: str) -> None:
    """Links made from it keep what they ask for."""
    if not ids.is_id(template_id) or not TemplateRepository().delete(account_id, template_id):
        raise _not_found()
