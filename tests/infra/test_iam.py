"""Least privilege, checked against what the code really does.

Every boto3 call the app makes goes through the clients of `chalicelib.aws`. While SCENARIO drives the
app in-process under moto (routes, the portal, uploads, the S3 event handler), botocore hooks on those
clients record each operation with its parameters, presigned requests included (the browser performs
them later with the function's credentials). OPERATION_PERMISSIONS maps each operation to the IAM
actions and resource ARNs AWS authorizes it against; each must be allowed by `.chalice/policy-<stage>.json`,
evaluated for that stage in an example account. Conversely, every action the policy grants must be
needed by a recorded call or by Lambda itself (logs, the SQS event sources), or be explained in
GRANTED_BEYOND_SCENARIO.

Extending: add a step to SCENARIO when a feature lands. If the test then names an operation missing from
OPERATION_PERMISSIONS, map it (https://docs.aws.amazon.com/service-authorization/latest/reference/);
if the policy does not allow it, extend both policy files, on the narrowest resource that works.
"""

from __future__ import annotations

import fnmatch
import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from infra import cfn, package
from infra.local.environment import REGION
from infra.local.provision import LOCAL_ACCOUNT_ID, resource_names

ROOT = Path(__file__).resolve().parents[2]
STAGES = ("dev", "prod")
LOCAL_STAGE = "local"


# --- recording the app's AWS calls ---------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    service: str
    operation: str
    params: dict[str, Any]
    presigned: bool = False


