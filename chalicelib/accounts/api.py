"""HTTP: `GET /account`, `PATCH /account` (admin)."""

from typing import Annotated, Literal

from pydantic import Field

from chalicelib.accounts import logo, service
from chalicelib.accounts.models import Account, ExportFormat, Plan
from chalicelib.api.routing import Access, Router
from chalicelib.auth.tokens import Principal
from chalicelib.fields import Email, LongText, MultiLine, Phone, ShortText
from chalicelib.models import InputModel, Omittable, OutputModel

router = Router(__name__, tag="account")


class BrandingOut(OutputModel):
    company_name: str
    logo_url: str | None
    contact_email: str
    contact_phone: str
    address: str
    description: str


class PortalPermissionsOut(OutputModel):
    upload: bool
    edit_profile: bool
    see_sent_files: bool
    delete_pending_uploads: bool
    approve_documents: bool
    message: bool


class PortalOut(OutputModel):
    enabled: bool
    default_for_new_customers: bool
    permissions: PortalPermissionsOut = Field(description="What signed-in customers may do in the permanent portal "
                                                          "(each customer's portal_permissions override these)")


class NotificationsOut(OutputModel):
    clarification_mail: bool = Field(description="Whether customers get an e-mail when a file of theirs needs "
                                                 "clarification")
    sms_reminders: bool = Field(False, description="Whether planned reminders also go by SMS to customers with a "
                                                   "mobile number")


class ExportScheduleOut(OutputModel):
    enabled: bool
    formats: list[ExportFormat]


class AccountOut(OutputModel):
    id: str
    name: str
    plan: Plan
    customer_limit: int | None = Field(description="Customers the plan allows; null: unlimited")
    quota_bytes: int
    extra_storage_bytes: int
    used_bytes: int
    max_file_bytes: int
    customers_count: int
    notification_email: str | None
    branding: BrandingOut
    portal: PortalOut
    notifications: NotificationsOut
    export_schedule: ExportScheduleOut
    intake_enabled: bool = Field(description="Whether the registration link for new customers is open")
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, account: Account) -> "AccountOut":
        branding = account.branding
        return cls(
            id=account.id,
            name=account.name,
            plan=account.plan,
            customer_limit=account.customer_limit,
            quota_bytes=account.quota_bytes,
            extra_storage_bytes=account.extra_storage_bytes,
            used_bytes=account.used_bytes,
            max_file_bytes=account.max_file_bytes,
            customers_count=account.customers_count,
            notification_email=account.notification_email,
            branding=BrandingOut(logo_url=logo.logo_url(account), **branding.model_dump(exclude={"logo_key"})),
            portal=PortalOut(**account.portal.model_dump()),
            notifications=NotificationsOut(**account.notifications.model_dump()),
            export_schedule=ExportScheduleOut(**account.export_schedule.model_dump()),
            intake_enabled=account.intake is not None,
            created_at=account.created_at,
            updated_at=account.updated_at,
        )


class BrandingPatch(InputModel):
    company_name: Omittable[ShortText] = None
    contact_email: Omittable[Email | Literal[""]] = None
    contact_phone: Omittable[Phone] = None
    address: Omittable[Annotated[str, Field(max_length=500), MultiLine]] = None
    description: Omittable[LongText] = None


class PortalPermissionsPatch(InputModel):
    upload: Omittable[bool] = None
    edit_profile: Omittable[bool] = None
    see_sent_files: Omittable[bool] = None
    delete_pending_uploads: Omittable[bool] = None
    approve_documents: Omittable[bool] = None
    message: Omittable[bool] = None


class PortalPatch(InputModel):
    enabled: Omittable[bool] = None
    default_for_new_customers: Omittable[bool] = None
    permissions: Omittable[PortalPermissionsPatch] = None


class NotificationsPatch(InputModel):
    clarification_mail: Omittable[bool] = None
    sms_reminders: Omittable[bool] = None


class ExportSchedulePatch(InputModel):
    enabled: Omittable[bool] = None
    formats: Omittable[list[ExportFormat]] = Field(None, min_length=1, max_length=2)


class AccountPatch(InputModel):
    name: Omittable[ShortText] = Field(None, min_length=1)
    notification_email: Email | None = None
    branding: Omittable[BrandingPatch] = None
    portal: Omittable[PortalPatch] = None
    notifications: Omittable[NotificationsPatch] = None
    export_schedule: Omittable[ExportSchedulePatch] = None

    def changes(self) -> dict[str, object]:
        """Only the fields the request named; nested sections likewise."""
        return self.model_dump(mode="json", exclude_unset=True)


@router.route("/account", "GET", summary="The caller's account", response=AccountOut)
def get_account(principal: Principal) -> AccountOut:
    return AccountOut.of(service.get_account(principal))


@router.route(
    "/account", "PATCH", summary="Change account settings", access=Access.ADMIN, body=AccountPatch, response=AccountOut
)
def update_account(principal: Principal, body: AccountPatch) -> AccountOut:
    return AccountOut.of(service.update_settings(principal, body.changes()))
