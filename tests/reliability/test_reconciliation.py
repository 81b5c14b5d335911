"""Reconciliation (chalicelib/reconcile): drift between counters, records and objects is found and repaired,
each repair logged and counted; what is right is left alone. Drift is made by hand here (a lost S3 event,
a counter edited behind the app's back), then the daily function runs as EventBridge would call it."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from chalicelib import clock
from chalicelib.observability import metrics
from chalicelib.storage import keys
from chalicelib.storage.tables import main_table
from tests.reliability.audit import audit
from tests.support import events, faults

#: Past an upload URL's lifetime: objects this old are no longer "probably still announced by S3".
LATER = datetime.timedelta(hours=1)


def run_schedule(application: Any) -> dict[str, Any]:
    """The daily run as on AWS: the scheduled function queues a job per account, and each job runs through the
    jobs handler; what the jobs did, summed up. Raises ReconciliationFailedError naming the accounts whose job
    failed (on AWS: retried, then the jobs DLQ)."""
    from chalice.local import LambdaContext

    from chalicelib.jobs.messages import parse
    from chalicelib.reconcile import handler
    from chalicelib.reconcile.service import summarize
    from chalicelib.settings import get_settings
    from tests.support.jobs import deliver_job, scheduled_event

    queued = application.reconcile_counters(scheduled_event(clock.now_iso()), LambdaContext("reconcile_counters", 512))
    sqs, url = boto3.client("sqs"), get_settings().jobs_queue_url
    bodies = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            bodies.append(message["Body"])
    accounts = [parse(body).account_id for body in bodies if parse(body).kind == "reconcile_account"]
    assert len(accounts) == queued["accounts_queued"] == len(set(accounts)), "one job per account"
    reports, failed, run_account = [], [], handler.run_account
    handler.run_account = lambda message: reports.append(run_account(message)) or reports[-1]
    try:
        for body in bodies:
            if deliver_job(application, body).get("batchItemFailures"):
                failed.append(parse(body).account_id)
    finally:
        handler.run_account = run_account
    if failed:
        raise handler.ReconciliationFailedError(f"failed: {failed}")
    return summarize(reports, failed)


def reconcile_later(account_id: str):
    """Reconcile one account as if it ran an hour from now."""
    from chalicelib.reconcile.service import reconcile_account

    return reconcile_account(account_id, now=clock.now() + LATER)


def emitted(output: str, name: str) -> float:
    """The sum of a metric in the EMF documents powertools printed."""
    total = 0.0
    for line in output.splitlines():
        if line.startswith('{"_aws"'):
            document = json.loads(line)
            values = document.get(name, [])
            total += sum(values) if isinstance(values, list) else values
    return total


@pytest.fixture(autouse=True)
def quiet_queue(aws) -> None:
    events.take_messages(aws)


@pytest.fixture
def shop(make_account, application, aws) -> dict[str, Any]:
    """An account with two customers: one with three stored files (two received, one of them in an upload
    area, and one sent) and two links (one revoked), one with nothing."""
    from tests.support.api import ApiClient

    account_id, token = make_account()
    api = ApiClient(application.app, token=token)
    area = api.post("/attributes", {"name": "Ausweis", "type": "file"}).json["id"]
    first = api.post("/customers", {"name": "Lena Vogel"}).json["id"]
    second = api.post("/customers", {"name": "Tom Berg"}).json["id"]
    for name, size, file_area, direction in (("a.pdf", 11, "general", "received"), ("b.pdf", 13, area, "received"),
                                             ("c.pdf", 17, "general", "sent")):
        presigned = api.post(f"/customers/{first}/files", {"filename": name, "size": size, "area": file_area,
                                                           "content_type": "application/pdf",
                                                           "direction": direction}).json
        events.post_upload(presigned, b"z" * size)
    events.drain(application, aws)
    links = [api.post(f"/customers/{first}/links", {"areas": ["general"]}).json["id"] for _ in range(2)]
    assert api.delete(f"/customers/{first}/links/{links[1]}").status == 204
    assert audit(account_id).problems == []
    return {"account_id": account_id, "api": api, "first": first, "second": second, "area": area,
            "bucket": aws.outputs["UploadsBucketName"]}


def corrupt(item_key: dict[str, str], expression: str, values: dict[str, Any] | None = None,
            names: dict[str, str] | None = None) -> None:
    main_table().update(item_key, expression, values=values, names=names, return_values="NONE")


def test_drifted_counters_are_repaired_logged_and_counted(shop, application, capsys, monkeypatch) -> None:
    account_id, first, second = shop["account_id"], shop["first"], shop["second"]
    corrupt(keys.account(account_id), "ADD used_bytes :d SET customers_count = :n", {":d": 123, ":n": 7})
    corrupt(keys.customer(account_id, first), "SET files_count = :z, links_count = :l, area_counts = :a ADD #b :d",
            {":z": 0, ":l": 3, ":a": {"general": 9}, ":d": 5}, {"#b": "bytes"})
    corrupt(keys.customer(account_id, second), "SET files_count = :two REMOVE #b", {":two": 2}, {"#b": "bytes"})
    drifted = 7  # used_bytes, customers_count; files_count, links_count, area_counts, bytes; files_count
    assert len(audit(account_id, settled=False).problems) == drifted

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    metrics.clear_metrics()
    capsys.readouterr()
    summary = run_schedule(application)
    output = capsys.readouterr().out

    assert audit(account_id).problems == []
    assert summary["counters_repaired"] == drifted and summary["objects_reconciled"] == 0
    assert summary["failed"] == [] and summary["accounts"] >= 1
    assert emitted(output, "CountersRepaired") == drifted
    customer = shop["api"].get(f"/customers/{first}").json
    assert (customer["files_count"], customer["bytes"], customer["links_count"]) == (3, 41, 1)
    assert audit(account_id).customers[first]["area_counts"] == {"general": 1, shop["area"]: 1}

    again = run_schedule(application)
    assert again["counters_repaired"] == 0 and again["objects_reconciled"] == 0, "a second run finds nothing"


def test_each_repair_is_logged(shop, caplog) -> None:
    account_id = shop["account_id"]
    corrupt(keys.account(account_id), "ADD used_bytes :d", {":d": -20})
    with caplog.at_level("WARNING"):
        report = reconcile_later(account_id)
    [repair] = report.counters
    assert (repair.target, repair.counter, repair.was, repair.now) == ("account", "used_bytes", 21, 41)
    logged = [r for r in caplog.records if r.getMessage() == "counter repaired"]
    assert len(logged) == 1 and logged[0].account_id == account_id and logged[0].was == 21


def test_a_lost_created_event_is_replayed_and_counts_once(shop, application, aws) -> None:
    account_id, api = shop["account_id"], shop["api"]
    presigned = api.post(f"/customers/{shop['second']}/files", {"filename": "verloren.pdf", "size": 19,
                                                                "content_type": "application/pdf",
                                                                "direction": "received"}).json
    events.post_upload(presigned, b"v" * 19)
    late = events.take_messages(aws)  # S3's event is lost (for now)

    from chalicelib.reconcile.service import reconcile_account

    assert reconcile_account(account_id).objects == [], "a fresh upload's event is probably still on its way"
    report = reconcile_later(account_id)
    assert [(r.event, r.result) for r in report.objects] == [("created", "stored")]
    found = audit(account_id)
    assert found.problems == [] and found.account["used_bytes"] == 41 + 19
    assert found.customers[shop["second"]]["status"] == "partial"

    events.deliver(application, [m["Body"] for m in late])  # the event turns up after all
    assert audit(account_id).account["used_bytes"] == 41 + 19


def test_an_object_nobody_reserved_is_deleted_once_its_upload_window_has_passed(shop) -> None:
    account_id, bucket = shop["account_id"], shop["bucket"]
    s3 = boto3.client("s3")
    orphans = [f"files/{account_id}/{shop['second']}/{'a' * 28}", f"files/{account_id}/{'b' * 28}/{'c' * 28}"]
    for key in orphans:
        s3.put_object(Bucket=bucket, Key=key, Body=b"nobody asked for this", ContentType="application/pdf")

    from chalicelib.reconcile.service import reconcile_account

    assert reconcile_account(account_id).objects == []
    assert set(orphans) <= set(audit(account_id).objects)

    report = reconcile_later(account_id)
    assert sorted(r.result for r in report.objects) == ["rejected", "unknown"]
    found = audit(account_id)
    assert found.problems == [] and not set(orphans) & set(found.objects)
    assert found.account["used_bytes"] == 41


def test_a_record_whose_object_vanished_is_dropped_and_uncounted(shop, application, aws) -> None:
    account_id, bucket = shop["account_id"], shop["bucket"]
    stored = audit(account_id).stored
    victim = next(f for f in stored if f["size"] == 13)
    boto3.client("s3").delete_object(Bucket=bucket, Key=victim["key"])
    late = events.take_messages(aws)  # the removal event is lost

    report = reconcile_later(account_id)
    assert [(r.event, r.result) for r in report.objects] == [("removed", "removed")]
    found = audit(account_id)
    assert found.problems == [] and found.account["used_bytes"] == 41 - 13
    assert found.customers[shop["first"]]["area_counts"].get(shop["area"], 0) == 0

    events.deliver(application, [m["Body"] for m in late])
    assert audit(account_id).account["used_bytes"] == 41 - 13


def test_a_lost_overwrite_takes_the_objects_size(shop, aws) -> None:
    account_id, bucket = shop["account_id"], shop["bucket"]
    victim = next(f for f in audit(account_id).stored if f["size"] == 17)
    boto3.client("s3").put_object(Bucket=bucket, Key=victim["key"], Body=b"k" * 8, ContentType="application/pdf")
    events.take_messages(aws)

    report = reconcile_later(account_id)
    assert [(r.event, r.result) for r in report.objects] == [("created", "replaced")]
    found = audit(account_id)
    assert found.problems == [] and found.account["used_bytes"] == 41 - 17 + 8


def reconcile_with_hook(operation: str, hook: Callable[..., None], account_id: str) -> Any:
    """Reconcile the account while `hook` sees the parameters of each DynamoDB `operation` call the job makes."""
    from chalicelib import aws as app_aws
    from chalicelib.reconcile.service import reconcile_account

    hooks = app_aws.client("dynamodb").meta.events
    event = f"before-parameter-build.dynamodb.{operation}"
    hooks.register(event, hook, unique_id="reconcile-hook")
    try:
        return reconcile_account(account_id)
    finally:
        hooks.unregister(event, unique_id="reconcile-hook")


def test_a_counter_that_moves_during_the_recount_is_not_overwritten(shop, application, aws) -> None:
    """An upload is handled after the records were recounted but before the counter is read again: repairing
    to the recount would lose its bytes. The counter moved, so the job counts again instead."""
    account_id, api = shop["account_id"], shop["api"]
    corrupt(keys.account(account_id), "ADD used_bytes :d", {":d": 100})
    presigned = api.post(f"/customers/{shop['second']}/files", {"filename": "parallel.pdf", "size": 23,
                                                                "content_type": "application/pdf"}).json
    events.post_upload(presigned, b"p" * 23)
    racing = [m["Body"] for m in events.take_messages(aws)]
    account_reads = []

    def upload_lands_meanwhile(params: dict[str, Any], **_: Any) -> None:
        if params.get("Key") == {"pk": {"S": account_id}, "sk": {"S": keys.ACCOUNT_SK}} and racing:
            account_reads.append(1)
            if len(account_reads) == 2:  # the job's second look at the counter: after the recount
                events.deliver(application, [racing.pop()])

    report = reconcile_with_hook("GetItem", upload_lands_meanwhile, account_id)

    assert racing == [], "the upload was handled during the reconciliation"
    found = audit(account_id)
    assert found.problems == [] and found.account["used_bytes"] == 41 + 23
    assert [(r.counter, r.was, r.now) for r in report.counters
            if r.target == "account"] == [("used_bytes", 41 + 23 + 100, 41 + 23)]


def test_customers_created_and_deleted_during_the_recount_are_left_alone(shop) -> None:
    account_id, api = shop["account_id"], shop["api"]
    corrupt(keys.customer(account_id, shop["first"]), "ADD links_count :d", {":d": 2})
    happened = []

    def staff_work_meanwhile(params: dict[str, Any], **_: Any) -> None:
        partition = params.get("ExpressionAttributeValues", {}).get(":pk", {}).get("S")
        if partition == keys.files_partition(account_id) and not happened:
            happened.append(api.post("/customers", {"name": "Neu dazu"}).json["id"])
            assert api.delete(f"/customers/{shop['second']}").status in (202, 204)  # deleted or being deleted

    report = reconcile_with_hook("Query", staff_work_meanwhile, account_id)

    assert happened, "the staff work ran during the reconciliation"
    assert [(r.target, r.counter) for r in report.counters] == [(shop["first"], "links_count")]
    assert audit(account_id).problems == []


def test_an_account_that_fails_does_not_stop_the_others(shop, make_account, application) -> None:
    from chalicelib.reconcile.handler import ReconciliationFailedError

    healthy = shop["account_id"]
    broken, _ = make_account()
    corrupt(keys.account(healthy), "ADD used_bytes :d", {":d": 1})

    def list_fails_for_broken(params: dict[str, Any], **_: Any) -> None:
        if params.get("Prefix", "").startswith(f"files/{broken}/"):
            raise faults.client_error("InternalError", "ListObjectsV2")

    from chalicelib import aws as app_aws

    hooks = app_aws.client("s3").meta.events
    hooks.register("before-parameter-build.s3.ListObjectsV2", list_fails_for_broken, unique_id="broken")
    try:
        with pytest.raises(ReconciliationFailedError, match=broken):
            run_schedule(application)
    finally:
        hooks.unregister("before-parameter-build.s3.ListObjectsV2", unique_id="broken")
    assert audit(healthy).problems == []


def test_every_account_is_in_the_directory_once(make_account, aws) -> None:
    from chalicelib.accounts.repository import AccountRepository
    from chalicelib.accounts.service import create_account

    account_id, _ = make_account()
    assert create_account(account_id)[1] is False  # idempotent: still one entry
    listed = list(AccountRepository().ids())
    assert listed.count(account_id) == 1
    entries = main_table().query(keys.ACCOUNTS, index=keys.GSI1, sk_prefix=account_id).items
    assert [e["pk"] for e in entries] == [f"{account_id}#{keys.DIRECTORY_SK}"]


def test_accounts_from_before_the_directory_are_backfilled(make_account, aws) -> None:
    from chalicelib.accounts.repository import AccountRepository
    from chalicelib.settings import get_settings
    from infra.backfill_accounts import backfill

    account_id, _ = make_account()
    main_table().delete(keys.directory_entry(account_id))  # as if created before the directory existed
    assert account_id not in set(AccountRepository().ids())
    assert account_id in backfill(boto3.client("dynamodb"), get_settings().table_name)
    assert account_id in set(AccountRepository().ids())
    assert backfill(boto3.client("dynamodb"), get_settings().table_name) == []
