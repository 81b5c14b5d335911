"""Customer groups ("Kundengruppen"), one of which may be the account's default group."""

from __future__ import annotations

# The group's model is loaded with the account in one query, so it lives with the account partition
# (chalicelib/accounts/definitions.py); this domain publishes it and keeps its rules.
from chalicelib.accounts.definitions import Group

__all__ = ["MAX_GROUPS", "MAX_GROUPS_PER_CUSTOMER", "Group"]

MAX_GROUPS = 500
MAX_GROUPS_PER_CUSTOMER = 20
