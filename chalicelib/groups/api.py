"""HTTP: customer groups (`/groups`)."""

from chalicelib.activity.models import staff_actor
from chalicelib.api.routing import Router
from chalicelib.api.schema import DeletionJobOut, page_of
from chalicelib.auth.tokens import Principal
from chalicelib.fields import Name
from chalicelib.groups import service
from chalicelib.groups.models import Group
from chalicelib.models import InputModel, Omittable, OutputModel

router = Router(__name__, tag="groups")


class GroupOut(OutputModel):
    id: str
    name: str
    is_default: bool
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, group: Group, is_default: bool) -> "GroupOut":
        return cls(is_default=is_default, **group.model_dump())


class NewGroup(InputModel):
    name: Name
    is_default: bool = False


class GroupChanges(InputModel):
    name: Omittable[Name] = None
    is_default: Omittable[bool] = None


@router.route("/groups", "GET", summary="The account's customer groups", response=page_of(GroupOut))
def list_groups(principal: Principal) -> OutputModel:
    groups, default_id = service.list_groups(principal.account_id)
    return page_of(GroupOut)(items=[GroupOut.of(g, g.id == default_id) for g in groups])


@router.route("/groups", "POST", summary="Create a group; is_default moves the default to it", body=NewGroup,
              response=GroupOut, status=201, errors=(409,), permission="groups_manage")
def create_group(principal: Principal, body: NewGroup) -> GroupOut:
    return GroupOut.of(*service.create_group(principal.account_id, body.name, body.is_default))


@router.route("/groups/{id}", "PATCH", summary="Rename a group or make it (not) the default", body=GroupChanges,
              response=GroupOut, errors=(409,), permission="groups_manage")
def update_group(principal: Principal, id: str, body: GroupChanges) -> GroupOut:  # noqa: A002
    return GroupOut.of(*service.update_group(principal.account_id, id, body.name, body.is_default))


@router.route("/groups/{id}", "DELETE", summary="Delete a group at once; its customers leave it in the background",
              response=DeletionJobOut, status=202, permission="groups_manage")
def delete_group(principal: Principal, id: str) -> DeletionJobOut:  # noqa: A002
    job_id = service.delete_group(principal.account_id, staff_actor(principal.user_id), id)
    return DeletionJobOut(id=id, job_id=job_id)