@dataclass
class CallRecorder:
    calls: list[Call] = field(default_factory=list)

    def attach(self, events: Any) -> None:
        """Hooks on a botocore session's events: clients made from it afterwards inherit them."""
        events.register("provide-client-params", self._on_params, unique_id="dossier-iam-recorder-params")
        events.register("before-sign.s3.PutObject", self._on_sign_post, unique_id="dossier-iam-recorder-post")

    def _on_params(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        presigned = bool(context.get("is_presign_request"))
        if presigned and model.name == "CreateBucket":
            return  # how botocore builds a presigned POST's URL; the POST itself is recorded when signed
        self.calls.append(Call(model.service_model.service_name, model.name, dict(params), presigned))

    def _on_sign_post(self, request: Any, **_: Any) -> None:
        fields = request.context.get("s3-presign-post-fields")
        if fields is None:
            return  # an ordinary PutObject, recorded with its parameters
        conditions = request.context["s3-presign-post-policy"]["conditions"]
        bucket = next(c["bucket"] for c in conditions if isinstance(c, dict) and "bucket" in c)
        self.calls.append(Call("s3", "PutObject", {"Bucket": bucket, "Key": fields["key"]}, presigned=True))


# --- the scenario: what a deployed stage does, step by step -----------------------------------------------


@dataclass
class Scenario:
    """What the steps share: clients for staff and portal, the app module, moto's stack, ids made so far."""

    api: Any
    anonymous: Any
    application: Any
    aws: Any
    ids: dict[str, Any] = field(default_factory=dict)


def _ok(reply: Any, status: int = 200) -> Any:
    assert reply.status == status, reply
    return reply.json


def account_settings(s: Scenario) -> None:
    _ok(s.api.get("/account"))
    _ok(s.api.patch("/account", {"notification_email": "kanzlei@example.com",
                                 "branding": {"company_name": "Kanzlei Beispiel"}}))


def _drain_jobs(s: Scenario) -> None:
    from tests.support import jobs

    jobs.drain_jobs(s.application, s.aws)


def groups(s: Scenario) -> None:
    group = _ok(s.api.post("/groups", {"name": "Mandanten", "is_default": True}), 201)
    _ok(s.api.get("/groups"))
    _ok(s.api.patch(f"/groups/{group['id']}", {"name": "Stammmandanten"}))
    s.ids["group"] = group["id"]
    spare = _ok(s.api.post("/groups", {"name": "Einmalig"}), 201)
    _ok(s.api.delete(f"/groups/{spare['id']}"), 202)
    _drain_jobs(s)  # the deletion job takes the group off its members


def attributes(s: Scenario) -> None:
    tax_id = _ok(s.api.post("/attributes", {"scope": "customer", "name": "Steuer-ID", "type": "text",
                                            "pattern": "[0-9]{11}", "in_portal": True}), 201)
    _ok(s.api.get("/attributes"))
    _ok(s.api.get(f"/attributes/{tax_id['id']}"))
    _ok(s.api.patch(f"/attributes/{tax_id['id']}", {"required": False}))
    s.ids["attribute"] = tax_id["id"]
    spare = _ok(s.api.post("/attributes", {"scope": "customer", "name": "Alt", "type": "boolean"}), 201)
    _ok(s.api.delete(f"/attributes/{spare['id']}"), 202)
    _drain_jobs(s)  # the deletion job takes the attribute off links and customers


def customers(s: Scenario) -> None:
    customer = _ok(s.api.post("/customers", {"name": "Anna Schmidt", "email": "anna@example.com",
                                             "groups": [s.ids["group"]]}), 201)
    s.ids["customer"] = customer["id"]
    _ok(s.api.get("/customers?q=schmidt"))
    _ok(s.api.get(f"/customers?group={s.ids['group']}&status=open"))
    _ok(s.api.get(f"/customers/{customer['id']}"))
    _ok(s.api.patch(f"/customers/{customer['id']}", {"phone": "+49 30 1234567",
                                                     "attributes": {s.ids["attribute"]: "12345678901"}}))
    _ok(s.api.get(f"/customers/{customer['id']}/activity"))
    duplicate = _ok(s.api.post("/customers", {"name": "A. Schmidt"}), 201)
    _ok(s.api.post(f"/customers/{customer['id']}/merge", {"source_id": duplicate["id"], "take": {}}))
    spare = _ok(s.api.post("/customers", {"name": "Wird geloescht"}), 201)
    _ok(s.api.delete(f"/customers/{spare['id']}"), 202)


def links(s: Scenario) -> None:
    customer = s.ids["customer"]
    link = _ok(s.api.post(f"/customers/{customer}/links", {"areas": ["general"], "attributes": [s.ids["attribute"]],
                                                            "send_email": True}), 201)
    _ok(s.api.get(f"/customers/{customer}/links"))
    resent = _ok(s.api.post(f"/customers/{customer}/links/{link['id']}/send"))
    s.ids["link_token"] = resent["url"].rsplit("/p/", 1)[1]
    spare = _ok(s.api.post(f"/customers/{customer}/links", {"areas": ["general"]}), 201)
    _ok(s.api.delete(f"/customers/{customer}/links/{spare['id']}"), 204)


def portal_and_uploads(s: Scenario) -> None:
    from tests.support import events

    token = s.ids["link_token"]
    _ok(s.anonymous.get(f"/p/{token}/context"))
    _ok(s.anonymous.put(f"/p/{token}/attributes", {s.ids["attribute"]: "10987654321"}))
    content = b"%PDF-1.7 Beleg"
    presigned = _ok(s.anonymous.post(f"/p/{token}/uploads", {"filename": "beleg.pdf", "size": len(content),
                                                             "content_type": "application/pdf"}), 201)
    events.post_upload(presigned, content)
    # An object larger than its reservation: the handler deletes it.
    oversized = _ok(s.anonymous.post(f"/p/{token}/uploads", {"filename": "gross.pdf", "size": 4,
                                                             "content_type": "application/pdf"}), 201)
    events.post_upload(oversized, b"%PDF-1.7 mehr als vier Bytes")
    assert events.drain(s.application, s.aws) >= 2
    s.ids["file"] = presigned["file_id"]


def staff_files(s: Scenario) -> None:
    from tests.support import events

    customer, file_id = s.ids["customer"], s.ids["file"]
    _ok(s.api.get(f"/customers/{customer}/files"))
    assert _ok(s.api.get(f"/customers/{customer}/files/{file_id}"))["download_url"]
    _ok(s.api.patch(f"/customers/{customer}/files/{file_id}", {"review": "checked"}))
    sent = _ok(s.api.post(f"/customers/{customer}/files", {"filename": "bescheid.pdf", "size": 9,
                                                           "content_type": "application/pdf"}), 201)
    events.post_upload(sent, b"%PDF-1.7 ")
    events.drain(s.application, s.aws)
    _ok(s.api.delete(f"/customers/{customer}/files/{file_id}"), 204)
    events.drain(s.application, s.aws)


def logo(s: Scenario) -> None:
    from tests.support import events

    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x01" * 200
    presigned = _ok(s.api.post("/account/logo", {"filename": "logo.png", "size": len(png),
                                                 "content_type": "image/png"}), 201)
    events.post_upload(presigned, png)
    _ok(s.api.put("/account/logo", {"logo_id": presigned["logo_id"]}))
    _ok(s.anonymous.get(f"/p/{s.ids['link_token']}/context"))  # shows the logo (a presigned GET)
    _ok(s.api.delete("/account/logo"), 204)


def intake(s: Scenario) -> None:
    url = _ok(s.api.post("/account/intake"), 201)["url"]
    token = url.rsplit("/intake/", 1)[1]
    _ok(s.anonymous.get(f"/intake/{token}/context"))
    _ok(s.anonymous.post(f"/intake/{token}", {"name": "Neu Kunde", "email": "neu@example.com"}), 202)
    from tests.api.test_intake import confirmation_token

    _ok(s.anonymous.post(f"/registrations/{confirmation_token('neu@example.com')}"))
    _ok(s.api.delete("/account/intake"), 204)


def exports(s: Scenario) -> None:
    from tests.support import jobs

    requested = [_ok(s.api.post("/exports", {"format": kind}), 202)["id"] for kind in ("csv", "xlsx")]
    requested.append(_ok(s.api.post(f"/customers/{s.ids['customer']}/export"), 202)["id"])
    assert jobs.drain_jobs(s.application, s.aws) >= len(requested)  # earlier tests may have left jobs
    for export_id in requested:
        assert _ok(s.api.get(f"/exports/{export_id}"))["download_url"]
    _ok(s.api.get("/exports"))


def failed_archive(s: Scenario) -> None:
    """A customer ZIP whose upload fails midway: its multipart upload is aborted."""
    from tests.support import faults, jobs

    export_id = _ok(s.api.post(f"/customers/{s.ids['customer']}/export"), 202)["id"]
    error = lambda: faults.client_error("SlowDown", "CompleteMultipartUpload")  # noqa: E731
    with faults.failing("s3", "CompleteMultipartUpload", error):
        assert jobs.drain_jobs(s.application, s.aws) == 1
    assert _ok(s.api.get(f"/exports/{export_id}"))["status"] == "failed"


def scheduled_exports(s: Scenario) -> None:
    from tests.support import jobs

    _ok(s.api.patch("/account", {"export_schedule": {"enabled": True, "formats": ["csv"]}}))
    jobs.run_schedule(s.application, "2026-01-02T02:00:00Z")
    jobs.drain_jobs(s.application, s.aws)


def reconciliation(s: Scenario) -> None:
    """The daily recount (chalicelib/reconcile): queues a job per account, which lists objects, reads records and
    counters, repairs drift."""
    from chalice.local import LambdaContext

    from tests.support import jobs

    summary = s.application.reconcile_counters(jobs.scheduled_event("2026-01-02T03:00:00Z"),
                                               LambdaContext("reconcile_counters", 512))
    assert summary["accounts_queued"] >= 1
    jobs.drain_jobs(s.application, s.aws)  # a job per account does the work


def reminders(s: Scenario) -> None:
    """The hourly reminder run: a due request's reminder by mail and, where the account enabled it, by SMS."""
    import datetime
    from unittest import mock

    from chalice.local import LambdaContext

    from chalicelib import clock
    from tests.support import jobs

    _ok(s.api.patch("/account", {"notifications": {"sms_reminders": True}}))
    customer = _ok(s.api.post("/customers", {"name": "Rita Reminder", "email": "rita@example.com",
                                             "phone": "0171 2345678"}), 201)
    due = clock.now() + datetime.timedelta(days=5)
    _ok(s.api.post(f"/customers/{customer['id']}/links", {
        "areas": ["general"], "due_at": clock.iso(due),
        "reminders": {"enabled": True, "before_due_days": [1], "every_days_after": 0}}), 201)
    moment = due - datetime.timedelta(hours=23)
    with mock.patch.object(clock, "now", lambda: moment):
        run = s.application.send_reminders(jobs.scheduled_event(clock.iso(moment)),
                                           LambdaContext("send_reminders", 512))
    assert run["sent"] >= 1, run


def customer_portal(s: Scenario) -> None:
    """The permanent portal: the access link, sign-in by mail and by SMS (jobs), the home's calls, messages with
    their delayed notices, the bulk switch."""
    from tests.support import jobs
    from tests.support.portal import access_link_session, follow, mailed_sign_in_url

    customer = _ok(s.api.post("/customers", {"name": "Paula Portal", "email": "paula@example.com",
                                             "phone": "0172 3456789"}), 201)
    account_id = _ok(s.api.get("/account"))["id"]
    _ok(s.api.patch("/account", {"notification_email": "team@example.com"}))
    portal = access_link_session(s.api, account_id, customer["id"])
    _ok(portal.post("api/uploads", {"filename": "a.pdf", "size": 3, "content_type": "application/pdf"}), 201)
    _ok(portal.post("api/messages", {"body": "Frage"}), 201)
    _ok(s.api.post(f"/customers/{customer['id']}/messages", {"body": "Antwort"}), 201)
    _ok(portal.post("api/messages", {"body": "Noch eine"}), 201)  # a notice planned for later: a delayed message
    _ok(s.anonymous.post(f"/c/{account_id}/login", {"email": "paula@example.com"}), 202)
    _ok(s.anonymous.post(f"/c/{account_id}/login", {"phone": "+49 172 3456789"}), 202)
    url = mailed_sign_in_url(s.application, s.aws, "paula@example.com")
    assert url and follow(s.anonymous, account_id, url)[1].cookie
    _ok(s.api.post("/customers/portal", {"enabled": False, "customer_ids": [customer["id"]]}), 202)
    jobs.drain_jobs(s.application, s.aws)


def signature_fields(s: Scenario) -> None:
    """A signature field: the image stored, handed to staff by a presigned GET, erased with the customer."""
    from tests.support.samples import png_base64

    signed = _ok(s.api.post("/attributes", {"name": "Unterschrift", "type": "signature"}), 201)
    _ok(s.api.patch(f"/customers/{s.ids['customer']}", {"attributes": {signed["id"]: png_base64()}}))
    _ok(s.api.get(f"/customers/{s.ids['customer']}/signatures/{signed['id']}"))


def deletions(s: Scenario) -> None:
    """Last: deleting a customer removes their files and export archives."""
    from tests.support import events, jobs

    _ok(s.api.delete(f"/customers/{s.ids['customer']}"), 202)
    jobs.drain_jobs(s.application, s.aws)
    events.drain(s.application, s.aws)


#: The steps, in order. Add one per feature as it lands.
SCENARIO: list[Callable[[Scenario], None]] = [
    account_settings, groups, attributes, customers, links, portal_and_uploads, staff_files, logo, intake,
    exports, failed_archive, scheduled_exports, reconciliation, reminders, customer_portal, signature_fields,
    deletions,
]


@pytest.fixture(scope="module")
def recorded_calls(aws: Any, application: Any) -> Iterator[list[Call]]:
    from chalicelib import aws as app_aws
    from chalicelib.accounts.service import create_account
    from chalicelib.auth.tokens import issue_token
    from tests.conftest import new_account_id
    from tests.support.api import ApiClient

    # The operator creates accounts (infra/admin.py, with their own credentials), not a function.
    account_id = new_account_id("iam")
    create_account(account_id, name="IAM scenario", plan="pro")
    token = issue_token(account_id, "iam-admin", "admin")

    recorder = CallRecorder()
    app_aws.reset_clients()  # clients made from now on carry the recorder's hooks
    recorder.attach(app_aws._boto_session().events)
    try:
        scenario = Scenario(api=ApiClient(application.app, token=token), anonymous=ApiClient(application.app),
                            application=application, aws=aws)
        for step in SCENARIO:
            step(scenario)
        yield recorder.calls
    finally:
        app_aws.reset_clients()  # later tests get clients without the hooks


# --- from operations to IAM actions on resources -------------------------------------------------------


@dataclass(frozen=True)
class Permission:
    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()  #: condition keys AWS evaluates for this request


@functools.cache
def _infra_names(stage: str) -> dict[str, str]:
    """logical id -> physical name of infra/template.yaml's named resources on `stage`."""
    return resource_names(stage, REGION)


@dataclass(frozen=True)
class Names:
    """Translates the local stack's resource names to one stage's names in the example account."""

    stage: str

    def _translate(self, local_name: str) -> str:
        logical = {name: logical for logical, name in _infra_names(LOCAL_STAGE).items()}.get(local_name)
        if logical is None:
            raise AssertionError(f"{local_name!r} is not a resource of infra/template.yaml")
        return _infra_names(self.stage)[logical]

    def table(self, name: str) -> str:
        return f"arn:aws:dynamodb:{REGION}:{LOCAL_ACCOUNT_ID}:table/{self._translate(name)}"

    def bucket(self, name: str) -> str:
        return f"arn:aws:s3:::{self._translate(name)}"

    def queue(self, url_or_name: str) -> str:
        name = urlparse(url_or_name).path.rsplit("/", 1)[-1] if "/" in url_or_name else url_or_name
        return f"arn:aws:sqs:{REGION}:{LOCAL_ACCOUNT_ID}:{self._translate(name)}"


Rule = Callable[[Names, dict[str, Any]], list[Permission]]


def on(action: str, resources: Callable[[Names, dict[str, Any]], list[str]]) -> Rule:
    return lambda names, params: [Permission(action, arn) for arn in resources(names, params)]


def table(names: Names, p: dict[str, Any]) -> list[str]:
    arn = names.table(p["TableName"])
    return [f"{arn}/index/{p['IndexName']}" if p.get("IndexName") else arn]


def batch_tables(names: Names, p: dict[str, Any]) -> list[str]:
    return [names.table(name) for name in p["RequestItems"]]


def s3_object(names: Names, p: dict[str, Any]) -> list[str]:
    return [f"{names.bucket(p['Bucket'])}/{p['Key']}"]


def s3_copy_source(names: Names, p: dict[str, Any]) -> list[str]:
    source = p["CopySource"]
    bucket, key = (source["Bucket"], source["Key"]) if isinstance(source, dict) else source.split("/", 1)
    return [f"{names.bucket(bucket)}/{key}"]


def by_version(plain: str, versioned: str, resources: Callable[[Names, dict[str, Any]], list[str]],
               version: Callable[[dict[str, Any]], Any] = lambda p: p.get("VersionId")) -> Rule:
    """S3 authorizes a request that names a version with the action's `…Version` form."""
    return lambda names, params: on(versioned if version(params) else plain, resources)(names, params)


def copy_source_version(p: dict[str, Any]) -> Any:
    source = p["CopySource"]
    return source.get("VersionId") if isinstance(source, dict) else "?versionId=" in source


def s3_bucket(names: Names, p: dict[str, Any]) -> list[str]:
    return [names.bucket(p["Bucket"])]


def queue(names: Names, p: dict[str, Any]) -> list[str]:
    return [names.queue(p["QueueUrl"])]


#: A transaction is authorized item by item, each with the action of its kind.
TRANSACTION_ACTIONS = {"Put": "dynamodb:PutItem", "Update": "dynamodb:UpdateItem", "Delete": "dynamodb:DeleteItem",
                       "ConditionCheck": "dynamodb:ConditionCheckItem", "Get": "dynamodb:GetItem"}


def transaction(names: Names, p: dict[str, Any]) -> list[Permission]:
    return [Permission(TRANSACTION_ACTIONS[kind], names.table(item[kind]["TableName"]))
            for item in p["TransactItems"] for kind in item]


def send_email(names: Names, p: dict[str, Any]) -> list[Permission]:
    # SES authorizes against the verified identity it sends as: the address itself (the local stack and a
    # sandbox verify the address; the policy also grants its domain, for a verified domain identity).
    sender = p["FromEmailAddress"]
    return [Permission("ses:SendEmail", f"arn:aws:ses:{REGION}:{LOCAL_ACCOUNT_ID}:identity/{sender}",
                       (("ses:FromAddress", sender),))]


def publish(names: Names, p: dict[str, Any]) -> list[Permission]:
    # An SMS to a phone number names no resource (IAM sees `*`); a topic or endpoint is named by its ARN.
    return [Permission("sns:Publish", p.get("TopicArn") or p.get("TargetArn") or "*")]


OPERATION_PERMISSIONS: dict[tuple[str, str], tuple[Rule, ...]] = {
    ("dynamodb", "GetItem"): (on("dynamodb:GetItem", table),),
    ("dynamodb", "PutItem"): (on("dynamodb:PutItem", table),),
    ("dynamodb", "UpdateItem"): (on("dynamodb:UpdateItem", table),),
    ("dynamodb", "DeleteItem"): (on("dynamodb:DeleteItem", table),),
    ("dynamodb", "Query"): (on("dynamodb:Query", table),),
    ("dynamodb", "BatchGetItem"): (on("dynamodb:BatchGetItem", batch_tables),),
    ("dynamodb", "BatchWriteItem"): (on("dynamodb:BatchWriteItem", batch_tables),),
    ("dynamodb", "TransactWriteItems"): (transaction,),
    ("dynamodb", "TransactGetItems"): (transaction,),
    ("s3", "GetObject"): (by_version("s3:GetObject", "s3:GetObjectVersion", s3_object),),
    # Without s3:ListBucket a missing key answers 403 instead of 404 (storage/objects.py relies on 404).
    ("s3", "HeadObject"): (by_version("s3:GetObject", "s3:GetObjectVersion", s3_object),
                           on("s3:ListBucket", s3_bucket)),
    ("s3", "PutObject"): (on("s3:PutObject", s3_object),),
    ("s3", "DeleteObject"): (by_version("s3:DeleteObject", "s3:DeleteObjectVersion", s3_object),),
    ("s3", "CopyObject"): (by_version("s3:GetObject", "s3:GetObjectVersion", s3_copy_source, copy_source_version),
                           on("s3:PutObject", s3_object)),
    ("s3", "CreateMultipartUpload"): (on("s3:PutObject", s3_object),),
    ("s3", "UploadPart"): (on("s3:PutObject", s3_object),),
    ("s3", "UploadPartCopy"): (on("s3:GetObject", s3_copy_source), on("s3:PutObject", s3_object)),
    ("s3", "CompleteMultipartUpload"): (on("s3:PutObject", s3_object),),
    ("s3", "AbortMultipartUpload"): (on("s3:AbortMultipartUpload", s3_object),),
    ("s3", "ListParts"): (on("s3:ListMultipartUploadParts", s3_object),),
    ("s3", "ListObjectsV2"): (on("s3:ListBucket", s3_bucket),),
    ("sqs", "SendMessage"): (on("sqs:SendMessage", queue),),
    ("sqs", "SendMessageBatch"): (on("sqs:SendMessage", queue),),
    ("sesv2", "SendEmail"): (send_email,),
    ("sns", "Publish"): (publish,),
}

#: What Lambda does with the function's role besides the app's own calls: deliver SQS batches (for each
#: SQS event source) and write the function's logs.
EVENT_SOURCE_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                        "sqs:ChangeMessageVisibility")
LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
#: What Lambda's poller of the table's stream does with the function's role (the webhooks' outbox).
STREAM_SOURCE_ACTIONS = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                         "dynamodb:ListStreams")

