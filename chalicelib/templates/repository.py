"""Request templates in DynamoDB: one account-wide partition (`{acc}#TEMPLATE`)."""

from __future__ import annotations

from typing import Any

from chalicelib.storage import keys
from chalicelib.storage.dynamo import ConditionFailedError, Table
from chalicelib.storage.tables import main_table
from chalicelib.templates.models import Template


class TemplateChangedError(Exception):
    """The template was changed or deleted since it was read."""


def _item(account_id: str, template: Template) -> dict[str, Any]:
    return {**keys.template(account_id, template.id), "entity": "template", **template.model_dump(exclude_none=True)}


def _template(item: dict[str, Any]) -> Template:
    return Template.model_validate({name: item[name] for name in Template.model_fields if name in item})


class TemplateRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    def create(self, account_id: str, template: Template) -> None:
        self.table.put(_item(account_id, template), condition="attribute_not_exists(pk)")

    def get(self, account_id: str, template_id: str) -> Template | None:
        item = self.table.get(keys.template(account_id, template_id))
        return _template(item) if item else None

    def list(self, account_id: str) -> list[Template]:
        return [_template(item) for item in self.table.query_all(keys.templates_partition(account_id))]

    def replace(self, account_id: str, template: Template, seen_updated_at: str) -> None:
        try:
            self.table.put(_item(account_id, template), condition="updated_at = :seen",
                           values={":seen": seen_updated_at})
        except ConditionFailedError as exc:
            raise TemplateChangedError(template.id) from exc

    def delete(self, account_id: str, template_id: str) -> bool:
        return self.table.delete(keys.template(account_id, template_id)) is not None
