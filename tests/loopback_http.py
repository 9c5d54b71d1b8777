"""An HTTP/1.1 server on a free port of 127.0.0.1 that answers each request with a function of it
(the replay server and the fault proxy of the cluster tests are two such functions)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    """One request as it arrived: ``target`` is the path with its query string, ``at`` the
    ``time.monotonic()`` of its arrival."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query, keep_blank_values=True)

    def json(self) -> Any:
        return json.loads(self.body)

    def ndjson(self) -> list[Any]:
        return [json.loads(line) for line in self.body.splitlines() if line.strip()]


#: Status, headers and body; or ``None``: the connection is closed without an answer.
Answer = tuple[int, list[tuple[str, str]], bytes] | None


class LoopbackServer:
    """Serves ``answer(request)`` to every request until the ``with`` block ends."""

    def __init__(self, answer: Callable[[Request], Answer]) -> None:
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(answer))
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()


def _handler(answer: Callable[[Request], Answer]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            at = time.monotonic()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            answered = answer(Request(self.command, self.path, headers, body, at))
            if answered is None:
                self.close_connection = True
                return
            status, sent, payload = answered
            self.send_response(status)
            for name, value in sent:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
