"""infra/admin.py: the operator's tools for a deployed stage, against moto (CloudFormation stubbed)."""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.stub import Stubber

from infra import admin

STAGE = "prod"
APP_PARAMETERS = {
    "JwtIssuer": "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Pool",
    "JwtAudience": "client-id",
    "JwksUrl": "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Pool/.well-known/jwks.json",
    "PublicBaseUrl": "https://dossier.example.com",
    "MailSender": "no-reply@example.com",
}


class StackSession:
    """moto for every service, except CloudFormation, which answers with the given stacks."""

    def __init__(self, stacks: dict[str, dict[str, dict[str, str]]]) -> None:
        self.stacks = stacks

    def client(self, service: str) -> Any:
        client = boto3.client(service)
        if service != "cloudformation":
            return client
        stubber = Stubber(client)
        for _ in range(3):
            for name, values in self.stacks.items():
                stack = {"StackName": name, "CreationTime": "2026-01-01T00:00:00Z", "StackStatus": "CREATE_COMPLETE",
                         "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in values.get("Outputs", {}).items()],
                         "Parameters": [{"ParameterKey": k, "ParameterValue": v}
                                        for k, v in values.get("Parameters", {}).items()]}
                stubber.add_response("describe_stacks", {"Stacks": [stack]}, {"StackName": name})
        stubber.activate()
        return client


def test_an_account_is_created_in_the_stages_table_with_the_stages_settings(aws: Any, monkeypatch) -> None:
    from chalicelib.accounts.repository import AccountRepository
    from chalicelib.runtime import reset_process_state
    from tests.conftest import new_account_id

    session = StackSession({
        f"dossier-{STAGE}-infra": {"Outputs": {"TableName": aws.outputs["TableName"],
                                               "UploadsBucketName": aws.outputs["UploadsBucketName"],
                                               "ExportsBucketName": aws.outputs["ExportsBucketName"]}},
        f"dossier-{STAGE}": {"Parameters": APP_PARAMETERS},
    })
    environment = admin.stage_environment(session.client("cloudformation"), STAGE)
    for name in environment:  # restored when the test ends
        monkeypatch.setenv(name, os.environ.get(name, "unset"))
    account_id = new_account_id("admin")
    try:
        assert admin.main(["account", "--stage", STAGE, "--id", account_id, "--plan", "team"], session=session) == 0
        from chalicelib.settings import get_settings

        settings = get_settings()
        assert (settings.stage, settings.auth_mode, settings.jwks_url) == (STAGE, "jwks", APP_PARAMETERS["JwksUrl"])
        assert settings.mail_sender == APP_PARAMETERS["MailSender"]
        assert admin.main(["account", "--stage", STAGE, "--id", account_id], session=session) == 0
    finally:
        monkeypatch.undo()
        reset_process_state()
    account = AccountRepository().get(account_id)
    assert account is not None and account.plan == "team", "idempotent: the second call changed nothing"


def test_the_operator_books_extra_storage_and_changes_the_plan(aws: Any, monkeypatch, capsys) -> None:
    from chalicelib.accounts.repository import AccountRepository
    from chalicelib.accounts.service import create_account
    from chalicelib.runtime import reset_process_state
    from tests.conftest import new_account_id

    session = StackSession({
        f"dossier-{STAGE}-infra": {"Outputs": {"TableName": aws.outputs["TableName"],
                                               "UploadsBucketName": aws.outputs["UploadsBucketName"],
                                               "ExportsBucketName": aws.outputs["ExportsBucketName"]}},
        f"dossier-{STAGE}": {"Parameters": APP_PARAMETERS},
    })
    account_id = new_account_id("admin")
    create_account(account_id, plan="solo")
    for name in admin.stage_environment(session.client("cloudformation"), STAGE):
        monkeypatch.setenv(name, os.environ.get(name, "unset"))
    try:
        assert admin.main(["subscription", "--stage", STAGE, "--id", account_id, "--plan", "pro",
                           "--extra-storage-gib", "2"], session=session) == 0
        assert admin.main(["subscription", "--stage", STAGE, "--id", account_id, "--extra-storage-gib", "-1"],
                          session=session) == 2
        assert admin.main(["subscription", "--stage", STAGE, "--id", "nobody-here", "--plan", "team"],
                          session=session) == 2
    finally:
        monkeypatch.undo()
        reset_process_state()
    account = AccountRepository().get(account_id)
    assert account is not None
    assert (account.plan, account.extra_storage_bytes, account.quota_bytes) == ("pro", 2 * 1024**3,
                                                                               536870912 + 2 * 1024**3)
    captured = capsys.readouterr()
    assert f"account {account_id}: plan pro" in captured.out
    assert "extra_storage_bytes" in captured.err and "does not exist" in captured.err


def test_a_staff_user_carries_account_and_role_as_custom_attributes(aws: Any, capsys) -> None:
    cognito = boto3.client("cognito-idp")
    pool_id = cognito.create_user_pool(
        PoolName="dossier-prod-staff", UsernameAttributes=["email"],
        Schema=[{"Name": "account", "AttributeDataType": "String", "Mutable": True},
                {"Name": "role", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]
    session = StackSession({f"dossier-{STAGE}-identity": {"Outputs": {"UserPoolId": pool_id}}})
    assert admin.main(["user", "--stage", STAGE, "--account", "kanzlei-schmidt", "--email", "anna@example.com"],
                      session=session) == 0
    user = cognito.admin_get_user(UserPoolId=pool_id, Username="anna@example.com")
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert (attributes["custom:account"], attributes["custom:role"]) == ("kanzlei-schmidt", "admin")
    assert "admin of kanzlei-schmidt" in capsys.readouterr().out


def test_an_invalid_account_id_creates_no_user(aws: Any, capsys) -> None:
    session = StackSession({})
    assert admin.main(["user", "--stage", STAGE, "--account", "Not Valid", "--email", "x@example.com"],
                      session=session) == 2
    assert "invalid account id" in capsys.readouterr().err