#: The UserPoolId parameter in the example account: the stage's own staff pool (its identity stack's output).
EXAMPLE_USER_POOL_ID = "eu-central-1_Example1"
USER_POOL_ARN = f"arn:aws:cognito-idp:{REGION}:{LOCAL_ACCOUNT_ID}:userpool/{EXAMPLE_USER_POOL_ID}"
#: What the team routes do in the stage's user pool (chalicelib/users/identity.py CognitoIdentities).
USER_POOL_ACTIONS = ("cognito-idp:AdminCreateUser", "cognito-idp:AdminDeleteUser", "cognito-idp:AdminDisableUser",
                     "cognito-idp:AdminEnableUser", "cognito-idp:AdminUpdateUserAttributes",
                     "cognito-idp:AdminUserGlobalSignOut")


#: Actions the policy grants although SCENARIO does not need them, and why. Remove an entry once a step
#: of SCENARIO needs the action (the test then says so).
GRANTED_BEYOND_SCENARIO: dict[str, str] = {
    **dict.fromkeys(USER_POOL_ACTIONS, "the team routes on a stage with a user pool (SCENARIO runs the local stage, "
                                       "which invites through the outbox; tests/unit/test_cognito_identities.py "
                                       "runs these calls against moto's user pool)"),
    "dynamodb:ConditionCheckItem": "transactions asserting another item's state (storage.dynamo.Check); no "
                                   "caller yet, granted so that the first one does not fail on AWS only",
}


