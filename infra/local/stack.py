"""`make run`: the whole product on this machine.

moto's server plays AWS on MOTO_PORT, provisioned from infra/template.yaml; the Chalice app serves the
API and the portal on PORT; one pump per queue delivers messages to the same handlers Lambda runs.
What moto holds is kept in the state folder (infra/local/statefile.py): restored at start, saved every
`LOCAL_SAVE_SECONDS` (30) while anything changed, and on Ctrl-C (infra/local/snapshot.py). `--fresh`
(`make run FRESH=1`) starts empty and drops what was kept. `LOCAL_PAUSE_PUMPS=1` starts with the pumps
stopped, so queued events can be looked at (or left queued across a restart). The scheduled `send_reminders`
runs every `LOCAL_REMINDERS_SECONDS` (3600, as its hourly rule on AWS; not while the pumps are paused).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.local import environment, statefile
from infra.local.provision import ProvisionedStack, provision
from infra.local.pump import PollingPump, QueuePump
from infra.local.scheduler import REMINDERS_SECONDS, ScheduledRun
from infra.local.snapshot import DynamoWrites, SnapshotError, SnapshotStore

#: Which queue (template output holding its URL) feeds which event handler of app.py.
QUEUE_HANDLERS: dict[str, str] = {"EventsQueueUrl": "handle_upload_events", "JobsQueueUrl": "handle_jobs",
                                   "WebhooksQueueUrl": "deliver_webhooks"}
SAVE_SECONDS = 30.0


class _Saver:
    """Saves moto's data when it changed: every `interval` seconds from a thread, and once more at stop."""

    def __init__(self, store: SnapshotStore, moto_server: Any, interval: float) -> None:
        self.store = store
        self.moto_server = moto_server
        self.interval = interval
        self.saved_generation: int | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="snapshot", daemon=True)

    def start(self, generation: int) -> None:
        self.saved_generation = generation
        self._thread.start()

    def save(self, force: bool = False) -> bool:
        with self._lock:
            with self.moto_server.exclusive() as generation:
                if generation == self.saved_generation and not force:
                    return False
                snapshot = self.store.capture()
            self.store.write(snapshot)  # outside moto's lock: requests go on while the files are written
            self.saved_generation = generation
            return True

    def _run(self) -> None:
        from chalicelib.observability import logger

        while not self._stop.wait(self.interval):
            try:
                self.save()
            except Exception:
                logger.exception("saving the local stack's data failed; the previous snapshot is kept")

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=60)


