"""Administration of a deployed stage, with the operator's AWS credentials (docs/deploy.md).

    python -m infra.admin account --stage prod --id kanzlei-schmidt [--plan pro] [--name "Kanzlei Schmidt"]
    python -m infra.admin subscription --stage prod --id kanzlei-schmidt [--plan team] [--extra-storage-gib 5]
    python -m infra.admin user --stage prod --account kanzlei-schmidt --email anna@example.com [--role admin]

`account` creates an account in the stage's table (idempotent), through the same service code the API
runs, configured from the deployed stacks. `subscription` changes what the account pays for: its plan and
booked extra storage (whole GiB on top of the plan's 0.5 GiB). `user` creates a staff user in the stage's
Cognito user pool with `custom:account` and `custom:role`; Cognito e-mails a temporary password. None has an
API route: creating accounts, billing them and choosing who administers them is the operator's job.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Any


def stack_values(cloudformation: Any, stack: str, kind: str) -> dict[str, str]:
    """The outputs (`kind="Outputs"`) or parameters (`kind="Parameters"`) of a deployed stack."""
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    key, value = ("OutputKey", "OutputValue") if kind == "Outputs" else ("ParameterKey", "ParameterValue")
    return {item[key]: item[value] for item in described.get(kind, [])}


def stage_environment(cloudformation: Any, stage: str) -> dict[str, str]:
    """The settings the stage's functions run with, read from its stacks (none of them secret)."""
    infra = stack_values(cloudformation, f"dossier-{stage}-infra", "Outputs")
    app = stack_values(cloudformation, f"dossier-{stage}", "Parameters")
    return {
        "DOSSIER_STAGE": stage,
        "DOSSIER_TABLE_NAME": infra["TableName"],
        "DOSSIER_UPLOADS_BUCKET": infra["UploadsBucketName"],
        "DOSSIER_EXPORTS_BUCKET": infra["ExportsBucketName"],
        "DOSSIER_AUTH_MODE": "jwks",
        "DOSSIER_JWT_ISSUER": app["JwtIssuer"],
        "DOSSIER_JWT_AUDIENCE": app["JwtAudience"],
        "DOSSIER_JWKS_URL": app["JwksUrl"],
        "DOSSIER_PUBLIC_BASE_URL": app["PublicBaseUrl"],
        "DOSSIER_MAIL_SENDER": app["MailSender"],
    }


def create_account(session: Any, stage: str, account_id: str, plan: str, name: str | None) -> str:
    from chalicelib.runtime import reset_process_state

    os.environ.update(stage_environment(session.client("cloudformation"), stage))
    reset_process_state()
    from chalicelib.accounts.service import create_account as create

    account, is_new = create(account_id, name=name, plan=plan)  # type: ignore[arg-type]
    state = "created" if is_new else "exists (unchanged)"
    return f"account {account.id} {state}: plan {account.plan}, name {account.name!r}"


def change_subscription(session: Any, stage: str, account_id: str, plan: str | None, extra_gib: int | None) -> str:
    from chalicelib.runtime import reset_process_state

    os.environ.update(stage_environment(session.client("cloudformation"), stage))
    reset_process_state()
    from chalicelib.accounts.service import GIB
    from chalicelib.accounts.service import change_subscription as change

    account = change(account_id, plan=plan, extra_storage_bytes=None if extra_gib is None else extra_gib * GIB)  # type: ignore[arg-type]
    return (f"account {account.id}: plan {account.plan}, quota {account.quota_bytes} bytes "
            f"({account.extra_storage_bytes} booked extra)")


def create_user(session: Any, stage: str, account_id: str, email: str, role: str) -> str:
    from chalicelib.auth.tokens import ACCOUNT_ID_PATTERN

    if not re.match(ACCOUNT_ID_PATTERN, account_id):
        raise ValueError(f"invalid account id {account_id!r}")
    pool_id = stack_values(session.client("cloudformation"), f"dossier-{stage}-identity", "Outputs")["UserPoolId"]
    user = session.client("cognito-idp").admin_create_user(
        UserPoolId=pool_id,
        Username=email,
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "custom:account", "Value": account_id},
            {"Name": "custom:role", "Value": role},
        ],
        DesiredDeliveryMediums=["EMAIL"],
    )["User"]
    return f"user {email} ({user['Username']}) created in {pool_id}: {role} of {account_id}; password sent by e-mail"


def main(argv: list[str] | None = None, session: Any = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.admin", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    account = commands.add_parser("account", help="create an account (idempotent)")
    account.add_argument("--stage", required=True)
    account.add_argument("--id", required=True)
    account.add_argument("--plan", default="pro", choices=["solo", "pro", "team"])
    account.add_argument("--name")
    subscription = commands.add_parser("subscription", help="change an account's plan or booked extra storage")
    subscription.add_argument("--stage", required=True)
    subscription.add_argument("--id", required=True)
    subscription.add_argument("--plan", choices=["solo", "pro", "team"])
    subscription.add_argument("--extra-storage-gib", type=int)
    user = commands.add_parser("user", help="create a staff user in the stage's user pool")
    user.add_argument("--stage", required=True)
    user.add_argument("--account", required=True)
    user.add_argument("--email", required=True)
    user.add_argument("--role", default="admin", choices=["admin", "member"])
    args = parser.parse_args(argv)

    import boto3

    session = session or boto3.session.Session()
    try:
        if args.command == "account":
            print(create_account(session, args.stage, args.id, args.plan, args.name))
        elif args.command == "subscription":
            print(change_subscription(session, args.stage, args.id, args.plan, args.extra_storage_gib))
        else:
            print(create_user(session, args.stage, args.account, args.email, args.role))
    except Exception as exc:  # noqa: BLE001 - a command line tool: say what failed, exit non-zero
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
