from __future__ import annotations

import pytest

from chalicelib.links import tokens


def test_a_token_names_its_account_and_link_and_carries_256_random_bits() -> None:
    token, stored = tokens.new_token("acme", "0" * 28)
    account, link, secret = tokens.parse(token)
    assert (account, link) == ("acme", "0" * 28)
    assert len(secret) == 43  # 32 bytes, base64url
    assert secret not in stored and tokens.matches(secret, stored)
    assert tokens.new_token("acme", "0" * 28)[0] != token


@pytest.mark.parametrize("token", [
    "", "acme", "acme.x.y", "ACME." + "0" * 28 + "." + "a" * 43, "acme." + "0" * 28 + "." + "a" * 42,
    "acme." + "0" * 28 + "." + "a" * 43 + ".", "acme/" + "0" * 28 + "." + "a" * 43, "x" * 5000,
    "acme." + "0" * 28 + "." + "a" * 42 + "%",
])
def test_anything_else_is_not_a_token(token: str) -> None:
    assert tokens.parse(token) is None


def test_a_changed_secret_does_not_match() -> None:
    token, stored = tokens.new_token("acme", "0" * 28)
    secret = tokens.parse(token)[2]
    assert not tokens.matches(secret[:-1] + ("A" if secret[-1] != "A" else "B"), stored)
