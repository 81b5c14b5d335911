"""The daily reconciliation is fanned out: the scheduled function only queues one job per account (its work does
not grow with what the accounts hold), and each job reconciles one account through the jobs handler."""

from __future__ import annotations

import boto3

from bench.counting import dynamodb_cost
from chalicelib import clock
from chalicelib.jobs.messages import parse
from chalicelib.settings import get_settings
from chalicelib.storage import keys
from chalicelib.storage.tables import main_table
from tests.support import jobs


def _take_jobs() -> list[str]:
    sqs, url = boto3.client("sqs"), get_settings().jobs_queue_url
    bodies = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            bodies.append(message["Body"])
    return bodies


def test_the_schedule_queues_a_job_per_account_and_reconciles_none_itself(make_account, application, aws) -> None:
    from chalice.local import LambdaContext

    from chalicelib import aws as app_aws
    from chalicelib.accounts.repository import AccountRepository

    for _ in range(3):
        make_account()
    drifted, _ = make_account()
    main_table().update(keys.account(drifted), "ADD used_bytes :d", values={":d": 77}, return_values="NONE")
    _take_jobs()
    listings: list[str] = []
    hooks = app_aws.client("s3").meta.events
    hooks.register("before-parameter-build.s3.ListObjectsV2", lambda params, **_: listings.append(params["Prefix"]),
                   unique_id="fanout-listings")
    try:
        with dynamodb_cost() as cost:
            summary = application.reconcile_counters(jobs.scheduled_event(clock.now_iso()),
                                                     LambdaContext("reconcile_counters", 512))
    finally:
        hooks.unregister("before-parameter-build.s3.ListObjectsV2", unique_id="fanout-listings")
    directory = set(AccountRepository().ids())
    bodies = _take_jobs()
    assert {parse(b).account_id for b in bodies} == directory and len(bodies) == len(directory)
    assert summary == {"accounts_queued": len(directory)}
    assert listings == [], "the scheduled run looks at no account's objects"
    assert set(cost.calls) == {"Query"}, cost.describe()  # the directory only

    [mine] = [b for b in bodies if parse(b).account_id == drifted]
    assert not jobs.deliver_job(application, mine).get("batchItemFailures")
    assert main_table().get(keys.account(drifted))["used_bytes"] == 0, "the account's job repaired it"
