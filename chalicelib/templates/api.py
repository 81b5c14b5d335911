"""HTTP: request templates (`/templates`)."""

from chalicelib.accounts.service import AccountPartition
from chalicelib.api.routing import Router
from chalicelib.api.schema import page_of
from chalicelib.auth.tokens import Principal
from chalicelib.models import OutputModel
from chalicelib.templates import service
from chalicelib.templates.models import NewTemplate, Template, TemplateChanges

router = Router(__name__, tag="templates")


class TemplateItemOut(OutputModel):
    attribute_id: str
    required: bool
    help: str
    missing: bool = False


class ReminderPlanOut(OutputModel):
    enabled: bool
    before_due_days: list[int]
    every_days_after: int


class TemplateOut(OutputModel):
    id: str
    name: str
    message: str
    items: list[TemplateItemOut]
    due_in_days: int | None
    reminders: ReminderPlanOut
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, template: Template, partition: AccountPartition) -> "TemplateOut":
        missing = service.missing_attributes(partition, template)
        return cls(
            id=template.id, name=template.name, message=template.message,
            items=[TemplateItemOut(**item.model_dump(), missing=item.attribute_id in missing)
                   for item in template.items],
            due_in_days=template.due_in_days, reminders=ReminderPlanOut(**template.reminders.model_dump()),
            created_at=template.created_at, updated_at=template.updated_at,
        )


@router.route("/templates", "GET", summary="The account's request templates, by name", response=page_of(TemplateOut))
def list_templates(principal: Principal) -> OutputModel:
    templates, partition = service.list_templates(principal.account_id)
    return page_of(TemplateOut)(items=[TemplateOut.of(t, partition) for t in templates])


@router.route("/templates", "POST", summary="Create a request template", body=NewTemplate, response=TemplateOut,
              status=201)
def create_template(principal: Principal, body: NewTemplate) -> TemplateOut:
    return TemplateOut.of(*service.create_template(principal.account_id, body))


@router.route("/templates/{id}", "GET", summary="One template (deleted attributes shown `missing`)",
              response=TemplateOut)
def get_template(principal: Principal, id: str) -> TemplateOut:  # noqa: A002
    return TemplateOut.of(*service.template_detail(principal.account_id, id))


@router.route("/templates/{id}", "PATCH", summary="Change a template (links made from it keep theirs)",
              body=TemplateChanges, response=TemplateOut, errors=(409,))
def update_template(principal: Principal, id: str, body: TemplateChanges) -> TemplateOut:  # noqa: A002
    return TemplateOut.of(*service.update_template(principal.account_id, id, body))


@router.route("/templates/{id}", "DELETE", summary="Delete a template", status=204)
def delete_template(principal: Principal, id: str) -> None:  # noqa: A002
    service.delete_template(principal.account_id, id)
