"""What the local stack keeps across restarts: a snapshot of moto's data, taken under the server's lock.

`make run` provisions moto from infra/template.yaml on every start (so a changed template applies), then
puts back what the last run held:

- every DynamoDB item of every table;
- every S3 object (latest version) with its bytes, metadata (content type and the rest), ETag and
  modification time, without sending S3 events again;
- every SQS message with its attributes and receive count; a message that was in flight (received, not yet
  deleted) is visible again at once, as after its visibility timeout, and the idempotent handlers apply it
  exactly once;
- the mail SES recorded and the SMS SNS recorded (the local outbox).

Not kept: unfinished multipart uploads, object tags and older object versions, moto's own resources and
their settings (re-made from the template), and anything of AWS services the template does not use.

The snapshot is plain Python data (no moto objects), so it survives moto upgrades. Object bytes live next
to it, one file per distinct content (named by its SHA-256), written once and read again only when an
object changed. DynamoDB items are copied per partition, and only the partitions that requests wrote since
the last save are copied again (`DynamoWrites`), so a save costs what changed, not everything stored. Every
file is written to a temporary name and renamed, so a crash during a save leaves the previous snapshot whole.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
SNAPSHOT_NAME = "snapshot.pickle"
OBJECTS_DIR = "objects"

#: FakeKey attributes copied as they are (everything but the bytes, the metadata and moto's bookkeeping).
_KEY_ATTRIBUTES = ("_storage_class", "_etag", "encryption", "kms_key_id", "bucket_key_enabled",
                   "checksum_algorithm", "checksum_value", "checksum_type", "website_redirect_location",
                   "last_modified")
#: SQS Message attributes that make a message what it is (its receipt handles are per delivery and die here).
_MESSAGE_ATTRIBUTES = ("id", "body", "message_attributes", "sender_id", "sent_timestamp",
                       "approximate_first_receive_timestamp", "approximate_receive_count", "deduplication_id",
                       "group_id", "sequence_number", "delayed_until", "system_attributes")


@dataclass
class Snapshot:
    saved_at: float = 0.0
    #: (account, region, table) → items in DynamoDB JSON
    dynamodb: dict[tuple[str, str, str], list[dict[str, Any]]] = field(default_factory=dict)
    #: (account, bucket) → objects: {"name", "sha256", "size", "metadata", **_KEY_ATTRIBUTES}
    s3: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    #: (account, region, queue name) → messages
    sqs: dict[tuple[str, str, str], list[dict[str, Any]]] = field(default_factory=dict)
    #: (account, region) → mail SES recorded: {"kind", "id", "source", "destinations", "subject", "body",
    #: "raw_data", "sent_at"}
    ses: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    #: (account, region) → SMS SNS recorded: {"id", "phone", "message", "sent_at"}
    sms: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {"items": sum(map(len, self.dynamodb.values())), "objects": sum(map(len, self.s3.values())),
                "messages": sum(map(len, self.sqs.values())),
                "mails": sum(map(len, self.ses.values())) + sum(map(len, self.sms.values()))}


def _regional(service: str) -> Iterator[tuple[str, str, Any]]:
    """(account, region, backend) of every backend moto made for `service`."""
    from moto.backends import get_backend

    for account_id, regions in list(get_backend(service).items()):  # type: ignore[no-untyped-call]
        for region, backend in list(regions.items()):
            yield account_id, region, backend


@dataclass
class _ObjectBytes:
    """Bytes read during a capture, written to the object store after the lock is released."""

    pending: dict[str, bytes] = field(default_factory=dict)
    #: (account, bucket, name, etag, size, last_modified) → sha256 of what the last capture read
    known: dict[tuple[Any, ...], str] = field(default_factory=dict)


class DynamoWrites:
    """Which DynamoDB partitions requests may have written since the last capture.

    The moto server shows it every request that may change data, before applying it; anything it cannot
    place in a partition (table changes, PartiQL, a body it cannot read) makes the next capture copy
    everything again."""

    _KEYED = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})

    def __init__(self) -> None:
        #: table name → key or item attribute maps (DynamoDB JSON) written
        self.keys: dict[str, list[dict[str, Any]]] = {}
        self.everything = False

    def observe(self, environ: dict[str, Any]) -> None:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith("DynamoDB_"):
            return
        action = target.rsplit(".", 1)[-1]
        if action not in self._KEYED:
            self.everything = True
            return
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)  # moto reads it again
        try:
            self._note(action, json.loads(body or b"{}"))
        except (ValueError, KeyError, TypeError, AttributeError):
            self.everything = True

    def _add(self, table: str, attributes: dict[str, Any]) -> None:
        self.keys.setdefault(table.rsplit("/", 1)[-1], []).append(attributes)

    def _note(self, action: str, request: dict[str, Any]) -> None:
        if action == "PutItem":
            self._add(request["TableName"], request["Item"])
        elif action in ("UpdateItem", "DeleteItem"):
            self._add(request["TableName"], request["Key"])
        elif action == "BatchWriteItem":
            for table, writes in request["RequestItems"].items():
                for write in writes:
                    if "PutRequest" in write:
                        self._add(table, write["PutRequest"]["Item"])
                    else:
                        self._add(table, write["DeleteRequest"]["Key"])
        else:
            for entry in request["TransactItems"]:
                (kind, operation), = entry.items()
                if kind != "ConditionCheck":
                    self._add(operation["TableName"], operation["Item"] if kind == "Put" else operation["Key"])

    def take(self) -> tuple[dict[str, list[dict[str, Any]]], bool]:
        """(written keys by table, whether everything must be copied) since the last call."""
        taken = (self.keys, self.everything)
        self.keys, self.everything = {}, False
        return taken


class SnapshotStore:
    """The snapshot and object files under one directory (`.local-state/` of the checkout by default)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.objects = directory / OBJECTS_DIR
        self._bytes = _ObjectBytes()
        #: Written partitions, reported by the moto server (None: copy every table at each capture).
        self.writes: DynamoWrites | None = None
        #: (account, region, table) → hash key (DynamoType) → that partition's items, as of the last capture
        self._partitions: dict[tuple[str, str, str], dict[Any, list[dict[str, Any]]]] = {}

    @property
    def path(self) -> Path:
        return self.directory / SNAPSHOT_NAME

    def exists(self) -> bool:
        return self.path.exists()

    def discard(self) -> None:
        """Forget what was kept (`make run FRESH=1`)."""
        self.path.unlink(missing_ok=True)
        if self.objects.exists():
            for blob in self.objects.glob("*/*"):
                blob.unlink()

    # -- capture (the caller holds moto's lock) -------------------------------------------------------------

    def capture(self) -> Snapshot:
        """moto's data now. Only call while no request is being applied (SerializedMotoServer.exclusive())."""
        snapshot = Snapshot(saved_at=time.time())
        written, everything = self.writes.take() if self.writes is not None else ({}, True)
        self._capture_tables(snapshot, written, everything)
        for account_id, _, backend in _regional("s3"):
            for name, bucket in backend.buckets.items():
                snapshot.s3[(account_id, name)] = list(self._capture_objects(account_id, name, bucket))
        for account_id, region, backend in _regional("sqs"):
            for name, queue in backend.queues.items():
                snapshot.sqs[(account_id, region, name)] = [
                    {attribute: getattr(message, attribute) for attribute in _MESSAGE_ATTRIBUTES}
                    for message in queue._messages  # noqa: SLF001 - in flight ones too, which .messages omits
                ]
        _capture_outbox(snapshot)
        return snapshot

    def _capture_tables(self, snapshot: Snapshot, written: dict[str, Any], everything: bool) -> None:
        """Every table's items, copying again only the partitions written since the last capture."""
        partitions_now = {}
        for account_id, region, backend in _regional("dynamodb"):
            for name, table in backend.tables.items():
                key = (account_id, region, name)
                partitions = self._partitions.get(key)
                if partitions is None or everything or not self._recopy(table, partitions, written.get(name, ())):
                    partitions = _partitions_of(table, (item.to_json()["Attributes"] for item in table.all_items()))
                partitions_now[key] = partitions
                snapshot.dynamodb[key] = [item for items in partitions.values() for item in items]
        self._partitions = partitions_now

    @staticmethod
    def _recopy(table: Any, partitions: dict[Any, list[dict[str, Any]]], written: Any) -> bool:
        """Copy again the partitions `written` names; False if a key names no partition of this table."""
        from moto.dynamodb.models.dynamo_type import DynamoType

        for attributes in written:
            if table.hash_key_attr not in attributes:
                return False
            hash_key = DynamoType(attributes[table.hash_key_attr])
            stored = table.items.get(hash_key)
            if not stored:
                partitions.pop(hash_key, None)
                continue
            items = stored.values() if table.range_key_attr else [stored]
            partitions[hash_key] = [item.to_json()["Attributes"] for item in items]
        return True

    def _capture_objects(self, account_id: str, bucket_name: str, bucket: Any) -> Iterator[dict[str, Any]]:
        from moto.s3.models import FakeKey

        for name in list(dict.keys(bucket.keys)):
            versions = bucket.keys.getlist(name) or []
            key = versions[-1] if versions else None
            if not isinstance(key, FakeKey):  # a delete marker
                continue
            record = {attribute: getattr(key, attribute, None) for attribute in _KEY_ATTRIBUTES}
            identity = (account_id, bucket_name, name, key.etag, key.size, key.last_modified)
            digest = self._bytes.known.get(identity)
            if digest is None or not self._blob(digest).exists():
                value = key.value
                digest = hashlib.sha256(value).hexdigest()
                self._bytes.pending[digest] = value
            self._bytes.known[identity] = digest
            record.update(name=name, sha256=digest, size=key.size, metadata=dict(key.metadata))
            yield record

    # -- files ----------------------------------------------------------------------------------------------

    def _blob(self, digest: str) -> Path:
        return self.objects / digest[:2] / digest

    def write(self, snapshot: Snapshot) -> None:
        """Store the snapshot: object bytes first, then the snapshot file by rename, then drop unused bytes."""
        for digest, value in self._bytes.pending.items():
            blob = self._blob(digest)
            if not blob.exists():
                _write_atomically(blob, value)
        self._bytes.pending.clear()
        _write_atomically(self.path, pickle.dumps({"version": FORMAT_VERSION, "snapshot": snapshot},
                                                  protocol=pickle.HIGHEST_PROTOCOL))
        referenced = {record["sha256"] for records in snapshot.s3.values() for record in records}
        for blob in self.objects.glob("*/*") if self.objects.exists() else ():
            if blob.name not in referenced and not blob.name.endswith(".tmp"):
                blob.unlink(missing_ok=True)
        self._bytes.known = {k: v for k, v in self._bytes.known.items() if v in referenced}

    def read(self) -> Snapshot | None:
        if not self.path.exists():
            return None
        try:
            data = pickle.loads(self.path.read_bytes())  # noqa: S301 - written by this program into the checkout
        except Exception as exc:
            raise SnapshotError(f"{self.path} cannot be read ({exc}); start with FRESH=1") from exc
        if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
            version = data.get("version") if isinstance(data, dict) else None
            raise SnapshotError(f"{self.path} has format {version}, this program reads "
                                f"{FORMAT_VERSION}; start with FRESH=1")
        return data["snapshot"]

    # -- restore (before anything else talks to moto) -------------------------------------------------------

    def restore(self, snapshot: Snapshot) -> list[str]:
        """Put the snapshot's data into moto's freshly provisioned resources; what could not be put back."""
        skipped = self._restore_tables(snapshot) + self._restore_objects(snapshot) + _restore_queues(snapshot)
        _restore_outbox(snapshot)
        return skipped

    def _restore_tables(self, snapshot: Snapshot) -> list[str]:
        from moto.backends import get_backend

        skipped: list[str] = []
        for (account_id, region, name), items in snapshot.dynamodb.items():
            backend = get_backend("dynamodb")[account_id][region]  # type: ignore[no-untyped-call]
            if name not in backend.tables:
                skipped.append(f"table {name} ({len(items)} items): no longer in infra/template.yaml")
                continue
            table = backend.tables[name]
            stream, table.stream_shard = table.stream_shard, None  # restored items are not new writes
            try:
                for attributes in items:
                    backend.put_item(name, attributes)
            finally:
                table.stream_shard = stream
            self._partitions[(account_id, region, name)] = _partitions_of(table, items)
        return skipped

    def _restore_objects(self, snapshot: Snapshot) -> list[str]:
        from moto.backends import get_backend
        from moto.s3.models import FakeKey

        skipped: list[str] = []
        for (account_id, bucket_name), objects in snapshot.s3.items():
            backend = get_backend("s3")[account_id]["global"]  # type: ignore[no-untyped-call]
            bucket = backend.buckets.get(bucket_name)
            if bucket is None:
                skipped.append(f"bucket {bucket_name} ({len(objects)} objects): no longer in infra/template.yaml")
                continue
            for record in objects:
                try:
                    value = self._blob(record["sha256"]).read_bytes()
                except FileNotFoundError:
                    skipped.append(f"object {bucket_name}/{record['name']} (its bytes are missing)")
                    continue
                # Straight into the bucket: put_object would send the object's S3 event a second time.
                key = FakeKey(record["name"], value, account_id=account_id, region_name=bucket.region_name,
                              bucket_name=bucket_name)
                for attribute in _KEY_ATTRIBUTES:
                    if record.get(attribute) is not None:
                        setattr(key, attribute, record[attribute])
                key.set_metadata(dict(record["metadata"]), replace=True)
                bucket.keys[record["name"]] = key
        return skipped


