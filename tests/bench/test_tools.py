"""The benchmarks' instruments: the DynamoDB counter, moto's speed-ups, the report."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from bench import moto_speed
from bench.counting import dynamodb_cost
from bench.report import Figure, format_table, markdown, part

TABLE = "bench-tools"
REGION = "eu-central-1"


@pytest.fixture
def dynamodb():
    from chalicelib.runtime import reset_process_state

    with mock_aws():
        reset_process_state()
        client = boto3.client("dynamodb", region_name=REGION)
        create_table(client)
        yield client
        reset_process_state()


def create_table(client) -> None:
    client.create_table(
        TableName=TABLE, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"}
                              for name in ("pk", "sk", "gsi1pk", "gsi1sk")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": "gsi1", "Projection": {"ProjectionType": "ALL"}, "KeySchema": [
            {"AttributeName": "gsi1pk", "KeyType": "HASH"}, {"AttributeName": "gsi1sk", "KeyType": "RANGE"}]}],
    )


def item(partition: str, number: int) -> dict:
    """An item with every kind of attribute value, nested, one of them with a binary."""
    found = {
        "pk": {"S": partition}, "sk": {"S": f"{number:04d}"}, "gsi1pk": {"S": f"g{number % 3}"},
        "gsi1sk": {"S": f"{number:04d}"}, "count": {"N": str(number)}, "price": {"N": "12.5"},
        "flag": {"BOOL": number % 2 == 0}, "nothing": {"NULL": True}, "tags": {"SS": ["b", "a"]},
        "sizes": {"NS": ["1", "2.5"]}, "empty": {"S": ""}, "list": {"L": []},
        "attributes": {"M": {"a1": {"S": "Straße"}, "a2": {"N": "-3"}, "a3": {"L": [{"S": "x"}, {"M": {}},
                                                                                   {"BOOL": False}]}}},
    }
    if number % 4 == 0:
        found["blob"] = {"B": bytes([0, 1, 2, number % 256])}
        found["blobs"] = {"BS": [b"\x00", b"\xff"]}
        found["nested"] = {"M": {"inner": {"B": b"\x10\x20"}}}
    return found


def answers(client) -> list:
    """What a range of reads answers (without the request's metadata)."""
    replies = [
        client.get_item(TableName=TABLE, Key={"pk": {"S": "p1"}, "sk": {"S": "0004"}}),
        client.get_item(TableName=TABLE, Key={"pk": {"S": "p1"}, "sk": {"S": "0005"}}),
        client.batch_get_item(RequestItems={TABLE: {"Keys": [{"pk": {"S": "p2"}, "sk": {"S": f"{n:04d}"}}
                                                             for n in range(0, 12, 3)]}}),
        client.scan(TableName=TABLE, Limit=7),
    ]
    for partition in ("p1", "p2", "p3"):
        for forward in (True, False):
            start = None
            while True:
                extra = {"ExclusiveStartKey": start} if start else {}
                reply = client.query(TableName=TABLE, KeyConditionExpression="pk = :pk",
                                     ExpressionAttributeValues={":pk": {"S": partition}}, Limit=4,
                                     ScanIndexForward=forward, **extra)
                replies.append(reply)
                start = reply.get("LastEvaluatedKey")
                if not start:
                    break
    replies.append(client.query(TableName=TABLE, KeyConditionExpression="pk = :pk AND begins_with(sk, :s)",
                                ExpressionAttributeValues={":pk": {"S": "p1"}, ":s": {"S": "001"}}))
    replies.append(client.query(TableName=TABLE, IndexName="gsi1", KeyConditionExpression="gsi1pk = :g",
                                ExpressionAttributeValues={":g": {"S": "g1"}}, ScanIndexForward=False))
    replies.append(client.query(TableName=TABLE, KeyConditionExpression="pk = :pk",
                                ExpressionAttributeValues={":pk": {"S": "nobody"}}))
    for reply in replies:
        reply.pop("ResponseMetadata", None)
    return replies


def test_moto_answers_the_same_with_and_without_the_speed_ups(dynamodb) -> None:
    # Given partitions of items with every kind of value, written through moto's own path
    for partition in ("p1", "p2", "p3"):
        for number in range(12 if partition != "p3" else 0):
            dynamodb.put_item(TableName=TABLE, Item=item(partition, number))
    # When the same reads are made without and with the speed-ups
    from moto.core.serialize import BaseJSONSerializer
    from moto.dynamodb.models.table import Table

    originals = (BaseJSONSerializer._serialize_type_structure, Table.query, Table.all_items)
    plain = answers(dynamodb)
    with moto_speed.patched():
        assert (BaseJSONSerializer._serialize_type_structure, Table.query, Table.all_items) != originals
        fast = answers(dynamodb)
    # Then every answer is the same, item for item and in the same order
    assert fast == plain
    assert sum(len(reply.get("Items", [])) for reply in plain) > 50
    assert any("blob" in found for reply in plain for found in reply.get("Items", []))
    # And the patches are gone afterwards
    assert (BaseJSONSerializer._serialize_type_structure, Table.query, Table.all_items) == originals


def transactions(client) -> list:
    """A transaction that applies, then one that fails at its last action and must leave no trace; every
    item of the table afterwards, and the cancellation reasons."""
    for number in range(6):
        client.put_item(TableName=TABLE, Item=item("t", number))
    key = {"pk": {"S": "t"}, "sk": {"S": "0001"}}
    client.transact_write_items(TransactItems=[
        {"Update": {"TableName": TABLE, "Key": key, "UpdateExpression": "ADD #c :one SET attributes.a1 = :x",
                    "ExpressionAttributeNames": {"#c": "count"},
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":x": {"S": "neu"}}}},
        {"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "t"}, "sk": {"S": "0002"}}}},
        {"Put": {"TableName": TABLE, "Item": item("t", 10)}},
    ])
    with pytest.raises(client.exceptions.TransactionCanceledException) as cancelled:
        client.transact_write_items(TransactItems=[
            {"Update": {"TableName": TABLE, "Key": key, "UpdateExpression": "ADD #c :one REMOVE tags",
                        "ExpressionAttributeNames": {"#c": "count"},
                        "ExpressionAttributeValues": {":one": {"N": "5"}}}},
            {"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "t"}, "sk": {"S": "0003"}}}},
            {"Put": {"TableName": TABLE, "Item": item("t", 11)}},
            {"Put": {"TableName": TABLE, "Item": item("t", 4), "ConditionExpression": "attribute_not_exists(pk)"}},
        ])
    reasons = [reason["Code"] for reason in cancelled.value.response["CancellationReasons"]]
    return [client.scan(TableName=TABLE)["Items"], reasons]


def test_transactions_apply_and_roll_back_the_same_with_the_speed_ups() -> None:
    from chalicelib.runtime import reset_process_state

    results = []
    for speed_ups in (False, True):
        with mock_aws():
            reset_process_state()
            client = boto3.client("dynamodb", region_name=REGION)
            create_table(client)
            if speed_ups:
                with moto_speed.patched():
                    results.append(transactions(client))
            else:
                results.append(transactions(client))
    plain, fast = results
    assert fast == plain
    items, reasons = plain
    assert reasons == ["None", "None", "None", "ConditionalCheckFailed"]
    assert sorted(i["sk"]["S"] for i in items) == ["0000", "0001", "0003", "0004", "0005", "0010"]
    assert next(i for i in items if i["sk"]["S"] == "0001")["count"] == {"N": "2"}


def test_seeded_items_read_back_as_if_put(dynamodb) -> None:
    from chalicelib.storage.dynamo import deserialize, serialize

    plain = [{"pk": "s1", "sk": "0001", "entity": "search"},
             {"pk": "s1", "sk": "0002", "name": "Anna", "count": 3, "groups": {"a", "b"}, "attrs": {"x": 1.5}}]
    with moto_speed.patched():
        assert moto_speed.store_items(TABLE, REGION, plain) == 2
        found = dynamodb.query(TableName=TABLE, KeyConditionExpression="pk = :pk",
                               ExpressionAttributeValues={":pk": {"S": "s1"}})["Items"]
    assert [deserialize(i) for i in found] == [deserialize(serialize(p)) for p in plain]


def test_the_counter_counts_calls_and_items(dynamodb) -> None:
    from chalicelib import aws

    client = aws.client("dynamodb")
    key = {"pk": {"S": "c"}, "sk": {"S": "1"}}
    # When the app's client makes calls of every kind
    with dynamodb_cost() as cost:
        client.put_item(TableName=TABLE, Item=item("c", 1))
        client.batch_write_item(RequestItems={TABLE: [{"PutRequest": {"Item": item("c", n)}} for n in (2, 3, 4)]})
        client.transact_write_items(TransactItems=[
            {"Update": {"TableName": TABLE, "Key": key, "UpdateExpression": "SET #n = :n",
                        "ExpressionAttributeNames": {"#n": "n"}, "ExpressionAttributeValues": {":n": {"N": "1"}}}},
            {"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "c"}, "sk": {"S": "9"}}}},
        ])
        client.get_item(TableName=TABLE, Key=key)
        client.get_item(TableName=TABLE, Key={"pk": {"S": "c"}, "sk": {"S": "missing"}})
        client.batch_get_item(RequestItems={TABLE: {"Keys": [key, {"pk": {"S": "c"}, "sk": {"S": "0002"}},
                                                             {"pk": {"S": "c"}, "sk": {"S": "x"}}]}})
        client.query(TableName=TABLE, KeyConditionExpression="pk = :pk", FilterExpression="#f = :t",
                     ExpressionAttributeNames={"#f": "flag"},
                     ExpressionAttributeValues={":pk": {"S": "c"}, ":t": {"BOOL": True}})
        with pytest.raises(client.exceptions.ConditionalCheckFailedException):
            client.put_item(TableName=TABLE, Item=item("c", 1), ConditionExpression="attribute_not_exists(pk)")
    # And a call made outside the block
    client.get_item(TableName=TABLE, Key=key)
    # Then calls are counted per operation, reads as DynamoDB bills them (a Query its scanned items, before
    # the filter) and writes per item, a refused conditional write included
    assert dict(cost.calls) == {"PutItem": 2, "BatchWriteItem": 1, "TransactWriteItems": 1, "GetItem": 2,
                                "BatchGetItem": 1, "Query": 1}
    assert cost.total_calls == 8
    assert cost.read == 1 + 0 + 2 + 5  # the Query scans 5 items (1 and "0002".."0004" and "1"), keeps 2
    assert cost.written == 1 + 3 + 2 + 1
    assert cost.describe().startswith("PutItem 2, BatchWriteItem 1")


def test_the_report_names_broken_budgets() -> None:
    parts = [part("Example", {"quick": True}, [
        Figure(name="Kept", value=2, unit="calls", goal="<= 3 calls", ok=True, details="GetItem 2"),
        Figure(name="Broken", value=4, unit="calls", goal="<= 3 calls", ok=False),
        Figure(name="Told", value=1.5, unit="s", goal="-", ok=None, timed=True),
    ])]
    parts[0]["seconds"] = 1.0
    table = format_table(parts)
    assert "BROKEN" in table and "GetItem 2" in table
    info = {"cpu": "CPU", "cores": 2, "memory_gb": 4.0, "python": "3.11", "system": "Linux", "moto": "5",
            "load_average": 0.1, "commit": "abc", "date": "2026-01-01 00:00 UTC"}
    document = markdown(parts, info, quick=True, seconds=60)
    assert "**1 of 2 budgets broken**: Broken" in document
    assert "| Kept | 2 calls | <= 3 calls | ok | GetItem 2 |" in document
    assert "2 cores" in document and "Python 3.11" in document and "2026-01-01" in document
