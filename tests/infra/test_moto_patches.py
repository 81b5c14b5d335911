"""infra/local/moto_patches.py: what the local stack and the suite change in moto, proven on moto itself."""

from __future__ import annotations

import contextlib
import gc
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from infra.local import moto_patches


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


# --- the patches against moto itself: the same answers, at the cost of what a request touches ---------

REGION = "eu-central-1"


@contextlib.contextmanager
def moto_patched(patched: bool) -> Iterator[Any]:
    """A DynamoDB client on in-process moto, with or without the patches (as found afterwards)."""
    from moto import mock_aws

    was_applied = bool(moto_patches._applied)
    moto_patches.apply() if patched else moto_patches.remove()
    try:
        with mock_aws():
            yield boto3.client("dynamodb", region_name=REGION)
    finally:
        moto_patches.apply() if was_applied else moto_patches.remove()


def new_table(client: Any, range_type: str = "S", stream: bool = False) -> str:
    name = f"patches-{secrets.token_hex(4)}"
    client.create_table(
        **({"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}} if stream else {}),
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": range_type},
                              {"AttributeName": "gsi1pk", "AttributeType": "S"},
                              {"AttributeName": "gsi1sk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": "gsi1", "Projection": {"ProjectionType": "ALL"}, "KeySchema": [
            {"AttributeName": "gsi1pk", "KeyType": "HASH"}, {"AttributeName": "gsi1sk", "KeyType": "RANGE"}]}],
    )
    return name


def both(scenario: Callable[[Any], Any]) -> tuple[Any, Any]:
    """What `scenario(client)` returns on moto as it is and on moto patched."""
    results = []
    for patched in (False, True):
        with moto_patched(patched) as client:
            results.append(scenario(client))
    return results[0], results[1]


def test_moto_is_the_version_the_patches_were_written_for() -> None:
    """The patches replace moto functions and rely on what moto's code does around them: a moto that
    changed underneath must be read again before the pins are renewed."""
    import moto

    assert moto.__version__ == moto_patches.MOTO_VERSION
    changed = [name for name, digest in moto_patches.PINNED_SOURCES.items()
               if moto_patches.source_hash(name) != digest]
    assert changed == []


# transactions ---------------------------------------------------------------------------------------


def seed_item(number: int, **extra: Any) -> dict[str, Any]:
    return {"pk": {"S": "p"}, "sk": {"S": f"{number:04d}"}, "count": {"N": str(number)},
            "gsi1pk": {"S": f"g{number % 2}"}, "gsi1sk": {"S": f"{number:04d}"}, **extra}


def update(table: str, number: int, expression: str, values: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"Update": {"TableName": table, "Key": {"pk": {"S": "p"}, "sk": {"S": f"{number:04d}"}},
                       "UpdateExpression": expression, "ExpressionAttributeValues": values, **extra}}


#: Transactions on items 0-5 of partition p: each a list of actions; the ones that fail must change nothing.
TRANSACTIONS: dict[str, Callable[[str], list[dict[str, Any]]]] = {
    "applies": lambda t: [
        update(t, 1, "ADD #c :n SET gsi1pk = :g", {":n": {"N": "5"}, ":g": {"S": "moved"}},
               ExpressionAttributeNames={"#c": "count"}),
        {"Delete": {"TableName": t, "Key": {"pk": {"S": "p"}, "sk": {"S": "0002"}}}},
        {"Put": {"TableName": t, "Item": seed_item(10), "ConditionExpression": "attribute_not_exists(pk)"}},
        {"ConditionCheck": {"TableName": t, "Key": {"pk": {"S": "p"}, "sk": {"S": "0003"}},
                            "ConditionExpression": "attribute_exists(pk)"}},
    ],
    "last condition fails after the others applied": lambda t: [
        update(t, 1, "ADD #c :n SET gsi1pk = :g REMOVE gsi1sk", {":n": {"N": "5"}, ":g": {"S": "moved"}},
               ExpressionAttributeNames={"#c": "count"}),
        update(t, 20, "ADD #c :n", {":n": {"N": "1"}}, ExpressionAttributeNames={"#c": "count"}),  # creates
        {"Delete": {"TableName": t, "Key": {"pk": {"S": "p"}, "sk": {"S": "0002"}}}},
        {"Put": {"TableName": t, "Item": seed_item(3, extra={"S": "replaced"})}},
        {"Put": {"TableName": t, "Item": seed_item(11)}},
        {"ConditionCheck": {"TableName": t, "Key": {"pk": {"S": "p"}, "sk": {"S": "0004"}},
                            "ConditionExpression": "#c > :big", "ExpressionAttributeNames": {"#c": "count"},
                            "ExpressionAttributeValues": {":big": {"N": "100"}}}},
    ],
    "first condition fails, the later ones apply in moto and are undone": lambda t: [
        {"Put": {"TableName": t, "Item": seed_item(4), "ConditionExpression": "attribute_not_exists(pk)"}},
        update(t, 5, "ADD #c :n", {":n": {"N": "7"}}, ExpressionAttributeNames={"#c": "count"}),
        {"Delete": {"TableName": t, "Key": {"pk": {"S": "p"}, "sk": {"S": "0000"}}}},
    ],
    "a validation error after writes": lambda t: [
        update(t, 1, "ADD #c :n", {":n": {"N": "5"}}, ExpressionAttributeNames={"#c": "count"}),
        {"Put": {"TableName": t, "Item": seed_item(12)}},
        {"Put": {"TableName": t, "Item": {"pk": {"S": "p"}, "other": {"S": "no sort key"}}}},
    ],
    "an update that cannot apply after writes": lambda t: [
        {"Delete": {"TableName": t, "Key": {"pk": {"S": "p"}, "sk": {"S": "0005"}}}},
        update(t, 3, "ADD gsi1sk :n", {":n": {"N": "1"}}),  # ADD of a number to a string
    ],
    "the same item twice after writes": lambda t: [
        {"Put": {"TableName": t, "Item": seed_item(13)}},
        update(t, 1, "ADD #c :n", {":n": {"N": "5"}}, ExpressionAttributeNames={"#c": "count"}),
        {"Delete": {"TableName": t, "Key": {"pk": {"S": "p"}, "sk": {"S": "0001"}}}},
    ],
}


def table_state(client: Any, table: str) -> dict[str, Any]:
    """Every item, what the index answers, and the table's stream (what webhooks are made of)."""
    items = sorted(client.scan(TableName=table)["Items"], key=lambda i: i["sk"]["S"])
    index = {g: client.query(TableName=table, IndexName="gsi1", KeyConditionExpression="gsi1pk = :g",
                             ExpressionAttributeValues={":g": {"S": g}})["Items"] for g in ("g0", "g1", "moved")}
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    shard = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(table).stream_shard
    stream = [(r.record["eventName"], r.record["dynamodb"]["Keys"], r.record["dynamodb"].get("NewImage"))
              for r in shard.items]
    return {"items": items, "index": index, "stream": stream}


def run_transaction(client: Any, name: str) -> dict[str, Any]:
    table = new_table(client, stream=True)
    for number in range(6):
        client.put_item(TableName=table, Item=seed_item(number))
    before = table_state(client, table)
    try:
        client.transact_write_items(TransactItems=TRANSACTIONS[name](table))
        outcome: Any = "applied"
    except client.exceptions.TransactionCanceledException as error:
        outcome = [reason["Code"] for reason in error.response["CancellationReasons"]]
    except client.exceptions.ClientError as error:
        outcome = error.response["Error"]["Code"]
    after = table_state(client, table)
    return {"outcome": outcome, "unchanged": after == before, "after": after}


@pytest.mark.parametrize("name", list(TRANSACTIONS))
def test_a_transaction_applies_or_changes_nothing_exactly_as_in_moto(name: str) -> None:
    plain, patched = both(lambda client: run_transaction(client, name))
    assert patched == plain
    assert patched["unchanged"] == (patched["outcome"] != "applied"), patched["outcome"]


def test_a_failed_transaction_restores_counters_index_entries_and_created_items() -> None:
    with moto_patched(True) as client:
        result = run_transaction(client, "last condition fails after the others applied")
    assert result["outcome"][-1] == "ConditionalCheckFailed"
    assert result["unchanged"]
    items = {i["sk"]["S"]: i for i in result["after"]["items"]}
    assert sorted(items) == [f"{n:04d}" for n in range(6)]  # 0002 back, 0011 and 0020 gone
    assert items["0001"]["count"] == {"N": "1"} and items["0001"]["gsi1pk"] == {"S": "g1"}
    assert result["after"]["index"]["moved"] == []


def test_a_transaction_copies_only_the_items_it_touches(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto copied every table a transaction names (for its rollback): a write cost time in proportion to
    the table. With the journal, what a transaction copies is what it touches, applied or rolled back."""
    from moto.dynamodb.models.dynamo_type import Item

    copies = {"items": 0}
    plain_copy = Item.__deepcopy__

    def counted(self: Any, memo: Any) -> Any:
        copies["items"] += 1
        return plain_copy(self, memo)

    monkeypatch.setattr(Item, "__deepcopy__", counted)
    with moto_patched(True) as client:
        table = new_table(client)
        for start in range(0, 1_000, 25):
            client.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": seed_item(n)}}
                                                          for n in range(start, start + 25)]})
        for name in ("applies", "last condition fails after the others applied"):
            copies["items"] = 0
            with contextlib.suppress(client.exceptions.TransactionCanceledException):
                client.transact_write_items(TransactItems=TRANSACTIONS[name](table))
            assert copies["items"] <= 2 * len(TRANSACTIONS[name](table)), (name, copies)


# queries --------------------------------------------------------------------------------------------


def sort_keys(range_type: str) -> list[Any]:
    if range_type == "N":
        return [str(n) for n in (-3, 0, 1, 2.5, 7, 10, 11, 100, 1e6)]
    return ["", "a", "a#", "a#1", "a#10", "a#2", "ab", "abc", "b", "b#1", "ä", "é#1", "z", "zz", "\U0001f600"][1:]


def query_answers(client: Any, range_type: str) -> list[Any]:
    """Every kind of key condition, both directions, pages of several sizes followed to the end, with and
    without filters and projections; on the table and on its index."""
    table = new_table(client, range_type)
    keys = sort_keys(range_type)
    for partition in ("p", "q"):
        for number, key in enumerate(keys):
            client.put_item(TableName=table, Item={
                "pk": {"S": partition}, "sk": {range_type: key}, "n": {"N": str(number)},
                "gsi1pk": {"S": f"g{number % 2}"}, "gsi1sk": {"S": f"{len(keys) - number:03d}"}})
    first, middle, last = keys[1], keys[len(keys) // 2], keys[-2]
    conditions: list[tuple[str, dict[str, Any]]] = [
        ("", {}), (" AND sk = :a", {":a": middle}), (" AND sk = :a", {":a": keys[0]}),
        (" AND sk < :a", {":a": middle}), (" AND sk <= :a", {":a": middle}), (" AND sk > :a", {":a": middle}),
        (" AND sk >= :a", {":a": middle}), (" AND sk > :a", {":a": keys[-1]}), (" AND sk < :a", {":a": keys[0]}),
        (" AND sk BETWEEN :a AND :b", {":a": first, ":b": last}),
        (" AND sk BETWEEN :a AND :b", {":a": last, ":b": first}),
    ]
    if range_type == "S":
        conditions += [(" AND begins_with(sk, :a)", {":a": prefix})
                       for prefix in ("a", "a#", "a#1", "b", "c", "zz", "ä")]
        conditions += [(" AND sk BETWEEN :a AND :b", {":a": "a#", ":b": "b"}), (" AND sk > :a", {":a": "a#15"})]
    answers = []
    for condition, extra_values in conditions:
        values = {":p": {"S": "p"}, **{k: {range_type: v} for k, v in extra_values.items()}}
        for forward in (True, False):
            for limit in (None, 1, 2, 5):
                for extra in ({}, {"FilterExpression": "n > :two", "ExpressionAttributeValues": {
                        **values, ":two": {"N": "2"}}}, {"ProjectionExpression": "sk, n"}):
                    start = None
                    while True:
                        request = {"TableName": table, "KeyConditionExpression": "pk = :p" + condition,
                                   "ExpressionAttributeValues": values, "ScanIndexForward": forward, **extra}
                        if limit:
                            request["Limit"] = limit
                        if start:
                            request["ExclusiveStartKey"] = start
                        reply = client.query(**request)
                        reply.pop("ResponseMetadata")
                        answers.append((condition, forward, limit, reply))
                        start = reply.get("LastEvaluatedKey")
                        if not start:
                            break
    for forward in (True, False):
        reply = client.query(TableName=table, IndexName="gsi1", KeyConditionExpression="gsi1pk = :g AND gsi1sk > :s",
                             ExpressionAttributeValues={":g": {"S": "g1"}, ":s": {"S": "003"}},
                             ScanIndexForward=forward, Limit=3)
        reply.pop("ResponseMetadata")
        answers.append(("index", forward, 3, reply))
    answers.append(client.query(TableName=table, KeyConditionExpression="pk = :p",
                                ExpressionAttributeValues={":p": {"S": "nobody"}})["Items"])
    return answers


@pytest.mark.parametrize("range_type", ["S", "N"])
def test_queries_answer_exactly_as_in_moto(range_type: str) -> None:
    plain, patched = both(lambda client: query_answers(client, range_type))
    assert len(plain) > 500
    for expected, found in zip(plain, patched, strict=True):
        assert found == expected


def large_items_answers(client: Any) -> list[Any]:
    """Items of 150 KB: a page ends at moto's 1 MB result limit, also when the next item does not match."""
    table = new_table(client)
    for number in range(12):
        client.put_item(TableName=table, Item={"pk": {"S": "big"}, "sk": {"S": f"{number:02d}"},
                                               "blob": {"S": "x" * (150_000 + number * 10_000)}})
    answers = []
    for condition, values in (("", {}), (" AND sk < :a", {":a": {"S": "07"}}), (" AND sk > :a", {":a": {"S": "04"}}),
                              (" AND sk BETWEEN :a AND :b", {":a": {"S": "02"}, ":b": {"S": "05"}})):
        for forward in (True, False):
            start = None
            while True:
                extra = {"ExclusiveStartKey": start} if start else {}
                reply = client.query(TableName=table, KeyConditionExpression="pk = :p" + condition,
                                     ExpressionAttributeValues={":p": {"S": "big"}, **values},
                                     ScanIndexForward=forward, ProjectionExpression="sk", **extra)
                answers.append([reply["Items"], reply["ScannedCount"], reply.get("LastEvaluatedKey")])
                start = reply.get("LastEvaluatedKey")
                if not start:
                    break
    return answers


def test_pages_cut_by_the_result_size_limit_are_the_same() -> None:
    plain, patched = both(large_items_answers)
    assert any(page[2] for page in plain)  # some pages ended at the size limit
    assert patched == plain


def test_a_query_reads_what_its_key_condition_selects_not_the_partition(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto sorted the whole table and walked the whole partition for every query; a query's cost now
    follows what it selects (counted by the items whose size moto's loop takes)."""
    from moto.dynamodb.models.dynamo_type import Item

    sized = {"items": 0}
    plain_size = Item.size

    def counted(self: Any) -> int:
        sized["items"] += 1
        return plain_size(self)

    with moto_patched(True) as client:
        table = new_table(client)
        for start in range(0, 2_000, 25):
            client.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": seed_item(n)}}
                                                          for n in range(start, start + 25)]})
        monkeypatch.setattr(Item, "size", counted)
        for condition, values, limit in ((" AND sk > :a", {":a": {"S": "1996"}}, None),
                                         (" AND begins_with(sk, :a)", {":a": {"S": "10"}}, 5),
                                         ("", {}, 10)):
            sized["items"] = 0
            request = {"TableName": table, "KeyConditionExpression": "pk = :p" + condition,
                       "ExpressionAttributeValues": {":p": {"S": "p"}, **values}, **({"Limit": limit} if limit else {})}
            assert client.query(**request)["Items"]
            assert sized["items"] <= 3 * 12, (condition, sized)


# index queries --------------------------------------------------------------------------------------


def index_history(client: Any) -> list[Any]:
    """Writes of every kind that move items between index keys (puts, updates, deletes, batch writes,
    transactions applied and failed), each followed by queries of the index."""
    import random

    rng = random.Random(5)
    table = new_table(client)
    answers: list[Any] = []

    def ask() -> None:
        for value in ("g0", "g1", "g2", "none"):
            for forward in (True, False):
                reply = client.query(TableName=table, IndexName="gsi1", KeyConditionExpression="gsi1pk = :g",
                                     ExpressionAttributeValues={":g": {"S": value}}, ScanIndexForward=forward)
                answers.append([reply["Items"], reply["ScannedCount"]])
        page = client.query(TableName=table, IndexName="gsi1", Limit=2,
                            KeyConditionExpression="gsi1pk = :g AND begins_with(gsi1sk, :s)",
                            ExpressionAttributeValues={":g": {"S": "g1"}, ":s": {"S": "0"}})
        answers.append([page["Items"], page.get("LastEvaluatedKey")])

    def key(number: int) -> dict[str, Any]:
        return {"pk": {"S": f"p{number % 3}"}, "sk": {"S": f"{number:04d}"}}

    for number in range(12):
        client.put_item(TableName=table, Item={**key(number), "gsi1pk": {"S": f"g{number % 3}"},
                                               "gsi1sk": {"S": f"{number:04d}"}})
    ask()
    for step in range(40):
        number = rng.randrange(16)
        kind = rng.choice(["put", "update", "remove", "delete", "batch", "transaction", "failed"])
        group = {"S": f"g{rng.randrange(3)}"}
        if kind == "put":
            client.put_item(TableName=table, Item={**key(number), "gsi1pk": group, "gsi1sk": {"S": f"{step:04d}"}})
        elif kind == "update":
            client.update_item(TableName=table, Key=key(number), UpdateExpression="SET gsi1pk = :g, gsi1sk = :s",
                               ExpressionAttributeValues={":g": group, ":s": {"S": f"1{step:03d}"}})
        elif kind == "remove":
            client.update_item(TableName=table, Key=key(number), UpdateExpression="REMOVE gsi1pk")
        elif kind == "delete":
            client.delete_item(TableName=table, Key=key(number))
        elif kind == "batch":
            client.batch_write_item(RequestItems={table: [
                {"PutRequest": {"Item": {**key(number), "gsi1pk": group, "gsi1sk": {"S": "0batch"}}}},
                {"DeleteRequest": {"Key": key((number + 1) % 16)}}]})
        else:
            actions = [
                {"Update": {"TableName": table, "Key": key(number), "UpdateExpression": "SET gsi1pk = :g",
                            "ExpressionAttributeValues": {":g": group}}},
                {"Delete": {"TableName": table, "Key": key((number + 5) % 16)}},
                {"Put": {"TableName": table, "Item": {**key((number + 7) % 16), "gsi1pk": group,
                                                      "gsi1sk": {"S": "0put"}}}},
            ]
            if kind == "failed":
                actions.append({"ConditionCheck": {"TableName": table, "Key": key(99),
                                                   "ConditionExpression": "attribute_exists(pk)"}})
            with contextlib.suppress(client.exceptions.TransactionCanceledException):
                client.transact_write_items(TransactItems=actions)
        ask()
    return answers


def test_index_queries_answer_exactly_as_in_moto_through_every_kind_of_write() -> None:
    plain, patched = both(index_history)
    assert sum(len(answer[0]) for answer in plain) > 500
    for expected, found in zip(plain, patched, strict=True):
        assert found == expected


def test_an_index_query_reads_the_items_of_its_key_not_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto walked every item of the table for a Query on an index (2.5 s with 10,000 customers); now the
    items registered under the queried key (counted by moto's comparisons of the index key)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    compared = {"values": 0}
    plain_ne = DynamoType.__ne__

    def counted(self: Any, other: Any) -> bool:
        compared["values"] += 1
        return plain_ne(self, other)

    with moto_patched(True) as client:
        table = new_table(client)
        for start in range(0, 2_000, 25):
            client.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": {
                **seed_item(n), "gsi1pk": {"S": "rare" if n % 500 == 0 else "common"}}}}
                for n in range(start, start + 25)]})
        for _ in range(2):  # the first query registers the table's items, the second only reads
            monkeypatch.setattr(DynamoType, "__ne__", counted)
            compared["values"] = 0
            found = client.query(TableName=table, IndexName="gsi1", KeyConditionExpression="gsi1pk = :g",
                                 ExpressionAttributeValues={":g": {"S": "rare"}})["Items"]
            monkeypatch.setattr(DynamoType, "__ne__", plain_ne)
            assert len(found) == 4
            assert compared["values"] <= 4 * 3, compared


