from __future__ import annotations

import pytest

from chalicelib.links import tokens

CUSTOMER, LINK = "0" * 28, "1" * 28


def test_a_link_token_names_account_customer_and_link_and_carries_256_random_bits() -> None:
    token, stored = tokens.new_token("acme", CUSTOMER, LINK)
    account, customer, link, secret = tokens.parse(token, ids=2)
    assert (account, customer, link) == ("acme", CUSTOMER, LINK)
    assert len(secret) == 43  # 32 bytes, base64url
    assert secret not in stored and tokens.matches(secret, stored)
    assert tokens.new_token("acme", CUSTOMER, LINK)[0] != token


def test_the_registration_token_names_one_id() -> None:
    token, _ = tokens.new_token("acme", LINK)
    assert tokens.parse(token)[:2] == ("acme", LINK)
    assert tokens.parse(token, ids=2) is None


@pytest.mark.parametrize("token", [
    "", "acme", "acme.x.y.z", f"ACME.{CUSTOMER}.{LINK}." + "a" * 43, f"acme.{CUSTOMER}.{LINK}." + "a" * 42,
    f"acme.{CUSTOMER}.{LINK}." + "a" * 43 + ".", f"acme/{CUSTOMER}.{LINK}." + "a" * 43, "x" * 5000,
    f"acme.{CUSTOMER}.{LINK}." + "a" * 42 + "%", f"acme.{LINK}." + "a" * 43, f"acme.{CUSTOMER}.x.{'a' * 43}",
])
def test_anything_else_is_not_a_link_token(token: str) -> None:
    assert tokens.parse(token, ids=2) is None


def test_a_changed_secret_does_not_match() -> None:
    token, stored = tokens.new_token("acme", CUSTOMER, LINK)
    secret = tokens.parse(token, ids=2)[-1]
    assert not tokens.matches(secret[:-1] + ("A" if secret[-1] != "A" else "B"), stored)