def permissions_for(call: Call, names: Names) -> list[Permission]:
    rules = OPERATION_PERMISSIONS.get((call.service, call.operation))
    if rules is None:
        pytest.fail(f"the app calls {call.service}:{call.operation}; map it to IAM actions in "
                    f"OPERATION_PERMISSIONS (tests/infra/test_iam.py), then make the policy allow it")
    return [permission for rule in rules for permission in rule(names, call.params)]


# --- evaluating a policy -------------------------------------------------------------------------------


def stage_policy(stage: str, file_name: str | None = None) -> list[dict[str, Any]]:
    """The statements of a policy file for `stage`, its intrinsics resolved in the example account."""
    from chalicelib.settings import get_settings

    document = json.loads((ROOT / ".chalice" / (file_name or f"policy-{stage}.json")).read_text())
    resolver = cfn.StackResolver({"Parameters": {}}, {"Stage": stage, "MailSender": get_settings().mail_sender,
                                                      "UserPoolId": EXAMPLE_USER_POOL_ID}, region=REGION)
    return resolver.resolve(document)["Statement"]


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _matches(pattern: str, value: str) -> bool:
    # IAM wildcards: `*` any run of characters (slashes included), `?` one character.
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def _condition_holds(condition: dict[str, Any], context: dict[str, str]) -> bool:
    for operator, tests in condition.items():
        for key, expected in tests.items():
            actual = context.get(key)
            if actual is None:
                return False
            if operator == "StringEquals":
                if actual not in _listed(expected):
                    return False
            elif operator == "StringLike":
                if not any(_matches(p, actual) for p in _listed(expected)):
                    return False
            else:
                raise AssertionError(f"the evaluator does not know the condition operator {operator}")
    return True


