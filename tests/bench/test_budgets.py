"""The benchmarks' budgets that do not depend on time, checked on every test run (the quick sizes).

`make bench` checks every budget. Here only the counted ones run: DynamoDB calls and items per operation,
per search and per handled event, what `import app` loads, the portal page's bytes. Left to `make bench`:
figures taken from time (the cold start ratio, the event throughput ratio, the exports' linearity), which
a loaded CI machine would make flaky and which the project keeps out of its tests, and the exports'
peak memory (a moto server and a process per job: a minute even at the quick sizes).

A budget the product breaks today is listed in KNOWN_BREACHES with what it costs; the test fails when a
new one breaks and also when a listed one is met again (then the entry goes).
"""

from __future__ import annotations

from typing import Any

#: Figure name → what breaks it today (reported; the product is to be fixed, not this list extended).
KNOWN_BREACHES: dict[str, str] = {}


def counted(result: dict[str, Any]) -> list[dict[str, Any]]:
    figures = [f for f in result["figures"] if not f["timed"] and f["ok"] is not None]
    assert figures, f"{result['title']} checks nothing"
    return figures


def broken_names(result: dict[str, Any]) -> set[str]:
    return {f["name"] for f in counted(result) if f["ok"] is False}


def test_operations_keep_their_dynamodb_budgets() -> None:
    from bench import dynamo_cost as part

    dynamo_cost = part.run(quick=True)
    names = {f["name"] for f in counted(dynamo_cost)}
    assert {"Create customer", "Get customer", "List customers (page of 50)", "Handled upload event",
            "Handled delete event"} <= names
    breaches = broken_names(dynamo_cost)
    new = breaches - set(KNOWN_BREACHES)
    assert not new, [f for f in dynamo_cost["figures"] if f["name"] in new]
    fixed = set(KNOWN_BREACHES) - breaches
    assert not fixed, f"now within budget, remove from KNOWN_BREACHES: {fixed}"


def test_search_cost_does_not_grow_with_the_register() -> None:
    from bench import search_cost

    result = search_cost.run(quick=True)
    assert not broken_names(result), [f for f in result["figures"] if f["ok"] is False]
    ratio = next(f for f in result["figures"] if "items read at" in f["name"])
    assert ratio["value"] <= 1


def test_a_reminder_run_reads_what_is_due_not_the_table() -> None:
    from bench import reminders_cost

    result = reminders_cost.run(quick=True)
    assert not broken_names(result), [f for f in result["figures"] if f["ok"] is False]
    beside = next(f for f in result["figures"] if "not due / without" in f["name"])
    assert beside["value"] <= 1


def test_an_upload_event_is_one_transaction_and_one_read() -> None:
    from bench import events

    result = events.run(quick=True)
    figure = next(f for f in counted(result) if f["name"] == "Upload events: DynamoDB calls per handled event")
    assert figure["ok"], figure
    assert figure["value"] == 2


def test_import_app_does_nothing_heavy() -> None:
    from bench import cold_start

    footprint = cold_start.import_footprint()
    assert footprint == {"heavy": [], "clients": []}


def test_the_portal_page_stays_light() -> None:
    from bench import portal

    result = portal.run(quick=True)
    assert not broken_names(result), result["figures"]
