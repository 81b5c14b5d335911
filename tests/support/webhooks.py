"""Webhooks in-process: a real receiver on 127.0.0.1, the table's stream handed to `announce_changes` and the
deliveries queue to `deliver_webhooks`, as Lambda's event sources do."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3

from infra.local.pump import QueuePump
from infra.local.streams import StreamPump, streams_client


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records every POST; answers with the next of `statuses` (the last one repeats)."""

    url: str
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=lambda: [200])

    def events(self) -> list[Any]:
        return [r.json for r in self.requests]


@contextmanager
def receiver(statuses: list[int] | None = None) -> Iterator[Receiver]:
    state = Receiver(url="", statuses=list(statuses or [200]))
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                state.requests.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
                status = state.statuses.pop(0) if len(state.statuses) > 1 else state.statuses[0]
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/dossier?source=test"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


class Webhooks:
    """Drives the stream and the deliveries queue by hand. Made at the start of a test, it hands over only
    the changes committed after that."""

    def __init__(self, application: Any, aws: Any) -> None:
        session = boto3.session.Session()
        table = session.client("dynamodb").describe_table(TableName=aws.outputs["TableName"])["Table"]
        self.stream = StreamPump(streams_client(session), table["LatestStreamArn"], application.announce_changes,
                                 "announce_changes")
        self.sqs = session.client("sqs")
        self.queue_url = aws.outputs["WebhooksQueueUrl"]
        self.failed_receipts: list[str] = []

        def deliver(event: dict[str, Any], context: Any) -> Any:
            result = application.deliver_webhooks(event, context)
            failed = {item["itemIdentifier"] for item in result.get("batchItemFailures", [])}
            self.failed_receipts += [r["receiptHandle"] for r in event["Records"] if r["messageId"] in failed]
            return result

        self.deliveries = QueuePump(self.sqs, self.queue_url, deliver, "deliver_webhooks", batch_size=1)

    def run(self) -> int:
        """Announce the committed changes and attempt every due delivery once; the deliveries attempted."""
        self.stream.drain()
        attempted = 0
        for _ in range(100):
            received = self.deliveries.poll_once()
            if not received:
                return attempted
            attempted += received
        raise AssertionError("the deliveries queue did not drain")

    def time_passes(self) -> None:
        """The back-off of every failed delivery is over: they are due again."""
        for receipt in self.failed_receipts:
            self.sqs.change_message_visibility(QueueUrl=self.queue_url, ReceiptHandle=receipt, VisibilityTimeout=0)
        self.failed_receipts.clear()

    def visibility_of_failed(self) -> list[str]:
        return list(self.failed_receipts)
