"""HTTP: `GET /audit` (admin): the account's audit log, newest first."""

from pydantic import Field

from chalicelib.api.routing import Access, Router
from chalicelib.api.schema import ListQuery, page_of
from chalicelib.audit import service
from chalicelib.audit.models import AuditEntry, AuditFilter
from chalicelib.auth.tokens import Principal
from chalicelib.models import OutputModel

router = Router(__name__, tag="audit")

#: A date (`2026-01-31`) or a UTC time (`2026-01-31T12:00:00Z`, any precision).
_MOMENT = r"^\d{4}-\d{2}-\d{2}(T[0-9:.]+Z?)?$"


class AuditQuery(ListQuery):
    actor: str | None = Field(None, max_length=128, description="A staff user's id, or customer:{id}")
    action: str | None = Field(None, max_length=64, description="An operation's name, e.g. delete_customer, "
                                                                "or sign_in, portal_sign_in")
    customer_id: str | None = Field(None, max_length=64, description="Only entries about this customer")
    from_: str | None = Field(None, alias="from", pattern=_MOMENT, description="From this date or time (inclusive)")
    to: str | None = Field(None, pattern=_MOMENT, description="Up to this date (the whole day) or time (inclusive)")

    def wanted(self) -> AuditFilter:
        return AuditFilter(actor=self.actor, action=self.action, customer_id=self.customer_id, since=self.from_,
                           until=self.to)


class AuditEntryOut(OutputModel):
    at: str
    actor: str = Field(description="The staff user's id (the token's subject), or customer:{id} in the portal")
    action: str = Field(description="The operation's name (see the OpenAPI operations marked x-audited), or "
                                    "sign_in, portal_sign_in")
    target: str = Field(description="What was acted on: the route's path with its ids")
    ip: str | None
    customer_id: str | None = Field(description="The customer the entry is about, if any")

    @classmethod
    def of(cls, entry: AuditEntry) -> "AuditEntryOut":
        return cls(**entry.model_dump(exclude={"id"}))


@router.route("/audit", "GET", summary="The account's audit log, newest first", access=Access.ADMIN,
              query=AuditQuery, response=page_of(AuditEntryOut))
def list_audit(principal: Principal, query: AuditQuery) -> OutputModel:
    entries, cursor = service.list_entries(principal.account_id, query.wanted(), query.limit, query.cursor)
    return page_of(AuditEntryOut)(items=[AuditEntryOut.of(e) for e in entries], next_cursor=cursor)