def index_added_later(client: Any) -> list[Any]:
    """An index created on a table that already holds items answers for those items too."""
    table = new_table(client)
    for number in range(10):
        client.put_item(TableName=table, Item={**seed_item(number), "colour": {"S": f"c{number % 2}"}})
    client.query(TableName=table, IndexName="gsi1", KeyConditionExpression="gsi1pk = :g",
                 ExpressionAttributeValues={":g": {"S": "g1"}})
    client.update_table(TableName=table, AttributeDefinitions=[{"AttributeName": "colour", "AttributeType": "S"}],
                        GlobalSecondaryIndexUpdates=[{"Create": {
                            "IndexName": "colours", "Projection": {"ProjectionType": "ALL"},
                            "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}]}}])
    client.update_item(TableName=table, Key={"pk": {"S": "p"}, "sk": {"S": "0003"}},
                       UpdateExpression="SET colour = :c", ExpressionAttributeValues={":c": {"S": "c0"}})
    return [client.query(TableName=table, IndexName="colours", KeyConditionExpression="colour = :c",
                         ExpressionAttributeValues={":c": {"S": colour}})["Items"] for colour in ("c0", "c1")]


def test_an_index_added_to_a_table_with_items_answers_as_in_moto() -> None:
    plain, patched = both(index_added_later)
    assert [len(items) for items in plain] == [6, 4]
    assert patched == plain


# replies ----------------------------------------------------------------------------------------------


def attribute_values() -> Any:
    """Every kind of DynamoDB attribute value, as moto's handler holds it before writing the reply (binary
    values as bytes, or as base64 text where moto kept the wire form), nested in maps and lists."""
    from hypothesis import strategies as st

    text = st.text(max_size=6)
    numbers = st.integers(-10**6, 10**6).map(str)
    scalars = st.one_of(
        st.builds(lambda s: {"S": s}, text), st.builds(lambda n: {"N": n}, numbers),
        st.builds(lambda b: {"B": b}, st.one_of(st.binary(max_size=6), st.just("YmluYXJ5"))),
        st.builds(lambda s: {"SS": s}, st.lists(text, min_size=1, max_size=3, unique=True)),
        st.builds(lambda s: {"NS": s}, st.lists(numbers, min_size=1, max_size=3, unique=True)),
        st.builds(lambda s: {"BS": s}, st.lists(st.binary(min_size=1, max_size=4), min_size=1, max_size=3)),
        st.builds(lambda b: {"BOOL": b}, st.booleans()), st.just({"NULL": True}),
    )
    return st.recursive(scalars, lambda inner: st.one_of(
        st.builds(lambda m: {"M": m}, st.dictionaries(text, inner, max_size=3)),
        st.builds(lambda items: {"L": items}, st.lists(inner, max_size=3))), max_leaves=8)


def serialized_reply(operation: str, result: dict[str, Any], *, patched: bool) -> str:
    """The body moto writes for `result` of a DynamoDB operation (as ActionResult.execute_result does)."""
    from moto.core.serialize import BaseJSONSerializer, XFormedAttributePicker, get_serializer_class
    from moto.core.utils import get_service_model

    serializer_class = get_serializer_class("dynamodb", "json")
    if not patched:
        replaced = BaseJSONSerializer.__dict__["_serialize_type_structure"]
        serializer_class = type("PlainSerializer", (serializer_class,), {
            "_serialize_type_structure": getattr(replaced, "__dossier_original__", replaced)})
    operation_model = get_service_model("dynamodb").operation_model(operation)
    serializer = serializer_class(
        operation_model=operation_model, pretty_print=False, value_picker=XFormedAttributePicker())
    return serializer.serialize(result)["body"]


def test_dynamodb_replies_are_written_byte_for_byte_as_moto_writes_them() -> None:
    """Copying an AttributeValue's plain members must give exactly the reply moto's serializer gives,
    whatever the item holds."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    items = st.lists(st.dictionaries(st.text(min_size=1, max_size=5), attribute_values(), max_size=5), max_size=4)

    @settings(max_examples=50, deadline=None, database=None)
    @given(items=items)
    def same_reply(items: list[dict[str, Any]]) -> None:
        first = items[0] if items else {}
        replies = {
            "Query": {"Items": items, "Count": len(items), "ScannedCount": len(items), "LastEvaluatedKey": first},
            "GetItem": {"Item": first},
            "UpdateItem": {"Attributes": first},
            "BatchGetItem": {"Responses": {"table": items}, "UnprocessedKeys": {}},
            "TransactGetItems": {"Responses": [{"Item": item} for item in items]},
        }
        for operation, result in replies.items():
            assert serialized_reply(operation, result, patched=True) == serialized_reply(
                operation, result, patched=False), operation

    moto_patches.apply()
    same_reply()


def every_kind_of_value(client: Any) -> list[Any]:
    """Items with every kind of value written and read back through each DynamoDB read."""
    table = new_table(client)
    values = {"s": {"S": "ä"}, "empty": {"S": ""}, "n": {"N": "-1.5"}, "b": {"B": b"\x00\xff"},
              "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}, "bs": {"BS": [b"x", b"y"]},
              "t": {"BOOL": True}, "f": {"BOOL": False}, "null": {"NULL": True},
              "m": {"M": {"inner": {"L": [{"S": "x"}, {"M": {}}, {"B": b"z"}, {"NULL": True}]}}}, "l": {"L": []}}
    for number in range(3):
        client.put_item(TableName=table, Item={**seed_item(number), **values})
    key = {"pk": {"S": "p"}, "sk": {"S": "0001"}}
    return [
        client.query(TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}},
                     Limit=2)["Items"],
        client.query(TableName=table, IndexName="gsi1", KeyConditionExpression="gsi1pk = :g",
                     ExpressionAttributeValues={":g": {"S": "g1"}})["Items"],
        client.get_item(TableName=table, Key=key)["Item"],
        client.scan(TableName=table)["Items"],
        client.batch_get_item(RequestItems={table: {"Keys": [key]}})["Responses"][table],
        client.transact_get_items(TransactItems=[{"Get": {"TableName": table, "Key": key}}])["Responses"],
        client.update_item(TableName=table, Key=key, UpdateExpression="SET s = :s",
                           ExpressionAttributeValues={":s": {"S": "ö"}}, ReturnValues="ALL_NEW")["Attributes"],
        client.delete_item(TableName=table, Key=key, ReturnValues="ALL_OLD")["Attributes"],
    ]


def test_every_kind_of_value_reads_back_as_in_moto() -> None:
    plain, patched = both(every_kind_of_value)
    assert plain[2]["b"] == {"B": b"\x00\xff"} and plain[2]["m"]["M"]["inner"]["L"][2] == {"B": b"z"}
    assert patched == plain


# update expressions -----------------------------------------------------------------------------------


def the_same_updates_again(client: Any) -> list[Any]:
    """The same expression texts on different items, one after the other (what the parse cache sees), a
    malformed one twice, and one that cannot apply twice: the items and errors as moto gives them."""
    table = new_table(client)
    outcomes: list[Any] = []
    for number in range(4):
        client.put_item(TableName=table, Item=seed_item(number, tags={"SS": ["a"]}, nested={"M": {"n": {"N": "1"}}}))
    updates = [
        ("ADD #c :n, tags :t SET gsi1pk = :g, nested.n = nested.n + :n REMOVE gsi1sk",
         {":n": {"N": "2"}, ":t": {"SS": ["b"]}, ":g": {"S": "moved"}}),
        ("SET #c = if_not_exists(#c, :n) + :n, extra = list_append(if_not_exists(extra, :empty), :l)",
         {":n": {"N": "1"}, ":empty": {"L": []}, ":l": {"L": [{"S": "x"}]}}),
        ("DELETE tags :t", {":t": {"SS": ["a"]}}),
        ("SET #c = :n ADD", {":n": {"N": "1"}}),  # malformed
        ("ADD gsi1pk :n", {":n": {"N": "1"}}),  # a number added to a string
    ]
    for _ in range(2):
        for number in range(4):
            for expression, values in updates:
                names = {"#c": "count"} if "#c" in expression else {}
                try:
                    client.update_item(TableName=table, Key={"pk": {"S": "p"}, "sk": {"S": f"{number:04d}"}},
                                       UpdateExpression=expression, ExpressionAttributeValues=values,
                                       **({"ExpressionAttributeNames": names} if names else {}))
                    outcomes.append("applied")
                except client.exceptions.ClientError as error:
                    outcomes.append(error.response["Error"])
    return [outcomes, sorted(client.scan(TableName=table)["Items"], key=lambda item: item["sk"]["S"])]


def test_repeated_update_expressions_apply_exactly_as_in_moto() -> None:
    plain, patched = both(the_same_updates_again)
    assert plain[0].count("applied") == 2 * 4 * 3, plain[0]
    assert patched == plain


# routing ------------------------------------------------------------------------------------------------


def backend_classes() -> list[type]:
    """The backend class of every service the app and the local stack use, and a few more."""
    import moto.backends

    services = ("dynamodb", "dynamodbstreams", "s3", "sqs", "sesv2", "ses", "sns", "cognitoidp", "events", "iam",
                "sts", "lambda", "cloudformation", "apigateway", "ssm")
    return [moto.backends.get_backend(service).backend for service in services]  # type: ignore[call-overload]


@pytest.mark.parametrize("settings", [{}, {"MOTO_S3_CUSTOM_ENDPOINTS": "http://files.local:9000,https://s3.example"},
                                      {"MOTO_ENABLE_ISO_REGIONS": "true"}])
def test_every_backend_routes_by_the_url_table_moto_builds(settings: dict[str, str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The same URL patterns, in the same order, to the same handlers, whatever the settings moto reads."""
    from moto.core.base_backend import BaseBackend

    moto_patches.apply()
    plain_urls = BaseBackend.__dict__["urls"].fget.__dossier_original__
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    for backend_class in backend_classes():
        backend = backend_class.__new__(backend_class)
        for _ in range(2):  # built, then kept
            kept = backend.urls
            assert list(kept.items()) == list(plain_urls.fget(backend).items()), backend_class
        kept.clear()  # a caller's copy: what the next request gets is whole
        assert backend.urls
    if settings.get("MOTO_S3_CUSTOM_ENDPOINTS"):
        from moto.s3.models import S3Backend

        assert any(url.startswith("https://s3.example") for url in S3Backend.__new__(S3Backend).urls)


def requests_of_each_service(client: Any) -> list[Any]:
    """A few requests to each service the app uses, routed by moto's URL tables (S3 in both URL styles)."""
    from botocore.config import Config

    replies: list[Any] = []
    s3 = boto3.client("s3", region_name=REGION)
    path_style = boto3.client("s3", region_name=REGION, config=Config(s3={"addressing_style": "path"}))
    bucket = f"routing-{secrets.token_hex(4)}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=bucket, Key="a/b c/ä.txt", Body=b"x")
    s3.put_object(Bucket=bucket, Key="top", Body=b"y")
    for s3_client in (s3, path_style):
        replies.append(s3_client.get_object(Bucket=bucket, Key="a/b c/ä.txt")["Body"].read())
        replies.append([o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket)["Contents"]])
        replies.append(s3_client.head_object(Bucket=bucket, Key="top")["ContentLength"])
    sqs = boto3.client("sqs", region_name=REGION)
    queue = sqs.create_queue(QueueName=f"routing-{secrets.token_hex(4)}")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="m")
    replies.append([m["Body"] for m in sqs.receive_message(QueueUrl=queue).get("Messages", [])])
    table = new_table(client)
    client.put_item(TableName=table, Item=seed_item(1))
    replies.append(client.get_item(TableName=table, Key={"pk": {"S": "p"}, "sk": {"S": "0001"}})["Item"])
    replies.append(boto3.client("sts", region_name=REGION).get_caller_identity()["Account"])
    return replies


def test_requests_to_every_service_are_answered_as_in_moto() -> None:
    plain, patched = both(requests_of_each_service)
    assert plain[0] == b"x" and plain[1] == ["a/b c/ä.txt", "top"]
    assert patched == plain


# item sizes -----------------------------------------------------------------------------------------


#: An item of the size moto accepts at most: 405,000 bytes of attribute names and values.
LARGEST = 405_000


def sized_item(number: int, size: int, attributes: int = 1) -> dict[str, Any]:
    """An item of `size` bytes by moto's count (names and values), the rest spread over `attributes` strings."""
    item = {"pk": {"S": "p"}, "sk": {"S": f"{number:04d}"}}
    rest = size - (2 + 1) - (2 + 4)
    for index in range(attributes):
        name = f"a{index:03d}"
        share = rest // (attributes - index) - len(name)
        item[name] = {"S": "x" * share}
        rest -= len(name) + share
    return item


def items_near_the_size_limit(client: Any) -> list[Any]:
    """Items at, just over and far over moto's size limit, written by every kind of write, and an update that
    grows one past it: what each write answers and what the table holds afterwards."""
    table = new_table(client)
    outcomes: list[Any] = []

    def attempt(write: Callable[[], Any]) -> None:
        try:
            write()
            outcomes.append("applied")
        except client.exceptions.ClientError as error:
            outcomes.append(error.response["Error"])

    for number, (size, attributes) in enumerate([(LARGEST, 1), (LARGEST + 1, 1), (LARGEST, 40), (LARGEST + 1, 40),
                                                 (LARGEST + 1, 2), (2 * LARGEST, 3), (1_000, 25)]):
        item = sized_item(number, size, attributes)
        attempt(lambda item=item: client.put_item(TableName=table, Item=item))
        attempt(lambda item=item: client.transact_write_items(TransactItems=[{"Put": {"TableName": table,
                                                                                      "Item": item}}]))
        attempt(lambda item=item: client.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": item}}]}))
    attempt(lambda: client.update_item(TableName=table, Key={"pk": {"S": "p"}, "sk": {"S": "0006"}},
                                       UpdateExpression="SET grown = :g",
                                       ExpressionAttributeValues={":g": {"S": "x" * LARGEST}}))
    items = sorted(client.scan(TableName=table)["Items"], key=lambda i: i["sk"]["S"])
    return [outcomes, [(i["sk"]["S"], sorted(i)) for i in items]]


def test_items_at_the_size_limit_are_accepted_and_refused_as_in_moto() -> None:
    plain, patched = both(items_near_the_size_limit)
    outcomes = plain[0]
    assert outcomes[:3] == ["applied"] * 3 and outcomes[6:9] == ["applied"] * 3, outcomes
    assert all(o != "applied" for o in outcomes[3:6] + outcomes[9:18]) and outcomes[-1] != "applied", outcomes
    assert patched == plain


def test_an_item_is_measured_once_per_attribute(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto added up all the item's attributes again before storing each one: n²/2 measurements."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    measured = {"values": 0}
    plain_size = DynamoType.size

    def counted(self: Any) -> int:
        measured["values"] += 1
        return plain_size(self)

    with moto_patched(True) as client:
        table = new_table(client)
        monkeypatch.setattr(DynamoType, "size", counted)
        client.put_item(TableName=table, Item=sized_item(1, 5_000, 100))
    assert measured["values"] <= 3 * 102, measured


def test_routing_a_request_builds_no_url_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto built every URL table again for each request, and S3's re-imported moto.s3.urls."""
    import moto.s3.models

    reloads = {"count": 0}
    plain_reload = moto.s3.models.reload

    def counted(module: Any) -> Any:
        reloads["count"] += 1
        return plain_reload(module)

    monkeypatch.setattr(moto.s3.models, "reload", counted)
    with moto_patched(True):
        s3 = boto3.client("s3", region_name=REGION)
        bucket = f"routing-{secrets.token_hex(4)}"
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        before = reloads["count"]
        for number in range(5):
            s3.put_object(Bucket=bucket, Key=f"k{number}", Body=b"x")
    assert reloads["count"] == before


# names ------------------------------------------------------------------------------------------------


def queue_conversation(client: Any) -> list[Any]:
    """Queues of each kind, their attributes read and changed, messages sent, received and deleted."""
    sqs = boto3.client("sqs", region_name=REGION)
    suffix = secrets.token_hex(4)
    dead = sqs.create_queue(QueueName=f"dead-{suffix}")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = sqs.create_queue(QueueName=f"work-{suffix}", Attributes={
        "VisibilityTimeout": "0", "RedrivePolicy": f'{{"deadLetterTargetArn": "{dead_arn}", "maxReceiveCount": 2}}'})
    fifo = sqs.create_queue(QueueName=f"work-{suffix}.fifo", Attributes={
        "FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    replies: list[Any] = []
    for url in (queue["QueueUrl"], fifo):
        for number in range(3):
            sqs.send_message(QueueUrl=url, MessageBody=f"m{number}", **(
                {"MessageGroupId": "g"} if url == fifo else {}))
        for _ in range(3):
            received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, AttributeNames=["All"])
            replies.append([(m["Body"], m["Attributes"]["ApproximateReceiveCount"])
                            for m in received.get("Messages", [])])
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"MessageRetentionPeriod": "600"})
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        replies.append({k: v.replace(suffix, "*") for k, v in attributes.items()
                        if k not in ("CreatedTimestamp", "LastModifiedTimestamp")})
    return replies


def test_queues_answer_as_in_moto() -> None:
    plain, patched = both(queue_conversation)
    assert plain[-1]["MessageRetentionPeriod"] == "600" and plain[-1]["FifoQueue"] == "true"
    assert patched == plain


def test_a_name_is_converted_as_moto_converts_it() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from moto.core import responses, utils
    from moto.sqs import models as sqs_models

    moto_patches.apply()
    plain = utils.camelcase_to_underscores.__dossier_original__
    # One cache for the one function moto imports into three modules.
    assert utils.camelcase_to_underscores is responses.camelcase_to_underscores is sqs_models.camelcase_to_underscores

    @settings(max_examples=200, deadline=None, database=None)
    @given(name=st.one_of(st.text(max_size=12), st.sampled_from(["ReceiveMessage", "QueueArn", "KmsMasterKeyId",
                                                                 "FifoQueue", "SSEType", "ARNs", "aB", ""])))
    def same(name: str) -> None:
        assert utils.camelcase_to_underscores(name) == responses.camelcase_to_underscores(name) == plain(name)
        assert utils.camelcase_to_underscores(name) == plain(name)  # the second time: from the cache

    same()


def test_an_update_copies_its_expression_tree_without_deepcopy(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the patched moto, with copy.deepcopy's rebuilding of an object counting the expression nodes
    import copy

    from moto.dynamodb.parsing.ast_nodes import Node
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    reconstruct = copy._reconstruct  # type: ignore[attr-defined]
    trees: list[Any] = []

    def counting(value: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(value, Node):
            trees.append(value)
        return reconstruct(value, *args, **kwargs)

    monkeypatch.setattr(copy, "_reconstruct", counting)
    expression = "SET #c = if_not_exists(#c, :n) + :n, gsi1pk = :g REMOVE gsi1sk"
    with moto_patched(True) as client:
        table = new_table(client)
        client.put_item(TableName=table, Item=seed_item(1))
        cached = UpdateExpressionParser.make(expression)
        before = repr(vars(cached)), len(list(cached.children))
        # When the same expression updates the item twice
        for _ in range(2):
            client.update_item(TableName=table, Key={"pk": {"S": "p"}, "sk": {"S": "0001"}},
                               UpdateExpression=expression, ExpressionAttributeNames={"#c": "count"},
                               ExpressionAttributeValues={":n": {"N": "1"}, ":g": {"S": "moved"}})
        item = client.get_item(TableName=table, Key={"pk": {"S": "p"}, "sk": {"S": "0001"}})["Item"]
    # Then both applied, the parsed tree the validator copied is as parsed, and no tree went through deepcopy
    assert item["count"] == {"N": "3"} and item["gsi1pk"] == {"S": "moved"} and "gsi1sk" not in item
    assert (repr(vars(cached)), len(list(cached.children))) == before
    assert trees == []
