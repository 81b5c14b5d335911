"""Accounts: the plan, storage quota, branding, portal and export settings of one business."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chalicelib.fields import Email

Plan = Literal["solo", "pro", "team"]
ExportFormat = Literal["csv", "xlsx"]

#: Customers an account may keep, by plan (None: unlimited).
CUSTOMER_LIMITS: dict[str, int | None] = {"solo": 10, "pro": 50, "team": None}
DEFAULT_QUOTA_BYTES = 536_870_912  # 0.5 GiB
DEFAULT_MAX_FILE_BYTES = 5_242_880  # 5 MiB


class Branding(BaseModel):
    model_config = ConfigDict(defer_build=True)

    company_name: str = ""
    logo_key: str | None = None
    contact_email: str = ""
    contact_phone: str = ""
    address: str = ""
    description: str = ""


class PortalPermissions(BaseModel):
    """What a signed-in customer may do in the permanent portal (account defaults; customers may override)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    upload: bool = True
    edit_profile: bool = True
    see_sent_files: bool = True
    delete_pending_uploads: bool = True
    approve_documents: bool = True
    message: bool = True


class PortalSettings(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    enabled: bool = True
    default_for_new_customers: bool = True
    permissions: PortalPermissions = Field(default_factory=PortalPermissions)


class NotificationSettings(BaseModel):
    """Mail the account has Dossier send to its customers on its own."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    #: Mail the customer when staff mark one of their files as needing clarification.
    clarification_mail: bool = True
    #: Send planned reminders by SMS too, to customers with a mobile number (SMS cost money: off by default).
    sms_reminders: bool = False


class ExportSchedule(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    enabled: bool = False
    formats: list[ExportFormat] = Field(default_factory=lambda: list[ExportFormat](["csv"]), max_length=2)

    @model_validator(mode="after")
    def _formats_when_enabled(self) -> "ExportSchedule":
        self.formats = list(dict.fromkeys(self.formats))
        if self.enabled and not self.formats:
            raise ValueError("an enabled schedule needs at least one format")
        return self


class IntakeLink(BaseModel):
    """The account's open registration link for new customers (only a hash of its secret is kept)."""

    model_config = ConfigDict(defer_build=True)

    id: str
    token_hash: str
    created_at: str


class Account(BaseModel):
    """An account as stored (without keys)."""

    model_config = ConfigDict(defer_build=True)

    id: str
    name: str
    plan: Plan = "pro"
    base_quota_bytes: int = DEFAULT_QUOTA_BYTES
    extra_storage_bytes: int = 0
    used_bytes: int = 0
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    customers_count: int = 0
    customer_seq: int = 0
    #: The group new portal-created customers join (at most one; see groups).
    default_group_id: str | None = None
    #: Moves with every change to the groups (groups/repository.py).
    groups_version: int = 0
    notification_email: Email | None = None
    branding: Branding = Field(default_factory=Branding)
    portal: PortalSettings = Field(default_factory=PortalSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    export_schedule: ExportSchedule = Field(default_factory=ExportSchedule)
    intake: IntakeLink | None = None
    created_at: str
    updated_at: str

    @property
    def quota_bytes(self) -> int:
        return self.base_quota_bytes + self.extra_storage_bytes

    @property
    def free_bytes(self) -> int:
        """What the quota leaves; below zero when the account stores more than its quota (a downgrade)."""
        return self.quota_bytes - self.used_bytes

    @property
    def customer_limit(self) -> int | None:
        return CUSTOMER_LIMITS[self.plan]
