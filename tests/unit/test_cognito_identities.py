"""The team routes' calls to a stage's Cognito user pool (chalicelib/users/identity.py), against moto's."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from chalicelib.users.errors import EmailTakenError
from chalicelib.users.identity import CognitoIdentities


@pytest.fixture
def pool(aws: Any) -> tuple[Any, str]:
    client = boto3.client("cognito-idp")
    pool_id = client.create_user_pool(PoolName="dossier-test-staff", UsernameAttributes=["email"], Schema=[
        {"Name": "account", "AttributeDataType": "String", "Mutable": True},
        {"Name": "role", "AttributeDataType": "String", "Mutable": True}])["UserPool"]["Id"]
    return client, pool_id


def attributes(client: Any, pool_id: str, username: str) -> dict[str, str]:
    user = client.admin_get_user(UserPoolId=pool_id, Username=username)
    return {a["Name"]: a["Value"] for a in user["UserAttributes"]} | {"enabled": str(user["Enabled"])}


def test_an_invited_member_is_a_pool_user_of_the_account_whose_id_is_the_tokens_subject(pool) -> None:
    client, pool_id = pool
    identities = CognitoIdentities(pool_id, client)
    user_id, username = identities.invite("kanzlei", None, "anna@example.com", "Anna Berger", "member")
    found = attributes(client, pool_id, username)
    assert (found["sub"], found["email"], found["name"]) == (user_id, "anna@example.com", "Anna Berger")
    assert (found["custom:account"], found["custom:role"]) == ("kanzlei", "member")
    with pytest.raises(EmailTakenError):
        identities.invite("other", None, "anna@example.com", "Anna", "admin")

    assert identities.uses_totp(username) is False  # not enrolled: an admin would act as a member
    identities.set_role(username, "admin")
    assert attributes(client, pool_id, username)["custom:role"] == "admin"
    identities.set_enabled(username, False)
    assert attributes(client, pool_id, username)["enabled"] == "False"
    identities.set_enabled(username, True)
    assert attributes(client, pool_id, username)["enabled"] == "True"
    identities.remove(username)
    with pytest.raises(client.exceptions.UserNotFoundException):
        client.admin_get_user(UserPoolId=pool_id, Username=username)
    identities.remove(username)  # already gone: nothing to do
