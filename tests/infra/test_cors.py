"""CORS for the staff front end: API Gateway answers the preflight (tests/infra/test_package.py), the app
names the staff origin on every answer, so the browser may read replies and errors alike."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

STAFF_ORIGIN = "https://staff.example.com"


@pytest.fixture
def staff_origin(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from chalicelib.settings import reset_settings

    monkeypatch.setenv("DOSSIER_STAFF_ORIGIN", STAFF_ORIGIN)
    reset_settings()
    yield STAFF_ORIGIN
    monkeypatch.undo()
    reset_settings()


def test_answers_and_errors_name_the_staff_origin(api, staff_origin: str) -> None:
    assert api.get("/account").headers.get("Access-Control-Allow-Origin") == staff_origin
    refused = api.get("/customers/no-such-customer")
    assert refused.status == 404
    assert refused.headers.get("Access-Control-Allow-Origin") == staff_origin


def test_without_a_staff_origin_no_origin_is_admitted(api) -> None:
    assert "Access-Control-Allow-Origin" not in api.get("/account").headers
