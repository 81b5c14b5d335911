"""The staff user pool (infra/identity.yaml): what staff and the console rely on.

The template is evaluated for a stage, then created in moto's Cognito with the same properties (CloudFormation's
property names are the API's), so the password policy and the TOTP enrolment docs/deploy.md describes are
exercised, not only read. moto checks TOTP codes when MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP is set; the codes
come from the secret Cognito hands out, as an authenticator app computes them."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from infra import cfn
from infra.local.environment import REGION
from infra.local.provision import LOCAL_ACCOUNT_ID

PUBLIC_BASE_URL = "https://dossier.example.com"
PARAMETERS = {"Stage": "prod", "PublicBaseUrl": PUBLIC_BASE_URL}
STRONG_PASSWORD = "Correct-horse-42"
NOW = 1_796_550_000


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return cfn.load(cfn.IDENTITY_TEMPLATE)


@pytest.fixture(scope="module")
def resolver(template: dict[str, Any]) -> cfn.StackResolver:
    resolver = cfn.StackResolver(template, dict(PARAMETERS), region=REGION)
    resolver.physical["StaffUserPool"] = {"Ref": f"{REGION}_AbCdEf123"}
    resolver.physical["StaffSignInDomain"] = {"Ref": f"dossier-prod-{LOCAL_ACCOUNT_ID}"}
    return resolver


@pytest.fixture(scope="module")
def pool(resolver: cfn.StackResolver) -> dict[str, Any]:
    return resolver.properties("StaffUserPool")


@pytest.fixture(scope="module")
def client(resolver: cfn.StackResolver) -> dict[str, Any]:
    return resolver.properties("StaffAppClient")


# --- the template -----------------------------------------------------------------------------------------


def test_passwords_are_long_and_mixed_and_first_passwords_expire(pool: dict[str, Any]) -> None:
    policy = pool["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    assert policy["RequireLowercase"] and policy["RequireUppercase"] and policy["RequireNumbers"]
    assert policy["TemporaryPasswordValidityDays"] <= 3
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True, "no sign-up"
    assert pool["AccountRecoverySetting"]["RecoveryMechanisms"] == [{"Name": "verified_email", "Priority": 1}]


def test_the_pool_offers_totp_mfa_that_each_admin_switches_on(pool: dict[str, Any]) -> None:
    assert pool["MfaConfiguration"] == "OPTIONAL", "per user: required for admins once they enrolled"
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"], "an authenticator app, never SMS"


def test_the_console_signs_in_with_the_code_grant_as_a_public_client(client: dict[str, Any]) -> None:
    assert client["GenerateSecret"] is False, "a browser app cannot keep a secret: it uses PKCE"
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert client["AllowedOAuthFlows"] == ["code"], "no implicit grant, no client credentials"
    assert sorted(client["AllowedOAuthScopes"]) == ["email", "openid", "profile"]
    assert client["SupportedIdentityProviders"] == ["COGNITO"]
    assert client["CallbackURLs"] == [f"{PUBLIC_BASE_URL}/app/callback"]
    assert client["LogoutURLs"] == [f"{PUBLIC_BASE_URL}/app/"]


def test_users_cannot_change_their_account_or_role(client: dict[str, Any]) -> None:
    assert {"custom:account", "custom:role"} <= set(client["ReadAttributes"])
    assert client["WriteAttributes"] == ["email"]
    assert "ALLOW_USER_PASSWORD_AUTH" not in client["ExplicitAuthFlows"], "passwords go only through SRP"


def test_the_public_url_parameter_takes_what_deploy_passes_and_nothing_with_a_trailing_slash(
        template: dict[str, Any]) -> None:
    pattern = template["Parameters"]["PublicBaseUrl"]["AllowedPattern"]
    for url in ("https://abc123defg.execute-api.eu-central-1.amazonaws.com/api", "https://dossier.example.com",
                "https://pending.invalid"):
        assert re.fullmatch(pattern, url), url
    for url in ("https://dossier.example.com/", "http://dossier.example.com", ""):
        assert not re.fullmatch(pattern, url), url


def test_the_oidc_domain_output_is_the_hosted_sign_in_of_the_stage(template: dict[str, Any],
                                                                   resolver: cfn.StackResolver) -> None:
    assert resolver.properties("StaffSignInDomain")["Domain"] == f"dossier-prod-{LOCAL_ACCOUNT_ID}"
    assert resolver.resolve(template["Outputs"]["OidcDomain"]["Value"]) == (
        f"https://dossier-prod-{LOCAL_ACCOUNT_ID}.auth.{REGION}.amazoncognito.com")


# --- the pool, created with these properties ---------------------------------------------------------------


@pytest.fixture
def cognito(pool: dict[str, Any], client: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    import boto3
    from moto import mock_aws
    from moto.cognitoidp import utils

    monkeypatch.setenv("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")
    # moto accepts only the current 30-second step's code: one clock for it and the "authenticator app" (moto
    # 5.2.5's verify_totp reads `utils.time.time()`; pinned in tests/infra/test_moto_pins.py).
    monkeypatch.setattr(utils, "time", SimpleNamespace(time=lambda: NOW))
    with mock_aws():
        idp = boto3.client("cognito-idp", region_name=REGION)
        pool_properties = {k: v for k, v in pool.items() if k != "EnabledMfas"}
        pool_name = pool_properties.pop("UserPoolName")
        pool_id = idp.create_user_pool(PoolName=pool_name, **pool_properties)["UserPool"]["Id"]
        idp.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration=pool["MfaConfiguration"],
                                     SoftwareTokenMfaConfiguration={"Enabled": True})
        client_properties = {k: v for k, v in client.items() if k != "UserPoolId"}
        client_id = idp.create_user_pool_client(UserPoolId=pool_id, **client_properties)["UserPoolClient"]["ClientId"]
        yield idp, pool_id, client_id


def _create_user(idp: Any, pool_id: str, email: str, role: str) -> None:
    idp.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS", UserAttributes=[
        {"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"},
        {"Name": "custom:account", "Value": "kanzlei-schmidt"}, {"Name": "custom:role", "Value": role}])
    idp.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=STRONG_PASSWORD, Permanent=True)


def _sign_in(idp: Any, pool_id: str, client_id: str, email: str) -> dict[str, Any]:
    return idp.admin_initiate_auth(UserPoolId=pool_id, ClientId=client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": email, "PASSWORD": STRONG_PASSWORD})


def _totp(secret: str) -> str:
    """What an authenticator app shows for a secret Cognito gave (base32, 6 digits, 30 s; RFC 6238's SHA-1)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    return TOTP(key, 6, SHA1(), 30, enforce_key_length=False).generate(NOW).decode()  # noqa: S303


def test_weak_passwords_are_refused(cognito: Any) -> None:
    idp, pool_id, _ = cognito
    idp.admin_create_user(UserPoolId=pool_id, Username="anna@example.com", MessageAction="SUPPRESS",
                          UserAttributes=[{"Name": "email", "Value": "anna@example.com"}])
    for weak in ("Short-1a", "alllowercase-123", "ALLUPPERCASE-123", "No-digits-here-at-all"):
        with pytest.raises(idp.exceptions.InvalidPasswordException):
            idp.admin_set_user_password(UserPoolId=pool_id, Username="anna@example.com", Password=weak, Permanent=True)
    idp.admin_set_user_password(UserPoolId=pool_id, Username="anna@example.com", Password=STRONG_PASSWORD,
                                Permanent=True)


def test_an_admin_enrols_totp_and_then_needs_a_code_to_sign_in(cognito: Any) -> None:
    """The enrolment steps of docs/deploy.md, in order."""
    idp, pool_id, client_id = cognito
    _create_user(idp, pool_id, "anna@example.com", "admin")
    _create_user(idp, pool_id, "bob@example.com", "member")

    access_token = _sign_in(idp, pool_id, client_id, "anna@example.com")["AuthenticationResult"]["AccessToken"]
    secret = idp.associate_software_token(AccessToken=access_token)["SecretCode"]
    wrong_code = f"{(int(_totp(secret)) + 1) % 1_000_000:06d}"
    with pytest.raises(idp.exceptions.CodeMismatchException):
        idp.verify_software_token(AccessToken=access_token, UserCode=wrong_code, FriendlyDeviceName="phone")
    assert idp.verify_software_token(AccessToken=access_token, UserCode=_totp(secret),
                                     FriendlyDeviceName="phone")["Status"] == "SUCCESS"
    idp.admin_set_user_mfa_preference(UserPoolId=pool_id, Username="anna@example.com",
                                      SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})

    challenge = _sign_in(idp, pool_id, client_id, "anna@example.com")
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA" and "AuthenticationResult" not in challenge
    with pytest.raises(idp.exceptions.CodeMismatchException):
        idp.admin_respond_to_auth_challenge(
            UserPoolId=pool_id, ClientId=client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=challenge["Session"],
            ChallengeResponses={"USERNAME": "anna@example.com", "SOFTWARE_TOKEN_MFA_CODE": wrong_code})
    signed_in = idp.admin_respond_to_auth_challenge(
        UserPoolId=pool_id, ClientId=client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "anna@example.com", "SOFTWARE_TOKEN_MFA_CODE": _totp(secret)})
    assert signed_in["AuthenticationResult"]["IdToken"]

    # OPTIONAL: a member who has not enrolled still signs in with the password alone.
    assert "AuthenticationResult" in _sign_in(idp, pool_id, client_id, "bob@example.com")
