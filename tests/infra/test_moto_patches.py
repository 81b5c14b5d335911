"""infra/local/moto_patches.py: what the local stack and the suite change in moto, proven on moto itself."""

from __future__ import annotations

import gc
from typing import Any

import boto3


def tables_alive() -> int:
    from moto.dynamodb.models.table import Table

    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, Table))


def transact(table_name: str, n: int, condition_fails: bool = False) -> None:
    client = boto3.client("dynamodb")
    try:
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": table_name, "Item": {"pk": {"S": "moto-patch"}, "sk": {"S": f"item-{n}-{i}"}},
                     **({"ConditionExpression": "attribute_exists(pk)"} if condition_fails else {})}}
            for i in range(3)
        ])
    except client.exceptions.TransactionCanceledException:
        assert condition_fails


def test_transactions_leave_no_table_snapshot_behind(aws: Any) -> None:
    """moto copies the table for a rollback; kept forever, the local stack grew by ~1 MB per request."""
    table_name = aws.outputs["TableName"]
    transact(table_name, 0)
    before = tables_alive()
    for n in range(1, 11):
        transact(table_name, n)
        transact(table_name, n, condition_fails=True)  # a rollback swaps the snapshot in: still one table
    assert tables_alive() == before
    items = boto3.client("dynamodb").query(TableName=table_name, KeyConditionExpression="pk = :p",
                                           ExpressionAttributeValues={":p": {"S": "moto-patch"}})["Items"]
    assert len(items) == 33, "the transactions themselves still apply (and roll back) as before"
