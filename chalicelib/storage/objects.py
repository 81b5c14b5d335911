"""S3 access: presigned POSTs and GETs, heads, deletes, listings, streaming copies."""

from __future__ import annotations

import datetime
import urllib.parse
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from chalicelib import aws

if TYPE_CHECKING:  # pragma: no cover
    from mypy_boto3_s3.type_defs import CopySourceTypeDef, HeadObjectOutputTypeDef


class ObjectMissingError(Exception):
    """The object does not exist (any more)."""


def presigned_get(bucket: str, key: str, expires_in: int, download_name: str | None = None,
                  version_id: str | None = None) -> str:
    params: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if version_id:
        params["VersionId"] = version_id
    if download_name is not None:
        quoted = urllib.parse.quote(download_name, safe="")
        params["ResponseContentDisposition"] = f"attachment; filename*=UTF-8''{quoted}"
    return aws.client("s3").generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)


def presigned_post(
    bucket: str, key: str, content_type: str, max_bytes: int, expires_in: int
) -> dict[str, Any]:
    """A POST policy pinning the exact key and Content-Type and capping the size."""
    return aws.client("s3").generate_presigned_post(
        Bucket=bucket,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[
            {"bucket": bucket},
            {"key": key},
            {"Content-Type": content_type},
            ["content-length-range", 1, max_bytes],
        ],
        ExpiresIn=expires_in,
    )


def head(bucket: str, key: str) -> HeadObjectOutputTypeDef:
    from botocore.exceptions import ClientError

    try:
        return aws.client("s3").head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            raise ObjectMissingError(key) from exc
        raise


def exists(bucket: str, key: str) -> bool:
    try:
        head(bucket, key)
    except ObjectMissingError:
        return False
    return True


def put(bucket: str, key: str, body: bytes, content_type: str) -> None:
    """Write a small object the server made itself (a signature image)."""
    aws.client("s3").put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)


def get(bucket: str, key: str) -> bytes:
    """A small object's bytes (ObjectMissingError when it is gone)."""
    from botocore.exceptions import ClientError

    try:
        return aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            raise ObjectMissingError(key) from exc
        raise


def delete(bucket: str, key: str) -> None:
    aws.client("s3").delete_object(Bucket=bucket, Key=key)


def delete_version(bucket: str, key: str, version_id: str) -> None:
    """Remove one version for good: the previous one becomes the object again."""
    aws.client("s3").delete_object(Bucket=bucket, Key=key, VersionId=version_id)


def copy(bucket: str, key: str, target_key: str, version_id: str | None = None) -> None:
    """Copy an object (one version of it) within the bucket (up to 5 GB, one request)."""
    from botocore.exceptions import ClientError

    source: CopySourceTypeDef = {"Bucket": bucket, "Key": key}
    if version_id:
        source["VersionId"] = version_id
    try:
        aws.client("s3").copy_object(Bucket=bucket, Key=target_key, CopySource=source)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NoSuchVersion", "NotFound"):
            raise ObjectMissingError(key) from exc
        raise


def bucket_url(bucket: str) -> str:
    """The URL presigned requests for `bucket` go to (path-style addressing: the endpoint, then the bucket)."""
    return f"{aws.client('s3').meta.endpoint_url.rstrip('/')}/{bucket}"


def first_bytes(bucket: str, key: str, count: int) -> bytes:
    """The first `count` bytes of an object (a ranged GET)."""
    from botocore.exceptions import ClientError

    try:
        reply = aws.client("s3").get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{count - 1}")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            raise ObjectMissingError(key) from exc
        raise
    return reply["Body"].read(count)


def keys_under(bucket: str, prefix: str) -> list[str]:
    """Every key that starts with `prefix`."""
    paginator = aws.client("s3").get_paginator("list_objects_v2")
    pages = paginator.paginate(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


class ListedObject(NamedTuple):
    key: str
    size: int
    etag: str
    last_modified: datetime.datetime


def listing(bucket: str, prefix: str) -> Iterator[ListedObject]:
    """Every object under `prefix`, with its size, ETag and age (the truth for what is stored)."""
    paginator = aws.client("s3").get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            yield ListedObject(key=item["Key"], size=int(item["Size"]), etag=str(item.get("ETag", "")).strip('"'),
                               last_modified=item["LastModified"])
