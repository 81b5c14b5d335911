"""Registration of new customers through the account's open link ("Neukunden-Link").

The link can sit on the business's website: a new customer enters name and e-mail and gets a mail with a
confirmation link (double opt-in); confirming creates the customer (joining the default group, as
portal-created customers do) and continues on their own upload link.
"""

from pydantic import BaseModel, ConfigDict

from chalicelib.fields import Email, Name, Phone, ShortText
from chalicelib.models import InputModel


class Registration(InputModel):
    name: Name
    email: Email
    company: ShortText | None = None
    phone: Phone | None = None


class PendingRegistration(BaseModel):
    """A registration waiting for its confirmation (only a hash of the confirmation secret is stored)."""

    model_config = ConfigDict(defer_build=True)

    id: str
    intake_id: str
    token_hash: str
    name: str
    email: str
    company: str | None = None
    phone: str | None = None
    created_at: str
    expires_at: str
