"""Registration of new customers through the account's open link ("Neukunden-Link").

The link can sit on the business's website: a new customer enters name and e-mail, becomes a customer
(joining the default group, as portal-created customers do) and continues on their own upload link.
"""

from __future__ import annotations

from chalicelib.fields import Email, Name, Phone, ShortText
from chalicelib.models import InputModel


class Registration(InputModel):
    name: Name
    email: Email
    company: ShortText | None = None
    phone: Phone | None = None
