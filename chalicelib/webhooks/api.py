"""HTTP: webhook endpoints (`/webhooks`, admin)."""

from pydantic import Field

from chalicelib.api.routing import Router
from chalicelib.api.schema import ListQuery, page_of
from chalicelib.auth.tokens import Principal
from chalicelib.models import InputModel, Omittable, OutputModel
from chalicelib.webhooks import service
from chalicelib.webhooks.models import DeliveryAttempt, Endpoint, EventType

router = Router(__name__, tag="webhooks")


class WebhookOut(OutputModel):
    id: str
    url: str
    events: list[EventType]
    enabled: bool
    #: Only in the reply that created the endpoint.
    secret: str | None = None
    failing_since: str | None = None
    disabled_reason: str | None = None
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, endpoint: Endpoint, with_secret: bool = False) -> "WebhookOut":
        shown = endpoint.model_dump(exclude={"secret"})
        return cls(**shown, secret=endpoint.secret if with_secret else None)


class NewWebhook(InputModel):
    url: str = Field(min_length=1, max_length=2048)
    events: list[EventType] = Field(min_length=1, max_length=20)
    enabled: bool = True


class WebhookChanges(InputModel):
    url: Omittable[str] = Field(None, min_length=1, max_length=2048)
    events: Omittable[list[EventType]] = Field(None, min_length=1, max_length=20)
    enabled: Omittable[bool] = None


class DeliveryOut(OutputModel):
    id: str
    event: str
    event_id: str
    at: str
    status_code: int | None
    attempt: int
    ok: bool
    error: str | None = None
    duration_ms: int

    @classmethod
    def of(cls, attempt: DeliveryAttempt) -> "DeliveryOut":
        return cls(**attempt.model_dump())


class TestSent(OutputModel):
    event_id: str
    event: str


@router.route("/webhooks", "GET", summary="The account's webhook endpoints", permission="webhooks_manage",
              response=page_of(WebhookOut))
def list_webhooks(principal: Principal) -> OutputModel:
    return page_of(WebhookOut)(items=[WebhookOut.of(e) for e in service.list_endpoints(principal.account_id)])


@router.route("/webhooks", "POST", summary="Add an endpoint; the reply shows its signing secret, once",
              permission="webhooks_manage", body=NewWebhook, response=WebhookOut, status=201, errors=(409,))
def create_webhook(principal: Principal, body: NewWebhook) -> WebhookOut:
    return WebhookOut.of(service.create_endpoint(principal.account_id, body.url, body.events, body.enabled),
                         with_secret=True)


@router.route("/webhooks/{id}", "GET", summary="One webhook endpoint", permission="webhooks_manage",
              response=WebhookOut)
def get_webhook(principal: Principal, id: str) -> WebhookOut:  # noqa: A002
    return WebhookOut.of(service.get_endpoint(principal.account_id, id))


@router.route("/webhooks/{id}", "PATCH", summary="Change the URL, the events or switch the endpoint on or off",
              permission="webhooks_manage", body=WebhookChanges, response=WebhookOut, errors=(409,))
def update_webhook(principal: Principal, id: str, body: WebhookChanges) -> WebhookOut:  # noqa: A002
    return WebhookOut.of(service.update_endpoint(principal.account_id, id, body.url, body.events, body.enabled))


@router.route("/webhooks/{id}", "DELETE", summary="Remove an endpoint", permission="webhooks_manage", status=204)
def delete_webhook(principal: Principal, id: str) -> None:  # noqa: A002
    service.delete_endpoint(principal.account_id, id)


@router.route("/webhooks/{id}/test", "POST", summary="Send a `ping` through the delivery queue",
              permission="webhooks_manage", response=TestSent, status=202)
def test_webhook(principal: Principal, id: str) -> TestSent:  # noqa: A002
    event = service.send_test(principal.account_id, id)
    return TestSent(event_id=event.id, event=event.type)


@router.route("/webhooks/{id}/deliveries", "GET", summary="The endpoint's delivery attempts, newest first",
              permission="webhooks_manage", query=ListQuery, response=page_of(DeliveryOut))
def list_webhook_deliveries(principal: Principal, id: str, query: ListQuery) -> OutputModel:  # noqa: A002
    attempts, cursor = service.list_deliveries(principal.account_id, id, query.limit, query.cursor)
    return page_of(DeliveryOut)(items=[DeliveryOut.of(a) for a in attempts], next_cursor=cursor)
