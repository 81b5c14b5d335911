"""The local stack's snapshot (infra/local/snapshot.py): what moto held comes back whole in a fresh moto, in-flight
messages become visible again with their receive counts, restoring sends no S3 event, and a failed save keeps
the previous snapshot."""

from __future__ import annotations

import datetime
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.local import outbox
from infra.local.snapshot import SnapshotStore

REGION = "eu-central-1"
TABLE, BUCKET, QUEUE = "snapshot-table", "snapshot-bucket", "snapshot-queue"


@pytest.fixture
def fresh_moto() -> Iterator[Any]:
    """A function that opens a new, empty moto with the resources the snapshot refers to."""
    outbox.record_send_times()
    contexts = []

    def open_moto() -> boto3.session.Session:
        if contexts:
            contexts.pop().stop()
        context = mock_aws()
        context.start()
        contexts.append(context)
        session = boto3.session.Session(region_name=REGION, aws_access_key_id="local",
                                        aws_secret_access_key="local")  # noqa: S106 - moto's fake keys
        session.client("dynamodb").create_table(
            TableName=TABLE, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"}])
        sqs = session.client("sqs")
        queue_url = sqs.create_queue(QueueName=QUEUE, Attributes={"VisibilityTimeout": "300"})["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        s3 = session.client("s3")
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]})
        sqs.purge_queue(QueueUrl=queue_url)  # S3's test event for the new configuration
        session.client("sesv2").create_email_identity(EmailIdentity="no-reply@dossier.local")
        return session

    yield open_moto
    for context in contexts:
        context.stop()


def _items(session: Any) -> list[dict[str, Any]]:
    return sorted(session.client("dynamodb").scan(TableName=TABLE)["Items"], key=lambda i: i["sk"]["S"])


def _queue_url(session: Any) -> str:
    return session.client("sqs").get_queue_url(QueueName=QUEUE)["QueueUrl"]


def _receive_all(session: Any) -> list[dict[str, Any]]:
    return session.client("sqs").receive_message(QueueUrl=_queue_url(session), MaxNumberOfMessages=10,
                                                 AttributeNames=["All"], MessageAttributeNames=["All"],
                                                 VisibilityTimeout=0).get("Messages", [])


