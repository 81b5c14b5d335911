"""moto's server, applying one request at a time.

moto's backends are not thread-safe (a DynamoDB transaction deep-copies the table while another request
writes to it and fails with "dictionary changed size during iteration"). AWS applies each request
atomically, so serialising requests keeps the local stack faithful while the API and the pump run
concurrently. Long polls would hold the lock, so the local pump polls without waiting server-side.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from infra.local import moto_patches


class _Serialized:
    def __init__(self, app: Any) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        with self._lock:
            # Consume the whole response inside the lock: werkzeug may produce it lazily.
            return list(self._app(environ, start_response))


class SerializedMotoServer(ThreadedMotoServer):
    def _server_entry(self) -> None:
        moto_patches.apply()
        app = _Serialized(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()
