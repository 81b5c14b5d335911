"""`make run`: the whole product on this machine.

moto's server plays AWS on MOTO_PORT, provisioned from infra/template.yaml; the Chalice app serves the
API and the portal on PORT; one pump per queue delivers messages to the same handlers Lambda runs.
Ctrl-C stops everything.
"""

from __future__ import annotations

import signal
import threading
from dataclasses import dataclass, field
from typing import Any

from infra.local import environment
from infra.local.provision import ProvisionedStack, provision
from infra.local.pump import QueuePump

#: Which queue (template output holding its URL) feeds which event handler of app.py.
QUEUE_HANDLERS: dict[str, str] = {"EventsQueueUrl": "handle_upload_events", "JobsQueueUrl": "handle_jobs"}


@dataclass
class LocalStack:
    moto_port: int
    api_port: int
    moto_server: Any = None
    http_thread: threading.Thread | None = None
    http_server: Any = None
    pumps: list[QueuePump] = field(default_factory=list)
    provisioned: ProvisionedStack | None = None

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
        environment.verify_mail_sender(session)

        import app as application
        from infra.local.gateway import make_server

        self.http_server = make_server(application.app, "127.0.0.1", self.api_port)
        self.http_thread = threading.Thread(target=self.http_server.server.serve_forever, name="api", daemon=True)
        self.http_thread.start()

        sqs = session.client("sqs")
        handlers = QUEUE_HANDLERS if queue_handlers is None else queue_handlers
        for output, handler_name in handlers.items():
            pump = QueuePump(sqs, self.provisioned.outputs[output], getattr(application, handler_name), handler_name)
            pump.start()
            self.pumps.append(pump)
        return self

    def stop(self) -> None:
        for pump in self.pumps:  # all at once: each may be finishing a batch
            pump.request_stop()
        for pump in self.pumps:
            pump.stop()
        if self.http_server is not None:
            self.http_server.server.shutdown()
            self.http_server.server.server_close()
        if self.moto_server is not None:
            self.moto_server.stop()

    def __enter__(self) -> LocalStack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    stack = LocalStack(environment.moto_port(), environment.api_port())
    stopped = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stack.start()
        from infra.local.demo import seed_demo

        demo = seed_demo(stack.api_url)
        print(f"moto (AWS):   http://127.0.0.1:{stack.moto_port}", flush=True)
        print(f"API:          {stack.api_url}   (OpenAPI: {stack.api_url}/openapi.json)", flush=True)
        for line in demo.describe():
            print(line, flush=True)
        print("Ctrl-C stops everything.", flush=True)
        # Wake up now and then: Python runs signal handlers only in the main thread, between bytecodes.
        while not stopped.wait(0.5):
            pass
    finally:
        print("stopping ...", flush=True)
        stack.stop()


if __name__ == "__main__":
    main()