def allows(statements: list[dict[str, Any]], permission: Permission) -> bool:
    context = dict(permission.context)

    def applies(statement: dict[str, Any]) -> bool:
        assert "NotAction" not in statement, statement
        if "NotResource" in statement:
            resource = not any(_matches(r, permission.resource) for r in _listed(statement["NotResource"]))
        else:
            resource = any(_matches(r, permission.resource) for r in _listed(statement["Resource"]))
        return (any(_matches(a.lower(), permission.action.lower()) for a in _listed(statement["Action"]))
                and resource
                and _condition_holds(statement.get("Condition", {}), context))

    if any(applies(s) for s in statements if s["Effect"] == "Deny"):
        return False
    return any(applies(s) for s in statements if s["Effect"] == "Allow")


def _function_log_stream(stage: str) -> str:
    return (f"arn:aws:logs:{REGION}:{LOCAL_ACCOUNT_ID}:log-group:/aws/lambda/dossier-{stage}-APIHandler-"
            f"A1b2C3d4E5f6:log-stream:2026/11/23/[$LATEST]0123456789abcdef")


# --- the tests -----------------------------------------------------------------------------------------


def test_the_recorder_sees_calls_and_presigned_requests(recorded_calls: list[Call]) -> None:
    seen = {(c.service, c.operation, c.presigned) for c in recorded_calls}
    assert ("s3", "PutObject", True) in seen, "presigned POSTs (uploads) must be recorded"
    assert ("s3", "GetObject", True) in seen, "presigned GETs (downloads) must be recorded"
    assert ("s3", "HeadObject", False) in seen and ("s3", "DeleteObject", False) in seen
    assert ("sesv2", "SendEmail", False) in seen
    assert ("sns", "Publish", False) in seen
    assert {"GetItem", "Query", "TransactWriteItems"} <= {c.operation for c in recorded_calls
                                                           if c.service == "dynamodb"}


