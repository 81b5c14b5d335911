"""HTTP: a customer's files (list, download, review, delete, staff upload)."""

from pydantic import Field

from chalicelib.activity.models import staff_actor
from chalicelib.api.routing import Router
from chalicelib.api.schema import ListQuery, page_of
from chalicelib.auth.tokens import Principal
from chalicelib.customers.models import Customer
from chalicelib.files import service
from chalicelib.files.models import Direction, InboxReview, Review, StaffReview, StaffUploadRequest, StoredFile
from chalicelib.models import InputModel, OutputModel

router = Router(__name__, tag="files")


class FileOut(OutputModel):
    id: str
    area: str
    filename: str
    size: int
    content_type: str
    direction: Direction
    review: Review
    review_comment: str | None
    reject_reason: str | None
    uploaded_at: str
    link_id: str | None
    deleting: bool
    #: The stored version the record (and its download URL) refers to, and the version the last review saw.
    version_id: str | None = None
    reviewed_version_id: str | None = None
    download_url: str | None = None

    @classmethod
    def of(cls, file: StoredFile, download_url: str | None = None) -> "FileOut":
        return cls(download_url=download_url, **file.model_dump(include=set(cls.model_fields) - {"download_url"}))


class FileQuery(ListQuery):
    direction: Direction | None = None


class InboxQuery(ListQuery):
    review: InboxReview = "pending"


class CustomerRef(OutputModel):
    id: str
    name: str


class InboxFileOut(FileOut):
    customer: CustomerRef

    @classmethod
    def of_customer(cls, file: StoredFile, customer: Customer) -> "InboxFileOut":
        return cls(customer=CustomerRef(id=customer.id, name=customer.name),
                   **file.model_dump(include=set(FileOut.model_fields) - {"download_url"}))


class ReviewChange(InputModel):
    review: StaffReview
    review_comment: str | None = Field(None, max_length=1000)


class StaffUploadOut(OutputModel):
    file_id: str
    url: str
    fields: dict[str, str]
    expires_at: str


@router.route("/files", "GET", summary="The review inbox: received files of every customer in one review state, "
              "newest first", query=InboxQuery, response=page_of(InboxFileOut))
def review_inbox(principal: Principal, query: InboxQuery) -> OutputModel:
    found, cursor = service.review_inbox(principal.account_id, query.review, query.limit, query.cursor)
    return page_of(InboxFileOut)(items=[InboxFileOut.of_customer(f, c) for f, c in found], next_cursor=cursor)


@router.route("/customers/{id}/files", "GET", summary="A customer's files, newest first", query=FileQuery,
              response=page_of(FileOut))
def list_files(principal: Principal, id: str, query: FileQuery) -> OutputModel:  # noqa: A002
    found, cursor = service.list_files(principal.account_id, id, query.direction, query.limit, query.cursor)
    return page_of(FileOut)(items=[FileOut.of(f) for f in found], next_cursor=cursor)


@router.route("/customers/{id}/files", "POST", summary="Staff upload: a presigned POST straight to S3",
              body=StaffUploadRequest, response=StaffUploadOut, status=201, errors=(413, 415))
def staff_upload(principal: Principal, id: str, body: StaffUploadRequest) -> StaffUploadOut:  # noqa: A002
    upload = service.staff_upload(principal.account_id, staff_actor(principal.user_id), id, body, body.direction)
    return StaffUploadOut(file_id=upload.file_id, url=upload.url, fields=upload.fields, expires_at=upload.expires_at)


@router.route("/customers/{id}/files/{file_id}", "GET", summary="One file, with a short-lived download URL",
              response=FileOut, audit=True)
def get_file(principal: Principal, id: str, file_id: str) -> FileOut:  # noqa: A002
    file, url = service.get_file(principal.account_id, id, file_id)
    return FileOut.of(file, url)


@router.route("/customers/{id}/files/{file_id}", "DELETE", summary="Delete a file (its quota is freed)", status=204,
              permission="files_delete")
def delete_file(principal: Principal, id: str, file_id: str) -> None:  # noqa: A002
    service.delete_file(principal.account_id, id, file_id)
