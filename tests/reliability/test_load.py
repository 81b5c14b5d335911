"""A small bounded load on the real local stack (the same workload as `make load`, which runs 2,000
requests from 10 clients): zero errors and nothing lost. Latencies are printed, never asserted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from load.__main__ import run_load
from tests.e2e.conftest import start_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack() -> Iterator[Any]:
    running = start_stack()
    yield running
    running.stop()


def test_a_mixed_load_has_no_errors_and_loses_nothing(stack) -> None:
    result = run_load(stack, clients=4, requests=150)
    print("\n" + result.table())
    assert result.requests == 150 and result.errors == []
    assert result.uploads > 0 and sum(len(v) for v in result.latencies.values()) == 150