def _capture_outbox(snapshot: Snapshot) -> None:
    """The mail (SES) and text messages (SNS) sent so far."""
    for account_id, region, backend in _regional("ses"):
        if backend.sent_messages:
            snapshot.ses[(account_id, region)] = [_mail_record(message) for message in backend.sent_messages]
    for account_id, region, backend in _regional("sns"):
        if backend.sms_messages:
            sent_at = getattr(backend, "dossier_sms_sent_at", {})
            snapshot.sms[(account_id, region)] = [
                {"id": message_id, "phone": phone, "message": text, "sent_at": sent_at.get(message_id)}
                for message_id, (phone, text) in backend.sms_messages.items()
            ]


def _restore_queues(snapshot: Snapshot) -> list[str]:
    from moto.backends import get_backend
    from moto.sqs.models import Message

    skipped: list[str] = []
    for (account_id, region, name), messages in snapshot.sqs.items():
        backend = get_backend("sqs")[account_id][region]  # type: ignore[no-untyped-call]
        queue = backend.queues.get(name)
        if queue is None:
            skipped.append(f"queue {name} ({len(messages)} messages): no longer in infra/template.yaml")
            continue
        for record in messages:
            message = Message(record["id"], record["body"], record["system_attributes"])
            for attribute in _MESSAGE_ATTRIBUTES:
                setattr(message, attribute, record[attribute])
            queue._messages.append(message)  # noqa: SLF001 - visible now, with its receive count
    return skipped