def test_a_snapshot_restores_items_objects_messages_and_mail(fresh_moto, tmp_path: Path) -> None:
    session = fresh_moto()
    dynamodb = session.client("dynamodb")
    dynamodb.put_item(TableName=TABLE, Item={
        "pk": {"S": "acme"}, "sk": {"S": "1"}, "n": {"N": "12.5"}, "b": {"B": b"\x00\xffbytes"},
        "tags": {"SS": ["a", "b"]}, "nested": {"M": {"list": {"L": [{"N": "1"}, {"S": "x"}, {"B": b"\x01"}]},
                                                    "flag": {"BOOL": True}, "none": {"NULL": True}}}})
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "acme"}, "sk": {"S": "2"}, "name": {"S": "Müller"}})
    content = bytes(range(256)) * 40
    s3 = session.client("s3")
    s3.put_object(Bucket=BUCKET, Key="uploads/a b.pdf", Body=content, ContentType="application/pdf",
                  ContentDisposition='attachment; filename="a b.pdf"', Metadata={"file-id": "f1"})
    stored = s3.head_object(Bucket=BUCKET, Key="uploads/a b.pdf")
    sqs = session.client("sqs")
    in_flight = sqs.receive_message(QueueUrl=_queue_url(session), MaxNumberOfMessages=10)["Messages"]
    assert len(in_flight) == 1, "the object's S3 event, now in flight"
    sqs.send_message(QueueUrl=_queue_url(session), MessageBody="queued",
                     MessageAttributes={"kind": {"DataType": "String", "StringValue": "job"}})
    session.client("sesv2").send_email(
        FromEmailAddress="no-reply@dossier.local", Destination={"ToAddresses": ["kunde@example.com"]},
        Content={"Simple": {"Subject": {"Data": "Ihr Link"}, "Body": {"Text": {"Data": "http://x/p/1"}}}})
    items_before = _items(session)

    store = SnapshotStore(tmp_path)
    store.write(store.capture())
    assert store.read().counts() == {"items": 2, "objects": 1, "messages": 2, "mails": 1}

    session = fresh_moto()
    assert _items(session) == [] and _receive_all(session) == []
    assert store.restore(store.read()) == []

    assert _items(session) == items_before
    restored = session.client("s3").head_object(Bucket=BUCKET, Key="uploads/a b.pdf")
    for name in ("ContentType", "ContentDisposition", "Metadata", "ETag", "LastModified", "ContentLength"):
        assert restored[name] == stored[name], name
    assert session.client("s3").get_object(Bucket=BUCKET, Key="uploads/a b.pdf")["Body"].read() == content
    messages = {m["Body"]: m for m in _receive_all(session)}
    assert len(messages) == 2, "the in-flight event is visible again, and restoring sent no new S3 event"
    event = next(m for body, m in messages.items() if body != "queued")
    assert json.loads(event["Body"])["Records"][0]["s3"]["object"]["size"] == len(content)
    assert event["Attributes"]["ApproximateReceiveCount"] == "2", "its first delivery still counts"
    assert messages["queued"]["MessageAttributes"]["kind"]["StringValue"] == "job"
    mails = outbox.outbox_items()
    assert [(m["to"], m["subject"], m["links"]) for m in mails] == [("kunde@example.com", "Ihr Link", ["http://x/p/1"])]
    assert abs(datetime.datetime.fromisoformat(mails[0]["at"].replace("Z", "+00:00")).timestamp() - time.time()) < 60


def test_a_failed_save_keeps_the_previous_snapshot_and_unused_bytes_go(fresh_moto, tmp_path: Path,
                                                                        monkeypatch) -> None:
    session = fresh_moto()
    s3 = session.client("s3")
    s3.put_object(Bucket=BUCKET, Key="one", Body=b"first")
    store = SnapshotStore(tmp_path)
    store.write(store.capture())
    saved = store.path.read_bytes()

    s3.put_object(Bucket=BUCKET, Key="two", Body=b"second")
    real_replace = os.replace

    def crash_on_snapshot(source: Any, target: Any) -> None:
        if Path(target) == store.path:
            raise OSError("disk full")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", crash_on_snapshot)
    with pytest.raises(OSError):
        store.write(store.capture())
    monkeypatch.undo()
    assert store.path.read_bytes() == saved and store.read().counts()["objects"] == 1

    s3.delete_object(Bucket=BUCKET, Key="one")
    store.write(store.capture())
    blobs = {blob.name for blob in (tmp_path / "objects").glob("*/*")}
    assert len(blobs) == 1 and store.read().s3[(next(iter(store.read().s3)))][0]["name"] == "two"
    store.discard()
    assert store.read() is None and not list((tmp_path / "objects").glob("*/*"))


