"""`make account`, `make token`, `make login` and `make subscription`: talk to the running local stack (found
through its `stack.json`, infra/local/statefile.py); a token or URL is the last line."""

from __future__ import annotations

import argparse
import sys

from infra.local import statefile


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
    for name, what in (("token", "print a bearer token"), ("login", "print a one-time console login URL")):
        command = commands.add_parser(name, help=what)
        command.add_argument("--id", required=True, help="account id")
        command.add_argument("--role", default="admin", choices=["admin", "member"])
        command.add_argument("--user", default=None)
    args = parser.parse_args(argv)

    return statefile.against_running_stack(lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    from chalicelib.auth.tokens import issue_token
    from chalicelib.errors import DossierError

    if args.command == "account":
        from chalicelib.accounts.service import create_account

        try:
            created, is_new = create_account(args.id, name=args.name, plan=args.plan)
        except DossierError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 2
        if is_new:
            print(f"account {created.id} created: plan {created.plan}, name {created.name!r}", file=sys.stderr)
        else:
            print(f"account {created.id} exists (unchanged): plan {created.plan}, name {created.name!r}",
                  file=sys.stderr)
            if created.plan != args.plan:
                print(f"  its plan stays {created.plan}; to change it: make subscription ID={created.id} "
                      f"PLAN={args.plan}", file=sys.stderr)
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
    from chalicelib.accounts.service import get_account
    from chalicelib.auth.tokens import Principal

    user = args.user or f"{args.id}-{args.role}"
    try:
        token = issue_token(args.id, user, args.role)
        get_account(Principal(args.id, user, args.role))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except DossierError:
        print(f"error: there is no account {args.id!r} on the running stack; create it with "
              f"`make account ID={args.id}`", file=sys.stderr)
        return 2
    if args.command == "token":
        print(token)
        return 0
    from chalicelib.locallogin.service import console_login_url, issue_login_code

    print(f"signs {user} ({args.role}) of {args.id} in once, within 15 minutes:", file=sys.stderr)
    print(console_login_url(issue_login_code(args.id, role=args.role, user_id=user)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
