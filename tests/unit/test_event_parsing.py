from __future__ import annotations

import json

import pytest

from chalicelib.events.models import MalformedEventError, parse_message
from chalicelib.files.models import FileAddress, object_key, parse_file_key
from tests.support.samples import event_body


def test_a_created_event_from_moto_is_decoded() -> None:
    [event] = parse_message(event_body("s3_created_post"))
    assert event.kind == "created" and event.name == "ObjectCreated:Post"
    assert event.key == "files/acme/01a208b7d9e6e72891e7fcbbb798/01a208bea44b75416b367ebed512"
    assert (event.size, event.etag, event.sequencer) == (39, "f833aad026a1cb231f517eb55668b6c5", None)
    assert parse_file_key(event.key) == FileAddress("acme", "01a208b7d9e6e72891e7fcbbb798",
                                                    "01a208bea44b75416b367ebed512")


def test_a_removed_event_from_aws_has_no_size_but_a_sequencer() -> None:
    [event] = parse_message(event_body("s3_removed_aws"))
    assert event.kind == "removed" and event.size is None and event.sequencer == "0055AED6DCD90281E5"


def test_the_test_event_holds_no_object_events() -> None:
    assert parse_message(event_body("s3_test_event")) == []


def test_keys_are_url_decoded_with_plus_as_space() -> None:
    body = json.loads(event_body("s3_created_post"))
    body["Records"][0]["s3"]["object"]["key"] = "files%2Fa+b%2Fc"
    [event] = parse_message(json.dumps(body))
    assert event.key == "files/a b/c"
    assert parse_file_key(event.key) is None


@pytest.mark.parametrize("key", [
    "files/acme/01a208b7d9e6e72891e7fcbbb798", "branding/acme/logo", "files/ACME/01a208b7d9e6e72891e7fcbbb798/x",
    "files/acme/../01a208b7d9e6e72891e7fcbbb798/01a208bea44b75416b367ebed512",
    "files/acme/01a208b7d9e6e72891e7fcbbb798/01a208bea44b75416b367ebed512/extra",
])
def test_keys_outside_the_file_layout_have_no_address(key: str) -> None:
    assert parse_file_key(key) is None


def test_the_key_a_file_is_stored_under_is_read_back_as_its_address() -> None:
    address = FileAddress("acme-2", "0" * 28, "f" * 28)
    assert parse_file_key(object_key(address.account_id, address.customer_id, address.file_id)) == address


@pytest.mark.parametrize("body", ["", "[]", "{}", '{"Records": "x"}', '{"Records": [{"s3": {}}]}', "\u0000"])
def test_malformed_messages_are_refused(body: str) -> None:
    with pytest.raises(MalformedEventError):
        parse_message(body)
