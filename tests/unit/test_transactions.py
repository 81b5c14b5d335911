"""A failed transaction becomes the error its repository named for the condition that failed, whatever the
position of that condition among the transaction's actions."""

from __future__ import annotations

import pytest

from chalicelib.storage.dynamo import Put, Table, TransactionCancelledError, Update
from chalicelib.storage.tables import main_table


class FirstMissingError(Exception):
    pass


class CountFullError(Exception):
    pass


def _actions(prefix: str) -> list:
    return [
        Put({"pk": f"{prefix}#A", "sk": "x", "entity": "test"}, condition="attribute_not_exists(pk)"),
        Update({"pk": f"{prefix}#COUNT", "sk": "x"}, "ADD n :one", values={":one": 1, ":limit": 1},
               condition="attribute_not_exists(n) OR n < :limit", fails_with=CountFullError),
        Update({"pk": f"{prefix}#B", "sk": "x"}, "SET v = :v", values={":v": 1},
               condition="attribute_exists(pk)", fails_with=FirstMissingError("the first is missing")),
    ]


def test_the_named_error_of_the_failed_condition_is_raised_in_any_order(aws) -> None:
    table = Table(main_table().name)
    table.put({"pk": "t-tx#COUNT", "sk": "x", "n": 1})
    table.put({"pk": "t-tx#B", "sk": "x"})
    actions = _actions("t-tx")
    # Given the count is full and the other conditions hold, when the transaction runs in either order,
    # then the count's named error is raised, not an error by position.
    for ordered in (actions, list(reversed(actions))):
        with pytest.raises(CountFullError):
            table.transact(ordered)
    assert table.get({"pk": "t-tx#A", "sk": "x"}) is None


def test_an_instance_is_raised_as_given_and_an_unnamed_condition_stays_a_cancellation(aws) -> None:
    table = Table(main_table().name)
    actions = _actions("t-tx2")
    with pytest.raises(FirstMissingError, match="the first is missing"):
        table.transact(list(reversed(actions)))
    table.put({"pk": "t-tx2#A", "sk": "x"})
    table.put({"pk": "t-tx2#B", "sk": "x"})
    with pytest.raises(TransactionCancelledError) as cancelled:
        table.transact(actions)
    assert cancelled.value.reasons[0] == "ConditionalCheckFailed"
