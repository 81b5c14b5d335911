"""Domain errors of the team (409s with their own codes)."""

from __future__ import annotations

from chalicelib import errors


class LastAdminError(errors.ConflictError):
    """The change would leave the account without an admin (removing, disabling or demoting its last one)."""

    code = "last_admin"


class EmailTakenError(errors.ConflictError):
    """Another team member (or, on AWS, another account's user) has this e-mail address."""

    code = "email_taken"


class UserChangedError(errors.ConflictError):
    """The user was changed by another request meanwhile; read it again and retry."""
