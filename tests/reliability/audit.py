"""The test suite's own recount of one account: what S3 holds and what DynamoDB says, compared.

Independent of the product's reconciliation (chalicelib/reconcile): it reads every item of the account
(a test-only Scan) and every object under `files/{account}/`, and names each disagreement between the
counters, the file records and the objects. An empty `problems()` is what "exactly once" means.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from chalicelib.settings import get_settings
from tests.support.clients import client as _client


def account_items(account_id: str, *, activity: bool = True) -> list[dict[str, Any]]:
    """The account item and every customer, file and link of the account (and its activity): what the recount
    compares (upload reservations are not read: nothing here counts them)."""
    from chalicelib.storage import keys
    from chalicelib.storage.tables import main_table

    table = main_table()
    partitions = [keys.account_partition(account_id), keys.customers_partition(account_id),
                  keys.files_partition(account_id), keys.links_partition(account_id)]
    if activity:
        partitions.append(keys.activity_partition(account_id))
    return [item for partition in partitions for item in table.query_all(partition)]


def account_objects(account_id: str, bucket: str | None = None, s3: Any = None) -> dict[str, dict[str, Any]]:
    """key → {size, etag} of every object under the account's file prefix; `s3`: a client to reuse."""
    s3 = s3 or _client("s3")
    paginator = s3.get_paginator("list_objects_v2")
    found = {}
    for page in paginator.paginate(Bucket=bucket or get_settings().uploads_bucket, Prefix=f"files/{account_id}/"):
        for item in page.get("Contents", []):
            found[item["Key"]] = {"size": int(item["Size"]), "etag": str(item["ETag"]).strip('"')}
    return found


@dataclass
class Audit:
    account_id: str
    items: list[dict[str, Any]]
    objects: dict[str, dict[str, Any]]
    problems: list[str] = field(default_factory=list)

    def of(self, entity: str) -> list[dict[str, Any]]:
        return [item for item in self.items if item.get("entity") == entity]

    @property
    def account(self) -> dict[str, Any]:
        [account] = self.of("account")
        return account

    @property
    def stored(self) -> list[dict[str, Any]]:
        return [f for f in self.of("file") if f["state"] == "stored"]

    @property
    def customers(self) -> dict[str, dict[str, Any]]:
        return {c["id"]: c for c in self.of("customer")}

    def activity(self, kind: str) -> list[dict[str, Any]]:
        return [a for a in self.of("activity") if a["kind"] == kind]


def audit(account_id: str, *, settled: bool = True, s3: Any = None) -> Audit:
    """Recount the account. `settled`: every S3 event has been handled, so objects and stored records
    must correspond one to one (while events are in flight only the counters must agree with the records,
    which change in the same transactions). `s3`: a client to reuse."""
    result = Audit(account_id, account_items(account_id, activity=settled),
                   account_objects(account_id, s3=s3) if settled else {})
    problems = result.problems
    account = result.account
    stored = result.stored

    used = int(account.get("used_bytes", 0))
    if used != sum(int(f["size"]) for f in stored):
        problems.append(f"used_bytes {used} != {sum(int(f['size']) for f in stored)}, the stored records' bytes")
    if int(account.get("customers_count", 0)) != len(result.customers):
        problems.append(f"customers_count {account.get('customers_count')} != {len(result.customers)} customers")

    links = Counter(link["customer_id"] for link in result.of("link") if not link.get("revoked_at"))
    for customer_id, customer in result.customers.items():
        mine = [f for f in stored if f["customer_id"] == customer_id]
        areas = Counter(f["area"] for f in mine if f["direction"] == "received")
        expected = {"files_count": len(mine), "bytes": sum(int(f["size"]) for f in mine),
                    "links_count": links[customer_id]}
        for name, value in expected.items():
            if int(customer.get(name, 0)) != value:
                problems.append(f"customer {customer_id}: {name} {customer.get(name, 0)} != recount {value}")
        counted = {area: int(n) for area, n in (customer.get("area_counts") or {}).items() if int(n) != 0}
        if counted != dict(areas):
            problems.append(f"customer {customer_id}: area_counts {counted} != recount {dict(areas)}")

    if settled:
        if used != sum(o["size"] for o in result.objects.values()):
            problems.append(f"used_bytes {used} != {sum(o['size'] for o in result.objects.values())}, "
                            f"the bytes of live objects")
        by_key = {f["key"]: f for f in stored}
        for key, obj in result.objects.items():
            record = by_key.get(key)
            if record is None:
                problems.append(f"object {key} has no stored file record")
            elif int(record["size"]) != obj["size"] or (record.get("etag") and record["etag"] != obj["etag"]):
                problems.append(f"record of {key} says {record['size']} bytes/{record.get('etag')}, "
                                f"the object has {obj['size']}/{obj['etag']}")
        for key in by_key.keys() - result.objects.keys():
            problems.append(f"stored file record {key} has no object")
    return result


def snapshot(account_id: str) -> tuple[list[str], dict[str, int]]:
    """Everything the account has: every item (index entries included, as sorted JSON) and every object in
    either bucket under one of its prefixes. Equal snapshots: nothing changed."""
    import json

    client = _client("dynamodb")
    items: list[str] = []
    kwargs: dict[str, Any] = {
        "TableName": get_settings().table_name,
        "FilterExpression": "pk = :account OR begins_with(pk, :prefix)",
        "ExpressionAttributeValues": {":account": {"S": account_id}, ":prefix": {"S": f"{account_id}#"}},
    }
    while True:
        reply = client.scan(**kwargs)
        items += [json.dumps(item, sort_keys=True) for item in reply.get("Items", [])]
        if "LastEvaluatedKey" not in reply:
            break
        kwargs["ExclusiveStartKey"] = reply["LastEvaluatedKey"]
    prefixes = (f"files/{account_id}/", f"branding/{account_id}/", f"exports/{account_id}/",
                f"signatures/{account_id}/", f"{account_id}/")
    stored = {}
    for bucket in (get_settings().uploads_bucket, get_settings().exports_bucket):
        # One listing of the bucket, not one per prefix: a test's buckets hold a few objects.
        for page in _client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                if item["Key"].startswith(prefixes):
                    stored[f"{bucket}/{item['Key']}"] = item["Size"]
    return sorted(items), stored