@pytest.mark.parametrize("stage", STAGES)
def test_every_call_the_app_makes_is_allowed_by_the_stage_policy(recorded_calls: list[Call], stage: str) -> None:
    statements = stage_policy(stage)
    names = Names(stage)
    refused = sorted({f"{c.service}:{c.operation} needs {p.action} on {p.resource}"
                      for c in recorded_calls for p in permissions_for(c, names) if not allows(statements, p)})
    assert not refused, "\n".join(refused)


@pytest.mark.parametrize("stage", STAGES)
def test_lambda_may_consume_each_event_source_queue_and_write_logs(stage: str) -> None:
    statements = stage_policy(stage)
    infra = cfn.load(cfn.INFRA_TEMPLATE)
    sources = package.app_shape(package.load_app()).sqs_sources
    assert sources, "app.py consumes at least the events queue"
    for source in sources:
        queue_name = package.queue_for(infra, source.queue_name).name_pattern.replace("${Stage}", stage)
        arn = f"arn:aws:sqs:{REGION}:{LOCAL_ACCOUNT_ID}:{queue_name}"
        for action in EVENT_SOURCE_ACTIONS:
            assert allows(statements, Permission(action, arn)), (action, arn)
    for action in LOG_ACTIONS:
        assert allows(statements, Permission(action, _function_log_stream(stage)))
        assert allows(stage_policy(stage, "policy-authorizer.json"), Permission(action, _function_log_stream(stage)))


