"""One-off: list accounts created before the account directory existed (chalicelib/storage/keys.py, (2)).

The nightly reconciliation finds accounts through their directory entries, which `create_account` writes
since the directory was introduced. Older accounts have none; this gives them one. It scans the table once
(the functions' policy does not allow Scan: the operator runs it with their own credentials), is idempotent,
and changes nothing else:

    AWS_PROFILE=<operator> AWS_REGION=eu-central-1 python -m infra.backfill_accounts --table dossier-prod
    python -m infra.backfill_accounts            # the running local stack (make run)
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def backfill(client: Any, table: str) -> list[str]:
    """Add the missing directory entries; the ids of the accounts that got one."""
    from chalicelib.storage import keys
    from chalicelib.storage.dynamo import serialize

    added = []
    paginator = client.get_paginator("scan")
    pages = paginator.paginate(TableName=table, FilterExpression="sk = :account", ProjectionExpression="pk",
                               ExpressionAttributeValues={":account": {"S": keys.ACCOUNT_SK}})
    for page in pages:
        for item in page.get("Items", []):
            account_id = item["pk"]["S"]
            try:
                client.put_item(TableName=table, Item=serialize({**keys.directory_entry(account_id),
                                                                 "entity": "directory"}),
                                ConditionExpression="attribute_not_exists(pk)")
            except client.exceptions.ConditionalCheckFailedException:
                continue
            added.append(account_id)
    return added


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.backfill_accounts")
    parser.add_argument("--table", help="the stage's table (default: the local stack's)")
    args = parser.parse_args(argv)
    import boto3

    if args.table:
        table, client = args.table, boto3.client("dynamodb")
    else:
        from chalicelib.settings import get_settings
        from infra.local import environment

        environment.apply()
        table, client = get_settings().table_name, boto3.client("dynamodb", region_name=environment.REGION)
    added = backfill(client, table)
    print(f"{len(added)} account{'s' if len(added) != 1 else ''} added to the directory of {table}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
