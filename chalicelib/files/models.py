"""Files of a customer and the reservations that precede them.

A presign records a reservation (what may be uploaded under one exact key, until when); the S3 event of
the upload turns it into a file record: `stored` (counted against the quota) or `rejected` (the object
broke its reservation and was deleted).
"""

import re
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.auth.tokens import ACCOUNT_ID_PATTERN
from chalicelib.ids import ID_PATTERN
from chalicelib.models import InputModel

Direction = Literal["received", "sent"]
Review = Literal["pending", "checked", "needs_clarification", "rejected"]
StaffReview = Literal["pending", "checked", "needs_clarification"]
#: The review states of the staff's review inbox (`GET /files?review=`).
InboxReview = Literal["pending", "needs_clarification"]
INBOX_REVIEWS: tuple[str, ...] = ("pending", "needs_clarification")
FileState = Literal["stored", "rejected"]
#: The absolute size limit of a declared upload; anything larger is refused before the account's limit.
MAX_DECLARED_BYTES = 5 * 1024**3


class FileAddress(NamedTuple):
    """Whose file an S3 key holds."""

    account_id: str
    customer_id: str
    file_id: str


# The S3 key layout of customer files, written and read here only: files/<account>/<customer>/<file>.
_FILE_KEY = re.compile(
    rf"^files/(?P<account>{ACCOUNT_ID_PATTERN[1:-1]})/(?P<customer>{ID_PATTERN[1:-1]})/(?P<file>{ID_PATTERN[1:-1]})$"
)


def object_key(account_id: str, customer_id: str, file_id: str) -> str:
    """The S3 key of a customer file: made by the server, never from the file name."""
    return f"files/{account_id}/{customer_id}/{file_id}"


def parse_file_key(key: str) -> FileAddress | None:
    """The file an S3 key holds (as `object_key` made it), or None for a key outside that layout."""
    match = _FILE_KEY.match(key)
    return FileAddress(match["account"], match["customer"], match["file"]) if match else None


class Reservation(BaseModel):
    model_config = ConfigDict(defer_build=True)

    file_id: str
    customer_id: str
    key: str
    area: str
    filename: str
    size: int
    content_type: str
    direction: Direction
    link_id: str | None = None
    actor: str
    created_at: str
    expires_at: str
    #: The ledger window the reservation is counted in (chalicelib.files.ledger); None: made before ledgers.
    window: int | None = None
    #: When the link it was made through expires: an object written later is not kept.
    link_expires_at: str | None = None


class StoredFile(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: str
    customer_id: str
    key: str
    area: str
    filename: str
    size: int
    content_type: str
    direction: Direction
    state: FileState
    review: Review = "pending"
    review_comment: str | None = None
    reject_reason: str | None = None
    etag: str | None = None
    link_id: str | None = None
    actor: str
    uploaded_at: str
    deleting: bool = False
    #: The size the upload was reserved for (an overwrite of the same key may not exceed it).
    declared_size: int | None = None
    #: The S3 version of the object the record describes (the uploads bucket is versioned); downloads name it.
    version_id: str | None = None
    #: The version the last review looked at.
    reviewed_version_id: str | None = None
    link_expires_at: str | None = None
    #: Where a rejected upload's bytes were kept (`quarantine/…` in the uploads bucket).
    quarantine_key: str | None = None

    def size_limit(self) -> int:
        return self.declared_size if self.declared_size is not None else self.size


class UploadRequest(InputModel):
    filename: str = Field(min_length=1, max_length=1000)
    size: int = Field(ge=1, le=MAX_DECLARED_BYTES, description="Bytes")
    content_type: str = Field(min_length=3, max_length=200)
    area: str = Field("general", min_length=1, max_length=64)


class StaffUploadRequest(UploadRequest):
    direction: Direction = "sent"