@pytest.mark.parametrize("stage", STAGES)
def test_every_granted_action_is_needed(recorded_calls: list[Call], stage: str) -> None:
    needed = {p.action for c in recorded_calls for p in permissions_for(c, Names(stage))}
    needed |= set(EVENT_SOURCE_ACTIONS) | set(LOG_ACTIONS) | set(STREAM_SOURCE_ACTIONS)
    granted = {a for s in stage_policy(stage) for a in _listed(s["Action"])}
    unexplained = granted - needed - set(GRANTED_BEYOND_SCENARIO)
    assert not unexplained, f"granted but never needed: {sorted(unexplained)}"
    proven = set(GRANTED_BEYOND_SCENARIO) & needed
    assert not proven, f"SCENARIO now needs {sorted(proven)}: remove them from GRANTED_BEYOND_SCENARIO"


def _arn(stage: str, kind: str, rest: str) -> str:
    service_arns = {
        "table": f"arn:aws:dynamodb:{REGION}:{LOCAL_ACCOUNT_ID}:table/dossier-{stage}",
        "uploads": f"arn:aws:s3:::dossier-{stage}-uploads-{LOCAL_ACCOUNT_ID}",
        "exports": f"arn:aws:s3:::dossier-{stage}-exports-{LOCAL_ACCOUNT_ID}",
        "queue": f"arn:aws:sqs:{REGION}:{LOCAL_ACCOUNT_ID}:dossier-{stage}",
    }
    return service_arns[kind] + rest


#: What the stage policy must allow whether or not SCENARIO exercises it yet (the features being built).
REQUIRED: list[tuple[str, str, str]] = [
    *[(f"dynamodb:{op}", "table", "") for op in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query",
                                                  "BatchGetItem", "BatchWriteItem", "ConditionCheckItem")],
    ("dynamodb:Query", "table", "/index/gsi1"),
    *[(f"s3:{op}", "uploads", f"/{prefix}/acct/file") for op in ("GetObject", "PutObject", "DeleteObject")
      for prefix in ("files", "branding")],
    *[(f"s3:{op}", "exports", "/acct/export.zip") for op in ("GetObject", "PutObject", "DeleteObject",
                                                             "AbortMultipartUpload")],
    ("s3:ListBucket", "uploads", ""),
    ("s3:ListBucket", "exports", ""),
    ("sqs:SendMessage", "queue", "-jobs"),
    *[(action, "queue", suffix) for action in EVENT_SOURCE_ACTIONS for suffix in ("-events", "-jobs")],
    *[(action, "table", "/stream/2026-12-06T00:00:00.000") for action in STREAM_SOURCE_ACTIONS],
]

#: What it must refuse: actions nothing needs, objects outside the app's prefixes, the events queue's input.
REFUSED: list[tuple[str, str, str]] = [
    ("dynamodb:Scan", "table", ""),
    ("dynamodb:DeleteTable", "table", ""),
    ("dynamodb:GetItem", "table", "-archive"),
    ("s3:PutObject", "uploads", "/other/acct/file"),
    ("s3:GetObject", "uploads", "/acct/file"),
    ("s3:DeleteBucket", "uploads", ""),
    ("s3:PutBucketPolicy", "exports", ""),
    ("sqs:SendMessage", "queue", "-events"),
    ("sqs:PurgeQueue", "queue", "-events"),
    ("sqs:ReceiveMessage", "queue", "-events-dlq"),
]