def test_a_save_copies_again_only_the_partitions_written_since_the_last(tmp_path: Path, monkeypatch) -> None:
    """Through the local stack's moto server: the next capture equals a full copy, and copies only what changed."""
    import socket

    from moto.dynamodb.models.dynamo_type import Item

    from infra.local.moto_server import SerializedMotoServer
    from infra.local.snapshot import DynamoWrites

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = SerializedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        dynamodb = boto3.client("dynamodb", region_name=REGION, endpoint_url=f"http://127.0.0.1:{port}",
                                aws_access_key_id="local", aws_secret_access_key="local")  # noqa: S106
        dynamodb.create_table(
            TableName=TABLE, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"}])
        store = SnapshotStore(tmp_path)
        store.writes = server.serialized.observer = DynamoWrites()
        for partition in "ABCDEFGHIJ":
            for n in range(5):
                dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": partition}, "sk": {"S": str(n)},
                                                         "m": {"M": {"a": {"N": "1"}}}})
        with server.exclusive():
            store.capture()

        dynamodb.update_item(TableName=TABLE, Key={"pk": {"S": "A"}, "sk": {"S": "0"}},
                             UpdateExpression="SET m.a = :v", ExpressionAttributeValues={":v": {"N": "2"}})
        dynamodb.delete_item(TableName=TABLE, Key={"pk": {"S": "B"}, "sk": {"S": "0"}})
        dynamodb.batch_write_item(RequestItems={TABLE: [
            {"PutRequest": {"Item": {"pk": {"S": "K"}, "sk": {"S": "0"}}}},
            {"DeleteRequest": {"Key": {"pk": {"S": "C"}, "sk": {"S": "1"}}}}]})
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "L"}, "sk": {"S": "0"}}}},
            {"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "D"}, "sk": {"S": "0"}}}},
            {"ConditionCheck": {"TableName": TABLE, "Key": {"pk": {"S": "E"}, "sk": {"S": "0"}},
                                "ConditionExpression": "attribute_exists(pk)"}}])
        for n in range(5):
            dynamodb.delete_item(TableName=TABLE, Key={"pk": {"S": "F"}, "sk": {"S": str(n)}})

        copied = []
        to_json = Item.to_json
        monkeypatch.setattr(Item, "to_json", lambda self, *a: copied.append(self) or to_json(self, *a))
        with server.exclusive():
            incremental = store.capture()
        assert len(copied) == 5 + 4 + 1 + 4 + 1 + 4, "A, B, C, D and the new K and L; F is gone"
        monkeypatch.undo()
        with server.exclusive():
            full = SnapshotStore(tmp_path / "full").capture()

        def rows(snapshot: Any) -> list[str]:
            return sorted(json.dumps(item, sort_keys=True) for items in snapshot.dynamodb.values() for item in items)

        assert rows(incremental) == rows(full)
        assert len(rows(full)) == 50 - 1 - 1 - 1 - 5 + 2
        assert '"m": {"M": {"a": {"N": "2"}}}' in "".join(rows(incremental))
    finally:
        server.stop()
        with mock_aws():  # leaves moto's process-wide backends empty for the next test
            pass


def test_an_unreadable_snapshot_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    from infra.local.snapshot import SnapshotError

    store = SnapshotStore(tmp_path)
    store.path.write_bytes(b"not a snapshot")
    with pytest.raises(SnapshotError, match="FRESH=1"):
        store.read()


def test_the_outbox_reads_raw_mail_and_sms_and_escapes_what_it_shows(fresh_moto) -> None:
    session = fresh_moto()
    raw = ("From: no-reply@dossier.local\r\nTo: kunde@example.com\r\nSubject: =?utf-8?q?R=C3=BCckfrage?=\r\n"
           "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           "<b>Bitte</b> erneut: http://127.0.0.1:8000/p/abc?x=1&y=2\r\n")
    session.client("ses").send_raw_email(Source="no-reply@dossier.local", Destinations=["kunde@example.com"],
                                         RawMessage={"Data": raw.encode()})
    session.client("sns").publish(PhoneNumber="+491701234567", Message="Ihr Code: http://127.0.0.1:8000/c/x")
    items = outbox.outbox_items()
    assert {(i["channel"], i["to"], i["subject"]) for i in items} == {
        ("email", "kunde@example.com", "Rückfrage"), ("sms", "+491701234567", "")}
    mail = next(i for i in items if i["channel"] == "email")
    assert mail["links"] == ["http://127.0.0.1:8000/p/abc?x=1&y=2"]
    page = outbox.render_page(items)
    assert "<b>Bitte</b>" not in page and "&lt;b&gt;Bitte&lt;/b&gt;" in page
    assert '<a href="http://127.0.0.1:8000/p/abc?x=1&amp;y=2">' in page
    assert '<a href="http://127.0.0.1:8000/c/x">' in page