@dataclass
class LocalStack:
    moto_port: int
    api_port: int
    #: Where data is kept across restarts; None: nothing is restored or saved.
    state: Path | None = None
    fresh: bool = False
    save_seconds: float = SAVE_SECONDS
    reminders_seconds: float = REMINDERS_SECONDS
    moto_server: Any = None
    http_thread: threading.Thread | None = None
    http_server: Any = None
    pumps: list[PollingPump] = field(default_factory=list)
    provisioned: ProvisionedStack | None = None
    #: What the restored snapshot held (None: nothing was restored).
    restored: dict[str, int] | None = None
    saver: _Saver | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def start(self, queue_handlers: dict[str, str] | None = None) -> LocalStack:
        import logging

        from infra.local.moto_server import SerializedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        environment.apply(self.moto_port, self.api_port)
        self.moto_server = SerializedMotoServer(ip_address="127.0.0.1", port=self.moto_port, verbose=False)
        self.moto_server.start()

        import boto3

        session = boto3.session.Session(region_name=environment.REGION)
        self.provisioned = provision(session, stage=environment.STAGE, parameters={"PortalOrigin": "*"})
        if self.state is not None:
            self._restore()
        environment.verify_mail_sender(session)

        import app as application
        from infra.local import outbox
        from infra.local.gateway import make_server

        if "/_local/outbox" not in application.app.routes:
            application.app.register_blueprint(outbox.blueprint(self.moto_server.exclusive))
        self.http_server = make_server(application.app, "127.0.0.1", self.api_port)
        self.http_thread = threading.Thread(target=self.http_server.server.serve_forever, name="api", daemon=True)
        self.http_thread.start()

        sqs = session.client("sqs")
        handlers = QUEUE_HANDLERS if queue_handlers is None else queue_handlers
        for output, handler_name in handlers.items():
            pump = QueuePump(sqs, self.provisioned.outputs[output], getattr(application, handler_name), handler_name)
            pump.doorbell = self.moto_server.serialized.queue_doorbell
            pump.start()
            self.pumps.append(pump)
        if queue_handlers is None:
            # The table's stream feeds the webhooks (app.py's announce_changes), as Lambda's stream source does.
            from infra.local.streams import StreamPump, streams_client

            table = session.client("dynamodb").describe_table(TableName=self.provisioned.outputs["TableName"])
            stream_pump = StreamPump(streams_client(session), table["Table"]["LatestStreamArn"],
                                     application.announce_changes, "announce_changes")
            stream_pump.doorbell = self.moto_server.serialized.stream_doorbell
            stream_pump.start()
            self.pumps.append(stream_pump)
            # The hourly reminder run, as its EventBridge rule calls it on AWS.
            reminders = ScheduledRun(application.send_reminders, "send_reminders", self.reminders_seconds)
            reminders.start()
            self.pumps.append(reminders)
        return self

    def _restore(self) -> None:
        assert self.state is not None
        store = SnapshotStore(self.state)
        if self.fresh:
            store.discard()
        snapshot = store.read()
        if snapshot is not None:
            counts = ", ".join(f"{n} {what}" for what, n in snapshot.counts().items())
            print(f"restoring the last run's data from {self.state} ({counts}) ...", flush=True)
        with self.moto_server.exclusive() as generation:
            store.writes = self.moto_server.serialized.observer = DynamoWrites()
            if snapshot is not None:
                skipped = store.restore(snapshot)
                self.restored = snapshot.counts()
                for what in skipped:
                    print(f"not restored: {what}", file=sys.stderr, flush=True)
        self.saver = _Saver(store, self.moto_server, self.save_seconds)
        # Provisioning and restoring changed nothing worth saving again.
        self.saver.start(generation)

    def stop(self) -> None:
        for pump in self.pumps:  # all at once: each may be finishing a batch
            pump.request_stop()
        for pump in self.pumps:
            pump.stop()
        if self.http_server is not None:
            self.http_server.server.shutdown()
            self.http_server.server.server_close()
        if self.saver is not None:
            self.saver.stop()
            try:
                self.saver.save()  # after the pumps and the API: nothing is half applied
            except Exception as exc:  # the previous snapshot stays; moto must still stop
                print(f"error: saving the data failed ({exc}); the last saved state is kept", file=sys.stderr)
        if self.moto_server is not None:
            self.moto_server.stop()

    def __enter__(self) -> LocalStack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _paste_lines(stack: LocalStack, demo: Any, login_url: str, state: Path) -> list[str]:
    kept = ("restored from the last run: " + ", ".join(f"{n} {what}" for what, n in stack.restored.items())
            + "; `make run FRESH=1` starts empty" if stack.restored is not None else "started empty")
    lines = [
        f"moto (AWS):  http://127.0.0.1:{stack.moto_port}",
        f"API:         {stack.api_url}   (OpenAPI: {stack.api_url}/openapi.json)",
        f"outbox:      {stack.api_url}/_local/outbox   (every mail the stack sent)",
        f"data:        {state}  ({kept})",
        "",
        "Paste into your shell:",
        f"export DOSSIER_API={stack.api_url}",
        f"export DOSSIER_TOKEN={demo.admin_token}",
        "",
        f"console:     {login_url}",
        "             (signs the demo admin in once, within 15 minutes; `make login` prints a new one)",
    ]
    if demo.portal_url:
        lines.append(f"portal:      {demo.portal_url}")
        lines.append(f"             (what the demo customer, {demo.customer_id}, sees)")
    lines.append('try:         curl -H "Authorization: Bearer $DOSSIER_TOKEN" "$DOSSIER_API/account"')
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local.stack", description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="start empty, dropping the data kept so far")
    arguments = parser.parse_args(argv)
    state = statefile.state_dir()
    running = statefile.read(state)
    if running is not None:
        print(f"error: a local stack already runs from {state} (process {running.pid}, {running.api_url});"
              " stop it first (Ctrl-C in its terminal)", file=sys.stderr)
        return 2
    stack = LocalStack(environment.moto_port(), environment.api_port(), state=state, fresh=arguments.fresh,
                       save_seconds=float(os.environ.get("LOCAL_SAVE_SECONDS") or SAVE_SECONDS),
                       reminders_seconds=float(os.environ.get("LOCAL_REMINDERS_SECONDS") or REMINDERS_SECONDS))
    stopped = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        try:
            stack.start(queue_handlers={} if os.environ.get("LOCAL_PAUSE_PUMPS") == "1" else None)
        except SnapshotError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        from chalicelib.locallogin.service import console_login_url, issue_login_code
        from infra.local.demo import seed_demo

        demo = seed_demo(state)
        login_url = console_login_url(issue_login_code(demo.account_id))
        statefile.write(statefile.StackInfo(pid=os.getpid(), moto_port=stack.moto_port, api_port=stack.api_port,
                                            api_url=stack.api_url, moto_url=f"http://127.0.0.1:{stack.moto_port}"),
                        state)
        for line in _paste_lines(stack, demo, login_url, state):
            print(line, flush=True)
        print("Ctrl-C stops everything (and saves the data).", flush=True)
        # Wake up now and then: Python runs signal handlers only in the main thread, between bytecodes.
        while not stopped.wait(0.5):
            pass
    finally:
        print("stopping (saving the data) ...", flush=True)
        statefile.remove(os.getpid(), state)
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