def _restore_outbox(snapshot: Snapshot) -> None:
    from moto.backends import get_backend
    from moto.ses.models import Message as Mail
    from moto.ses.models import RawMessage

    for (account_id, region), mails in snapshot.ses.items():
        backend = get_backend("ses")[account_id][region]  # type: ignore[no-untyped-call]
        for record in mails:
            if record["kind"] == "raw":
                mail: Any = RawMessage(record["id"], record["source"], record["destinations"], record["raw_data"])
            else:
                mail = Mail(record["id"], record["source"], record["subject"], record["body"],
                            record["destinations"])
            mail.dossier_sent_at = record["sent_at"]
            backend.sent_messages.append(mail)
    for (account_id, region), texts in snapshot.sms.items():
        backend = get_backend("sns")[account_id][region]  # type: ignore[no-untyped-call]
        sent_at = backend.__dict__.setdefault("dossier_sms_sent_at", {})
        for record in texts:
            backend.sms_messages[record["id"]] = (record["phone"], record["message"])
            sent_at[record["id"]] = record["sent_at"]


class SnapshotError(Exception):
    """The kept state cannot be read by this program."""


def _partitions_of(table: Any, items: Any) -> dict[Any, list[dict[str, Any]]]:
    """Items (DynamoDB JSON) grouped by their hash key, as moto's table keys them."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    partitions: dict[Any, list[dict[str, Any]]] = {}
    for attributes in items:
        partitions.setdefault(DynamoType(attributes[table.hash_key_attr]), []).append(attributes)
    return partitions


def _mail_record(message: Any) -> dict[str, Any]:
    raw = getattr(message, "raw_data", None)
    return {"kind": "raw" if raw is not None else "simple", "id": getattr(message, "id", ""),
            "source": message.source, "destinations": message.destinations,
            "subject": getattr(message, "subject", ""), "body": getattr(message, "body", ""), "raw_data": raw,
            "sent_at": getattr(message, "dossier_sent_at", None)}


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