@pytest.mark.parametrize("stage", STAGES)
def test_the_policy_allows_what_the_features_need_and_nothing_around_it(stage: str) -> None:
    from chalicelib.settings import get_settings

    statements = stage_policy(stage)
    for action, kind, rest in REQUIRED:
        assert allows(statements, Permission(action, _arn(stage, kind, rest))), (action, kind, rest)
    sender = get_settings().mail_sender
    domain = sender.split("@", 1)[1]
    for identity in (sender, domain):
        arn = f"arn:aws:ses:{REGION}:{LOCAL_ACCOUNT_ID}:identity/{identity}"
        assert allows(statements, Permission("ses:SendEmail", arn, (("ses:FromAddress", sender),)))
        assert not allows(statements, Permission("ses:SendEmail", arn, (("ses:FromAddress", f"ceo@{domain}"),)))

    # Text messages to phone numbers, and nothing through SNS topics or endpoints.
    assert allows(statements, Permission("sns:Publish", "*"))
    for arn in (f"arn:aws:sns:{REGION}:{LOCAL_ACCOUNT_ID}:dossier-{stage}-mail-feedback",
                "arn:aws:sns:us-east-1:210987654321:someone-elses-topic",
                f"arn:aws:sns:{REGION}:{LOCAL_ACCOUNT_ID}:endpoint/GCM/app/0123"):
        assert not allows(statements, Permission("sns:Publish", arn)), arn

    other = "prod" if stage == "dev" else "dev"
    for action, kind, rest in REQUIRED:
        assert not allows(statements, Permission(action, _arn(other, kind, rest))), (other, action, kind, rest)
    for action, kind, rest in REFUSED:
        assert not allows(statements, Permission(action, _arn(stage, kind, rest))), (action, kind, rest)
    other_function_logs = _function_log_stream(stage).replace(f"dossier-{stage}-", "someone-else-")
    assert not allows(statements, Permission("logs:PutLogEvents", other_function_logs))


@pytest.mark.parametrize("stage", STAGES)
def test_no_wildcard_actions_and_every_resource_is_the_stages_own(stage: str) -> None:
    from chalicelib.settings import get_settings

    sender = get_settings().mail_sender
    sender_identities = {f"arn:aws:ses:{REGION}:{LOCAL_ACCOUNT_ID}:identity/{identity}"
                         for identity in (sender, sender.split("@", 1)[1])}
    for file_name in (f"policy-{stage}.json", "policy-authorizer.json"):
        for statement in stage_policy(stage, file_name):
            assert statement["Effect"] == "Allow"
            for action in _listed(statement["Action"]):
                assert "*" not in action and "?" not in action, (file_name, action)
            if "NotResource" in statement:
                # The one exception: SMS name no resource, so SNS is granted for everything but its ARNs.
                assert (_listed(statement["Action"]), statement["NotResource"]) == (["sns:Publish"],
                                                                                    "arn:aws:sns:*:*:*")
                continue
            for resource in _listed(statement["Resource"]):
                # Wildcards only below a resource named for this stage (objects, indexes, its log groups).
                stage_resource = resource.split("*", 1)[0]
                assert (f"dossier-{stage}" in stage_resource or resource in sender_identities
                        or resource == USER_POOL_ARN), (file_name, resource)


#: The authorizer reads the token's user and the team's permissions (one BatchGetItem), and records a sign-in (a
#: transaction: the user's Update and the audit entry's Put), asking the stage's pool whether an admin uses TOTP;
#: nothing else.
AUTHORIZER_TABLE_ACTIONS = ("dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")


@pytest.mark.parametrize("stage", STAGES)
def test_the_authorizer_may_only_read_the_team_record_sign_ins_and_write_its_logs(stage: str) -> None:
    statements = stage_policy(stage, "policy-authorizer.json")
    assert {a for s in statements for a in _listed(s["Action"])} == {*LOG_ACTIONS, *AUTHORIZER_TABLE_ACTIONS,
                                                                     "cognito-idp:AdminGetUser"}
    assert allows(statements, Permission("cognito-idp:AdminGetUser", USER_POOL_ARN))
    assert not allows(statements, Permission("cognito-idp:AdminGetUser", USER_POOL_ARN.replace("Example1", "Other")))
    other = "prod" if stage == "dev" else "dev"
    for action in AUTHORIZER_TABLE_ACTIONS:
        assert allows(statements, Permission(action, _arn(stage, "table", "")))
        assert not allows(statements, Permission(action, _arn(other, "table", "")))
    for action in ("dynamodb:Query", "dynamodb:DeleteItem", "dynamodb:GetItem"):
        assert not allows(statements, Permission(action, _arn(stage, "table", "")))


def test_dev_and_prod_policies_differ_only_in_the_stage() -> None:
    dev = (ROOT / ".chalice" / "policy-dev.json").read_text()
    prod = (ROOT / ".chalice" / "policy-prod.json").read_text()
    assert "dossier-prod" not in dev and "dossier-dev" not in prod
    assert json.loads(prod.replace("dossier-prod", "dossier-dev")) == json.loads(dev)
