"""HTTP: the progress of a background job (`GET /jobs/{id}`)."""

from pydantic import Field

from chalicelib.api.routing import Router
from chalicelib.auth.tokens import Principal
from chalicelib.jobs import service
from chalicelib.jobs.models import JobFailure, JobKind, JobRecord, JobStatus
from chalicelib.models import OutputModel

router = Router(__name__, tag="jobs")


class JobFailureOut(OutputModel):
    customer_id: str
    code: str = Field(description="Why: not_found, no_email, portal_off, rate_limited, address_suppressed, "
                                  "template_not_found, validation_error, ...")


class JobOut(OutputModel):
    id: str
    kind: JobKind
    status: JobStatus
    total: int = Field(description="Customers the job works through")
    done: int
    failed: int
    failures: list[JobFailureOut] = Field(description="The customers it could not handle, with why (the first "
                                                      f"{service.FAILURES_SHOWN})")
    reason: str | None = Field(None, description="Why a failed job could not run")
    created_at: str
    finished_at: str | None

    @classmethod
    def of(cls, job: JobRecord, failures: list[JobFailure]) -> "JobOut":
        return cls(id=job.id, kind=job.kind, status=job.status, total=job.total, done=job.done, failed=job.failed,
                   failures=[JobFailureOut(**failure.model_dump()) for failure in failures], reason=job.reason,
                   created_at=job.created_at, finished_at=job.finished_at)


@router.route("/jobs/{id}", "GET", summary="A background job's progress and its failures per customer",
              response=JobOut)
def get_job(principal: Principal, id: str) -> JobOut:  # noqa: A002
    return JobOut.of(*service.get_job(principal.account_id, id))
