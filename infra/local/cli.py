"""`make account`, `make token` and `make subscription`: talk to the running local stack; a token is the last line."""

from __future__ import annotations

import argparse
import sys

from infra.local import environment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    account = commands.add_parser("account", help="create an account (idempotent) and print an admin token")
    account.add_argument("--id", required=True)
    account.add_argument("--plan", default="pro", choices=["solo", "pro", "team"])
    account.add_argument("--name")
    subscription = commands.add_parser("subscription", help="change an account's plan or booked extra storage")
    subscription.add_argument("--id", required=True)
    subscription.add_argument("--plan", choices=["solo", "pro", "team"])
    subscription.add_argument("--extra-storage-gib", type=int, help="booked storage on top of the plan's, in GiB")
    token = commands.add_parser("token", help="print a bearer token")
    token.add_argument("--id", required=True, help="account id")
    token.add_argument("--role", default="admin", choices=["admin", "member"])
    token.add_argument("--user", default=None)
    args = parser.parse_args(argv)

    environment.apply()
    from chalicelib.auth.tokens import issue_token
    from chalicelib.errors import DossierError

    if args.command == "account":
        from botocore.exceptions import EndpointConnectionError

        from chalicelib.accounts.service import create_account

        try:
            created, is_new = create_account(args.id, name=args.name, plan=args.plan)
        except DossierError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 2
        except EndpointConnectionError:
            print(f"error: no local stack on port {environment.moto_port()}; start it with `make run`", file=sys.stderr)
            return 2
        state = "created" if is_new else "exists (unchanged)"
        print(f"account {created.id} {state}: plan {created.plan}, name {created.name!r}", file=sys.stderr)
        print(issue_token(created.id, f"{created.id}-admin", "admin"))
        return 0
    if args.command == "subscription":
        from chalicelib.accounts.service import GIB, change_subscription

        extra = None if args.extra_storage_gib is None else args.extra_storage_gib * GIB
        try:
            account = change_subscription(args.id, plan=args.plan, extra_storage_bytes=extra)
        except DossierError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 2
        print(f"account {account.id}: plan {account.plan}, quota {account.quota_bytes} bytes "
              f"({account.extra_storage_bytes} booked extra)")
        return 0
    try:
        print(issue_token(args.id, args.user or f"{args.id}-{args.role}", args.role))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
