"""The demo account `demo` the local stack creates at start."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.accounts import service as accounts
from chalicelib.auth.tokens import issue_token

DEMO_ACCOUNT = "demo"


@dataclass
class Demo:
    account_id: str
    admin_token: str

    def describe(self) -> list[str]:
        return [
            f"account:      {self.account_id}",
            f"admin token:  {self.admin_token}",
            f"try:          curl -H 'Authorization: Bearer {self.admin_token}' $API/account",
        ]


def seed_demo(api_url: str) -> Demo:
    accounts.create_account(DEMO_ACCOUNT, name="Demo Steuerberatung", plan="team")
    token = issue_token(DEMO_ACCOUNT, "demo-admin", "admin")
    return Demo(account_id=DEMO_ACCOUNT, admin_token=token)
