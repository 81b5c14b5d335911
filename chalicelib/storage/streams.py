"""S3 streams with flat memory: reading an object chunk by chunk, writing one through a multipart upload.

`MultipartWriter` is a write-only, non-seekable file object (what `zipfile` streams into): it uploads a
part whenever PART_SIZE bytes have gathered and completes the upload on `complete()`. Until then S3 shows
no object under the key, and `abort()` (or leaving the `with` block by an exception) discards the parts,
so a failed writer never leaves a partial object behind.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from chalicelib import aws
from chalicelib.observability import logger
from chalicelib.storage.objects import ObjectMissingError

#: S3 takes parts of at least 5 MiB (except the last) and at most 10,000 of them: 8 MiB parts carry 80 GB.
PART_SIZE = 8 * 1024 * 1024
READ_CHUNK = 1024 * 1024


def read_chunks(bucket: str, key: str, chunk_size: int = READ_CHUNK, version_id: str | None = None
                ) -> Iterator[bytes]:
    """The object's (or one version's) bytes, `chunk_size` at a time (never the whole object in memory)."""
    from botocore.exceptions import ClientError

    try:
        if version_id:
            reply = aws.client("s3").get_object(Bucket=bucket, Key=key, VersionId=version_id)
        else:
            reply = aws.client("s3").get_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NoSuchVersion", "NotFound"):
            raise ObjectMissingError(key) from exc
        raise
    body = reply["Body"]
    try:
        yield from body.iter_chunks(chunk_size)
    finally:
        body.close()


class MultipartWriter(io.RawIOBase):
    def __init__(self, bucket: str, key: str, content_type: str, part_size: int = PART_SIZE) -> None:
        super().__init__()
        if part_size < 5 * 1024 * 1024:
            raise ValueError("S3 parts (but the last) have at least 5 MiB")
        self.bucket = bucket
        self.key = key
        self.part_size = part_size
        self._client: Any = aws.client("s3")
        self._upload_id: str = self._client.create_multipart_upload(
            Bucket=bucket, Key=key, ContentType=content_type)["UploadId"]
        self._buffer = bytearray()
        self._parts: list[dict[str, Any]] = []
        self._written = 0
        self._finished = False

    # --- the file protocol zipfile needs ---

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._written

    def write(self, data: Any) -> int:
        if self._finished:
            raise ValueError("the upload is finished")
        view = memoryview(data).cast("B")
        self._buffer += view
        self._written += len(view)
        while len(self._buffer) >= self.part_size:
            with memoryview(self._buffer) as buffered:
                part = bytes(buffered[: self.part_size])
            del self._buffer[: self.part_size]
            self._upload_part(part)
        return len(view)

    # --- ending the upload ---

    @property
    def size(self) -> int:
        return self._written

    def complete(self) -> None:
        """Upload what is left and make the object appear, whole, under the key."""
        if self._buffer or not self._parts:
            self._upload_part(bytes(self._buffer))
            self._buffer.clear()
        self._client.complete_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self._upload_id,
                                               MultipartUpload={"Parts": self._parts})
        self._finished = True

    def abort(self) -> None:
        """Discard every uploaded part; nothing appears under the key."""
        if self._finished:
            return
        self._finished = True
        self._buffer.clear()
        try:
            self._client.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self._upload_id)
        except Exception:
            # The bucket's lifecycle rule aborts incomplete uploads after a day anyway.
            logger.exception("could not abort a multipart upload", extra={"key": self.key})

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        if kind is None:
            try:
                self.complete()
            except BaseException:
                self.abort()
                raise
        else:
            self.abort()
        super().__exit__(kind, error, traceback)

    def _upload_part(self, body: bytes) -> None:
        number = len(self._parts) + 1
        reply = self._client.upload_part(Bucket=self.bucket, Key=self.key, UploadId=self._upload_id,
                                         PartNumber=number, Body=body)
        self._parts.append({"PartNumber": number, "ETag": reply["ETag"]})
