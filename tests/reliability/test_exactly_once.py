"""Exactly once, whatever S3 delivers: a property test over random histories of uploads and deletes.

Hypothesis drives the real pipeline in-process (presign through the API, POST or multipart upload to moto's
S3, the SQS handler Lambda runs). Every S3 event is caught before delivery and handed to the handler
1–3 times, shuffled and batched at random, so removals overtake creations, multipart uploads' two
created events arrive apart, and duplicates come late. At the end of a history, with events still in flight,
the counters must already equal a recount of the records (they change in the same transactions); once every
event is delivered, the objects and the stored records must correspond one to one, `used_bytes` must be the
bytes of the live objects, nothing the test did not delete may be missing, and the customer must have moved
`open` → `partial` exactly once if (and only if) a file from the customer was ever stored.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import boto3
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from tests.reliability.audit import audit
from tests.support import events

#: The issue asks for at least 200 examples in CI; each is a fresh account, so they stay independent.
EXAMPLES = 200
STEPS = 8
MAX_DELIVERIES = 3


@dataclass
class Upload:
    file_id: str
    key: str
    declared: int
    direction: str
    area: str
    content: bytes
    oversized: bool = False  #: the client sent more than it declared: the handler must reject it
    deleted: bool = False  #: the test deleted the object (staff delete or out of band)


@dataclass
class Message:
    body: str
    deliveries: int = 0


class UploadHistory(RuleBasedStateMachine):
    """One account, one customer with two upload areas; uploads, deletes and S3 events in random order."""

    application: Any = None
    aws: Any = None
    s3: Any = None
    sqs: Any = None
    uploads = Bundle("uploads")

    def __init__(self) -> None:
        super().__init__()
        from chalicelib.accounts.service import create_account
        from chalicelib.activity.models import staff_actor
        from chalicelib.attributes.api import NewAttribute
        from chalicelib.attributes.service import create_attribute
        from chalicelib.auth.tokens import issue_token
        from chalicelib.customers.models import NewCustomer
        from chalicelib.customers.service import create_customer
        from tests.conftest import new_account_id
        from tests.support.api import ApiClient

        # What earlier examples left queued must not leak into this one: hypothesis replays an example and
        # expects the same draws from the same choices, and `pending` is drawn from.
        events.take_messages(self.aws, self.sqs)
        self.account_id = new_account_id("prop")
        create_account(self.account_id, name="Property", plan="pro")
        self.api = ApiClient(self.application.app, token=issue_token(self.account_id, "staff", "admin"))
        # The set-up is not what is tested: the services the routes call make it without an authorizer per call.
        self.customer_id = create_customer(self.account_id, staff_actor("staff"), NewCustomer(name="Erika Muster")).id
        self.area = create_attribute(self.account_id, NewAttribute(name="Ausweis", type="file").model_dump()).id
        self.bucket = self.aws.outputs["UploadsBucketName"]
        self.pending: list[Message] = []  # caught from the queue, delivered fewer than MAX_DELIVERIES times
        self.random = random.Random(0)
        self.serial = 0
        self.made: list[Upload] = []

    @staticmethod
    def _ok(reply: Any, status: int) -> Any:
        assert reply.status == status, reply
        return reply.json

    def _catch_events(self) -> None:
        """Take every queued event off the queue before the handler sees it (batched: moto is slow)."""
        url = events.events_queue_url(self.aws)
        while batch := self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            self.sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)])
            self.pending += [Message(m["Body"]) for m in batch if f"files%2F{self.account_id}%2F" in m["Body"]]
            if len(batch) < 10:
                # In-process moto answers a receive with every visible message up to the maximum, and S3's
                # events are queued before the S3 call returns: a short batch emptied the queue, so another
                # receive would come back empty.
                break

    def _deliver(self, messages: list[Message]) -> None:
        bodies = []
        for message in messages:
            bodies.append(message.body)
            message.deliveries += 1
        reply = events.deliver(self.application, bodies)
        assert reply.get("batchItemFailures") == [], reply
        self.pending = [m for m in self.pending if m.deliveries < MAX_DELIVERIES]

    # --- what happens -----------------------------------------------------------------------------------

    @initialize(seed=st.integers(0, 2**32 - 1))
    def seed(self, seed: int) -> None:
        self.random = random.Random(seed)

    @rule(target=uploads, size=st.integers(1, 48), direction=st.sampled_from(["received", "sent"]),
          in_area=st.booleans(), multipart=st.booleans(), oversized=st.booleans())
    def upload(self, size: int, direction: str, in_area: bool, multipart: bool, oversized: bool) -> Upload:
        self.serial += 1
        area = self.area if in_area else "general"
        presigned = self._ok(self.api.post(f"/customers/{self.customer_id}/files", {
            "filename": f"beleg-{self.serial}.pdf", "size": size, "content_type": "application/pdf",
            "area": area, "direction": direction}), 201)
        content = bytes([self.serial % 251]) * (size + 1 if oversized else size)
        upload = Upload(presigned["file_id"], presigned["fields"]["key"], size, direction, area, content, oversized)
        if multipart:  # moto emits two created events for one multipart upload, as S3 may
            started = self.s3.create_multipart_upload(Bucket=self.bucket, Key=upload.key,
                                                      ContentType="application/pdf")
            part = self.s3.upload_part(Bucket=self.bucket, Key=upload.key, UploadId=started["UploadId"],
                                       PartNumber=1, Body=content)
            self.s3.complete_multipart_upload(Bucket=self.bucket, Key=upload.key, UploadId=started["UploadId"],
                                              MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]})
        else:
            events.post_upload(presigned, content)
        self._catch_events()
        self.made.append(upload)
        return upload

    @rule(upload=uploads, shrink_by=st.integers(1, 8))
    def replay_post(self, upload: Upload, shrink_by: int) -> None:
        """The same key written again within its reservation (a replayed browser POST)."""
        if upload.deleted or upload.oversized or upload.declared <= shrink_by:
            return
        upload.content = b"r" * (upload.declared - shrink_by)
        self.s3.put_object(Bucket=self.bucket, Key=upload.key, Body=upload.content, ContentType="application/pdf")
        self._catch_events()

    @rule(upload=uploads)
    def delete_by_staff(self, upload: Upload) -> None:
        reply = self.api.delete(f"/customers/{self.customer_id}/files/{upload.file_id}")
        assert reply.status in (204, 404), reply  # 404: its created event has not been handled yet
        if reply.status == 204 and not upload.oversized:
            upload.deleted = True
        self._catch_events()

    @rule(upload=uploads)
    def delete_out_of_band(self, upload: Upload) -> None:
        """The object goes without the API (an operator, a lifecycle rule): S3 says ObjectRemoved."""
        self.s3.delete_object(Bucket=self.bucket, Key=upload.key)
        upload.deleted = True
        self._catch_events()

    @rule(data=st.data())
    def deliver_some(self, data: st.DataObject) -> None:
        if not self.pending:
            return
        chosen = data.draw(st.lists(st.sampled_from(self.pending), min_size=1, max_size=6, unique_by=id),
                           label="messages")
        copies = [m for m in chosen for _ in range(data.draw(st.integers(1, 2), label="copies"))]
        data.draw(st.randoms(use_true_random=False)).shuffle(copies)
        self._deliver(copies)

    # --- what must hold ---------------------------------------------------------------------------------

    def teardown(self) -> None:
        # The last step may have been a delivery whose handler quarantined an object: its removal event is queued.
        self._catch_events()
        self._settle_and_check()

    def _settle_and_check(self) -> None:
        # Events are still in flight: the counters must agree with the records all the same. With none in flight
        # nothing changes before the settled audit below, which checks the same counters and more.
        if self.pending:
            found = audit(self.account_id, settled=False)
            assert found.problems == [], found.problems

        # Whatever is still in flight arrives now, each message up to MAX_DELIVERIES times in all.
        while self.pending:
            batch = self.random.sample(self.pending, k=min(len(self.pending), self.random.randint(1, 10)))
            self._deliver(batch)
            self._catch_events()  # objects the handler deleted (rejections) announce their removal too

        found = audit(self.account_id, settled=True, s3=self.s3)
        assert found.problems == [], found.problems

        records = {f["id"]: f for f in found.of("file")}
        for upload in self.made:
            record = records.get(upload.file_id)
            if upload.oversized:
                assert upload.key not in found.objects, f"{upload.key}: larger than declared, yet kept"
                assert record is None or record["state"] == "rejected", record
            elif not upload.deleted:
                assert record is not None and record["state"] == "stored", f"{upload.key} was lost: {record}"
                assert found.objects[upload.key]["size"] == len(upload.content)

        received = found.activity("file_received")
        moved = found.activity("status_changed")
        status = found.customers[self.customer_id]["status"]
        assert len(moved) == (1 if received else 0), (len(moved), len(received))
        assert status == ("partial" if received else "open")
        for kind in ("file_received", "file_sent", "file_deleted"):
            ids = [entry["data"]["file_id"] for entry in found.activity(kind)]
            assert len(ids) == len(set(ids)), f"{kind} recorded twice for one file: {ids}"


def test_any_history_of_uploads_deletes_and_deliveries_counts_exactly_once(application, aws) -> None:
    # One client each for every example: making a boto3 client costs more than most of an example's calls.
    UploadHistory.application, UploadHistory.aws = application, aws
    UploadHistory.s3, UploadHistory.sqs = boto3.client("s3"), boto3.client("sqs")
    events.take_messages(aws)
    run_state_machine_as_test(UploadHistory, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    ))
