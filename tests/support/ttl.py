"""DynamoDB's TTL, done now: moto never deletes expired items, AWS does (within about two days)."""

from __future__ import annotations

from typing import Any

from chalicelib.settings import get_settings
from tests.support.clients import client as shared_client


def sweep_expired(account_id: str, now_epoch: float) -> int:
    """Delete every item of the account whose `expires_at_epoch` lies before `now_epoch` (as TTL would);
    how many went. Test-only: a Scan."""
    client = shared_client("dynamodb")
    table = get_settings().table_name
    swept = 0
    kwargs: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": "(pk = :account OR begins_with(pk, :prefix)) AND expires_at_epoch < :now",
        "ExpressionAttributeValues": {":account": {"S": account_id}, ":prefix": {"S": f"{account_id}#"},
                                      ":now": {"N": str(int(now_epoch))}},
    }
    while True:
        page = client.scan(**kwargs)
        for item in page.get("Items", []):
            client.delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})
            swept += 1
        if "LastEvaluatedKey" not in page:
            return swept
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
