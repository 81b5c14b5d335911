"""moto's server, applying one request at a time.

moto's backends are not thread-safe (a DynamoDB transaction deep-copies the table while another request
writes to it and fails with "dictionary changed size during iteration"). AWS applies each request
atomically, so serialising requests keeps the local stack faithful while the API and the pump run
concurrently. Long polls would hold the lock, so the local pump polls without waiting server-side.

The same lock lets the stack read moto's data between requests (a consistent snapshot, the outbox), and
the server counts the requests that may have changed data, so an idle stack is not saved again and again.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from infra.local import moto_patches
from infra.local.pump import Doorbell

#: Operations (the `X-Amz-Target` header's action) that change no data. A receive changes only in-flight
#: state, which a restored stack resets anyway (infra/local/snapshot.py); reading the table's stream changes
#: nothing at all.
_READ_ONLY_ACTIONS = frozenset({
    "GetItem", "BatchGetItem", "Query", "Scan", "DescribeTable", "ListTables", "DescribeTimeToLive",
    "ReceiveMessage", "GetQueueAttributes", "GetQueueUrl", "ListQueues", "ListDeadLetterSourceQueues",
    "DescribeStream", "GetShardIterator", "GetRecords", "ListStreams",
})


#: sha256 of the moto 5.2.5 sources `_list_moto_modules_once` relies on (pinned in tests/infra/test_moto_pins.py).
PINNED_SOURCES = {
    "moto.backends.list_of_moto_modules": "f7f966c4452733db4b0bad9abe57589cc402d78bb50fee0a7373b6e4a6d4b575",
    "moto.moto_server.werkzeug_app.DomainDispatcherApplication.get_backend_for_host":
        "686676e229858e5dd731b012a77cc50041f7261b76ac7ef06e36248dba63f063",
}


def _list_moto_modules_once() -> None:
    """moto's server asks `list_of_moto_modules()` for every request's host: a listing of moto's package folder and
    a `stat` of each of its ~150 entries (0.7 ms a request). The folder does not change while the server runs."""
    from moto import backends

    if getattr(backends.list_of_moto_modules, "_dossier_listed_once", False):
        return
    listed = tuple(backends.list_of_moto_modules())

    def list_of_moto_modules() -> tuple[str, ...]:
        return listed

    list_of_moto_modules._dossier_listed_once = True  # type: ignore[attr-defined]
    backends.list_of_moto_modules = list_of_moto_modules  # type: ignore[assignment]


def changes_data(environ: dict[str, Any]) -> bool:
    """Whether a request may change moto's data (reads of JSON protocols and REST GET/HEAD do not)."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1] not in _READ_ONLY_ACTIONS
    return environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD", "OPTIONS")


#: SQS actions that make no message receivable: a pump's own deletes wake no pump.
_NO_MESSAGE_ACTIONS = frozenset({"DeleteMessage", "DeleteMessageBatch", "PurgeQueue", "DeleteQueue", "TagQueue",
                                 "UntagQueue"})


def wakes_stream(environ: dict[str, Any]) -> bool:
    """Whether a data-changing request may add records to the table's stream (a DynamoDB write)."""
    return str(environ.get("HTTP_X_AMZ_TARGET") or "").startswith("DynamoDB_")


def wakes_queues(environ: dict[str, Any]) -> bool:
    """Whether a data-changing request may make a message receivable: an SQS send or visibility change, or any
    request without a JSON target (an S3 write, whose event notification moto queues while applying it)."""
    target = str(environ.get("HTTP_X_AMZ_TARGET") or "")
    if target.startswith("AmazonSQS."):
        return target.rsplit(".", 1)[-1] not in _NO_MESSAGE_ACTIONS
    return not target


class _Serialized:
    def __init__(self, app: Any) -> None:
        self._app = app
        self.lock = threading.Lock()
        #: Bumped by every request that may have changed data.
        self.generation = 0
        #: Shown every such request before it is applied (infra/local/snapshot.py's DynamoWrites).
        self.observer: Any = None
        #: Rung once such a request is applied, by what it may have changed: the pumps wait for their doorbell
        #: instead of polling idle queues (the queue pumps for messages, the stream pump for table writes).
        self.queue_doorbell = Doorbell()
        self.stream_doorbell = Doorbell()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        changed = changes_data(environ)
        with self.lock:
            if changed:
                self.generation += 1
                if self.observer is not None:
                    self.observer.observe(environ)
            # Consume the whole response inside the lock: werkzeug may produce it lazily.
            response = list(self._app(environ, start_response))
        if changed and wakes_queues(environ):
            self.queue_doorbell.ring()
        if changed and wakes_stream(environ):
            self.stream_doorbell.ring()
        return response


class SerializedMotoServer(ThreadedMotoServer):
    serialized: _Serialized | None = None

    def _server_entry(self) -> None:
        from infra.local import outbox

        moto_patches.apply()
        _list_moto_modules_once()
        outbox.record_send_times()
        self.serialized = _Serialized(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self._ip_address, self._port, self.serialized, True,
                                   request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[int]:
        """Hold off every request while the caller reads or writes moto's backends; yields the data generation."""
        assert self.serialized is not None, "the server is not started"
        with self.serialized.lock:
            yield self.serialized.generation
