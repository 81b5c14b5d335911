"""The permanent customer portal: sign-in links, sessions, permissions and messages."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chalicelib.fields import Email, MultiLine, Phone
from chalicelib.models import InputModel

#: A sign-in link mailed or texted to the customer works this long, once.
SIGN_IN_LINK_SECONDS = 15 * 60
#: A session ends after this long without a request, and in any case this long after the sign-in.
SESSION_IDLE_SECONDS = 60 * 60
SESSION_ABSOLUTE_SECONDS = 12 * 60 * 60
#: A session's last use is written at most this often (the idle expiry is that much coarser).
SESSION_TOUCH_SECONDS = 60
#: Sign-in requests per address, and per client address (IP), in a window of this many seconds.
SIGN_IN_WINDOW_SECONDS = 15 * 60
SIGN_INS_PER_ADDRESS = 5
SIGN_INS_PER_IP = 20
#: Staff or the customer are mailed about new messages at most once in this many seconds per conversation.
MESSAGE_MAIL_INTERVAL_SECONDS = 10 * 60

SignInVia = Literal["access_link", "email", "sms"]
Author = Literal["staff", "customer"]
PERMISSIONS = ("upload", "edit_profile", "see_sent_files", "delete_pending_uploads", "approve_documents", "message")


class SignInLink(BaseModel):
    """A one-time sign-in link (only a hash of its secret is kept)."""

    model_config = ConfigDict(defer_build=True)

    id: str
    customer_id: str
    secret_hash: str
    via: SignInVia
    created_at: str
    expires_at: str


class PortalSession(BaseModel):
    """A signed-in customer's server-side session (the cookie holds its id and secret)."""

    model_config = ConfigDict(defer_build=True)

    id: str
    customer_id: str
    secret_hash: str
    csrf_token: str
    via: SignInVia
    #: The customer's portal generation at sign-in: when it moves, the session has ended.
    generation: int
    created_at: str
    last_seen_at: str
    expires_at: str


class Message(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: str
    customer_id: str
    at: str
    author: Author
    author_name: str
    body: str


class Conversation(BaseModel):
    """The mail notices of one customer's conversation: when each side was last mailed, and which notice is
    planned (at most one per side; a message while one is planned is in that mail)."""

    model_config = ConfigDict(defer_build=True)

    customer_id: str
    staff_mailed_at: str | None = None
    customer_mailed_at: str | None = None
    staff_notice_at: str | None = None
    customer_notice_at: str | None = None
    #: When the customer last read the conversation (staff's side is the customer's `unread_messages`).
    customer_read_at: str | None = None


class SignInRequest(InputModel):
    """Exactly one of an e-mail address or a mobile number."""

    email: Email | None = None
    phone: Annotated[Phone, Field(min_length=3)] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "SignInRequest":
        if (self.email is None) == (self.phone is None):
            raise ValueError("give either an e-mail address or a mobile number")
        return self


class MessageIn(InputModel):
    body: Annotated[str, Field(min_length=1, max_length=5000), MultiLine]


class PortalUploadRequest(InputModel):
    filename: str = Field(min_length=1, max_length=1000)
    size: int = Field(ge=1, le=1_073_741_824, description="Bytes")
    content_type: str = Field(min_length=3, max_length=200)
    area: str = Field("general", min_length=1, max_length=64)
    link_id: str | None = Field(None, max_length=64, description="The request (link) to upload into; without it "
                                                                   "the file goes to the general documents")


class PortalSwitch(InputModel):
    """Switch the portal on or off for the named customers, a group, or everyone."""

    enabled: bool
    customer_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(None, max_length=1000)
    group_id: str | None = Field(None, max_length=64)
    all: bool = False

    @model_validator(mode="after")
    def _one_selection(self) -> "PortalSwitch":
        chosen = sum([self.customer_ids is not None, self.group_id is not None, self.all])
        if chosen != 1:
            raise ValueError("name exactly one of customer_ids, group_id or all: true")
        return self
