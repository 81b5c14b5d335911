"""One-off: give links with a planned reminder their entry in the reminder index (chalicelib/storage/keys.py, (3)).

The hourly `send_reminders` finds due reminders through a sparse `gsi2` entry (`REMINDERS`) that a link carries
while a reminder is planned; links are written with it since the index was introduced. A link that has a planned
reminder (`reminders.enabled` and a `reminders.next_at`) but no entry (written before, or restored from an older
copy) would never be reminded; this gives it one. It scans the table once (the functions' policy does not allow
Scan: the operator runs it with their own credentials), is idempotent (each write is conditioned on the link
still having that `next_at` and no entry), and changes nothing else:

    AWS_PROFILE=<operator> AWS_REGION=eu-central-1 python -m infra.backfill_reminders --table dossier-prod
    python -m infra.backfill_reminders            # the running local stack (make run)

A reminder whose time passed meanwhile is due at once: the next run sends it (once) and plans the next.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def backfill(client: Any, table: str) -> list[tuple[str, str]]:
    """Add the missing index entries; (account id, link id) of the links that got one."""
    from chalicelib.storage import keys
    from chalicelib.storage.dynamo import serialize

    added = []
    paginator = client.get_paginator("scan")
    pages = paginator.paginate(
        TableName=table,
        FilterExpression="entity = :link AND reminders.enabled = :on AND attribute_type(reminders.next_at, :text) "
                         "AND attribute_not_exists(gsi2pk)",
        ProjectionExpression="pk, sk, reminders.next_at",
        ExpressionAttributeValues={":link": {"S": "link"}, ":on": {"BOOL": True}, ":text": {"S": "S"}})
    for page in pages:
        for item in page.get("Items", []):
            account_id, link_id = keys.account_of(item["pk"]["S"]), item["sk"]["S"]
            next_at = item["reminders"]["M"]["next_at"]["S"]
            entry = keys.reminder_entry(account_id, link_id, next_at)
            try:
                client.update_item(
                    TableName=table, Key={"pk": item["pk"], "sk": item["sk"]},
                    UpdateExpression="SET gsi2pk = :index, gsi2sk = :entry",
                    ConditionExpression="reminders.next_at = :seen AND attribute_not_exists(gsi2pk)",
                    ExpressionAttributeValues=serialize({":index": entry["gsi2pk"], ":entry": entry["gsi2sk"],
                                                         ":seen": next_at}))
            except client.exceptions.ConditionalCheckFailedException:
                continue  # moved on or given an entry meanwhile
            added.append((account_id, link_id))
    return added


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.backfill_reminders")
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
    print(f"{len(added)} link{'s' if len(added) != 1 else ''} added to the reminder index of {table}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
