"""HTTP: `POST /exports`, `GET /exports`, `GET /exports/{id}`, `POST /customers/{id}/export`."""

from pydantic import Field

from chalicelib.activity.models import staff_actor
from chalicelib.api.routing import Access, Router
from chalicelib.api.schema import ListQuery, page_of
from chalicelib.audit import service as audit
from chalicelib.auth.tokens import Principal
from chalicelib.exports import service
from chalicelib.exports.models import ExportJob, ExportRequest, Format, Kind, Status, Trigger
from chalicelib.models import InputModel, OutputModel

router = Router(__name__, tag="exports")


class ExportOut(OutputModel):
    id: str
    kind: Kind = Field(description="customers: every customer as a table; customer: one customer's ZIP; audit: "
                                   "the audit log as CSV")
    format: Format
    status: Status = Field(description="pending, running, done or failed")
    trigger: Trigger
    customer_id: str | None
    rows: int | None = Field(description="Customers written (csv, xlsx) or files archived (zip), once done")
    size: int | None = Field(description="Bytes of the file, once done")
    filename: str
    reason: str | None = Field(description="Why the export failed")
    requested_by: str
    created_at: str
    started_at: str | None
    finished_at: str | None
    expires_at: str = Field(description="When the file is deleted (30 days after the request)")
    download_url: str | None = Field(None, description="Presigned GET for at most an hour, when done")

    @classmethod
    def of(cls, job: ExportJob, with_url: bool = False) -> "ExportOut":
        return cls(
            **job.model_dump(exclude={"key", "attempts"}),
            expires_at=service.expires_at(job),
            download_url=service.download_url(job) if with_url else None,
        )


@router.route("/exports", "POST", summary="Export every customer as CSV or XLSX (runs asynchronously)",
              body=ExportRequest, response=ExportOut, status=202, errors=(400,), permission="exports_all")
def request_export(principal: Principal, body: ExportRequest) -> ExportOut:
    job = service.request_customers_export(principal.account_id, staff_actor(principal.user_id), body.format)
    return ExportOut.of(job)


@router.route("/customers/{id}/export", "POST",
              summary="Export one customer's data and files as a ZIP (runs asynchronously)",
              response=ExportOut, status=202)
def request_customer_export(principal: Principal, id: str) -> ExportOut:  # noqa: A002 - the contract's name
    job = service.request_customer_export(principal.account_id, staff_actor(principal.user_id), id)
    return ExportOut.of(job)


class AuditExportRequest(InputModel):
    """Which audit log entries to export; none named: all of them."""

    actor: str | None = Field(None, max_length=128)
    action: str | None = Field(None, max_length=64)
    customer_id: str | None = Field(None, max_length=64)
    from_: str | None = Field(None, alias="from", pattern=r"^\d{4}-\d{2}-\d{2}(T[0-9:.]+Z?)?$")
    to: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}(T[0-9:.]+Z?)?$")

    def filters(self) -> dict[str, str]:
        named = {"actor": self.actor, "action": self.action, "customer_id": self.customer_id, "since": self.from_,
                 "until": self.to}
        return {name: value for name, value in named.items() if value}


@router.route("/audit/export", "POST", summary="Export the audit log as CSV (runs asynchronously, like /exports)",
              access=Access.ADMIN, body=AuditExportRequest, response=ExportOut, status=202)
def request_audit_export(principal: Principal, body: AuditExportRequest) -> ExportOut:
    return ExportOut.of(service.request_audit_export(principal.account_id, staff_actor(principal.user_id),
                                                     body.filters()))


@router.route("/exports", "GET", summary="The account's exports, newest first (without download URLs: "
              "GET /exports/{id} hands one out, recorded in the audit log)", query=ListQuery,
              response=page_of(ExportOut))
def list_exports(principal: Principal, query: ListQuery) -> OutputModel:
    jobs, cursor = service.list_exports(principal.account_id, query.limit, query.cursor)
    return page_of(ExportOut)(items=[ExportOut.of(job) for job in jobs], next_cursor=cursor)


@router.route("/exports/{id}", "GET", summary="One export: its status and, when done, a download URL",
              response=ExportOut, audit=True)
def get_export(principal: Principal, id: str) -> ExportOut:  # noqa: A002
    export = ExportOut.of(service.get_export(principal.account_id, id), with_url=True)
    if export.download_url is None:
        audit.drop_pending_entry()  # polled while it runs: only the hand-out of a URL is recorded
    return export
