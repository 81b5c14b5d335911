"""The presigned POST policy (moto does not enforce it, so its content is tested here)."""

from __future__ import annotations

import base64
import datetime
import json

import pytest

from chalicelib import clock
from chalicelib.files import names, types
from chalicelib.files.models import object_key
from chalicelib.storage.objects import presigned_post


@pytest.fixture
def policy(aws) -> tuple[dict, dict]:
    post = presigned_post("uploads-bucket", object_key("acme", "c" * 28, "f" * 28), "application/pdf", 1234, 900)
    return post, json.loads(base64.b64decode(post["fields"]["policy"]))


def test_the_policy_pins_the_exact_key_type_and_size(policy) -> None:
    post, document = policy
    conditions = document["conditions"]
    assert {"bucket": "uploads-bucket"} in conditions
    assert {"key": "files/acme/" + "c" * 28 + "/" + "f" * 28} in conditions
    assert {"Content-Type": "application/pdf"} in conditions
    assert ["content-length-range", 1, 1234] in conditions
    assert not any(isinstance(c, list) and c[0] == "starts-with" for c in conditions)
    assert post["fields"]["key"] == "files/acme/" + "c" * 28 + "/" + "f" * 28
    assert post["fields"]["Content-Type"] == "application/pdf"
    assert post["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"


def test_the_policy_expires_within_fifteen_minutes(policy) -> None:
    _, document = policy
    expires = clock.parse(document["expiration"])
    assert datetime.timedelta(0) < expires - clock.now() <= datetime.timedelta(minutes=15)


@pytest.mark.parametrize("raw,safe", [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\me\\Rechnung.pdf", "Rechnung.pdf"),
    ("evil\u202efdp.exe", "evilfdp.exe"),
    ("a\u0000b\u0007c.pdf", "abc.pdf"),
    ("...", "file"),
    ("x" * 1000 + ".pdf", "x" * 196 + ".pdf"),
    ("Mietvertrag Müller 2025.pdf", "Mietvertrag Müller 2025.pdf"),
    ('a<b>c:"d|e?.pdf', "a_b_c__d_e_.pdf"),
])
def test_file_names_are_kept_as_safe_data(raw: str, safe: str) -> None:
    assert names.sanitize(raw) == safe


@pytest.mark.parametrize("content_type,filename,ok", [
    ("application/pdf", "a.pdf", True), ("application/pdf", "a.PDF", True), ("image/heic", "IMG_1.HEIC", True),
    ("image/jpeg", "a.jpeg", True), ("text/csv", "a.csv", True), ("application/zip", "a.zip", True),
    ("application/pdf", "a.exe", False), ("image/png", "a.pdf", False), ("application/pdf", "pdf", False),
    ("application/x-msdownload", "a.exe", False),
])
def test_declared_type_and_extension_must_agree(content_type: str, filename: str, ok: bool) -> None:
    assert types.agrees(content_type, filename) is ok
