"""A replay server: answers of Elasticsearch's REST API, written after its documentation (no
Elasticsearch server runs here), served over real HTTP.

A recording (``tests/recorded/elasticsearch/*.json``; its ``source`` names the API pages each
answer's shape comes from) lists exchanges, each ``method``, ``path``, ``status``, optional
``headers`` and ``body`` (JSON, or ``text`` for a non-JSON body). A request is answered with
the first exchange not yet served whose method and path (without the query string) are the
request's; ``"repeat": true`` serves an exchange to every such request. The recording's
``headers`` are added to every answer (Elasticsearch sends ``X-Elastic-Product`` on each).
``compatible_with`` lists the REST API versions the recorded server accepts in a
``compatible-with=N`` media type, as Elasticsearch 8 does (7 and 8): any other is answered 400
the way it answers. A request nothing matches is answered 404 and kept in ``unmatched``.
Every request is kept in ``received`` with its time (``time.monotonic()``) on arrival.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

from loopback_http import Answer, LoopbackServer, Request

RECORDED = Path(__file__).resolve().parent / "recorded" / "elasticsearch"
_COMPAT = re.compile(r"compatible-with=(\d+)")
_JSON = ("Content-Type", "application/json")


class ReplayServer(LoopbackServer):
    """The recording ``name`` (a file of :data:`RECORDED`) served on a free port of 127.0.0.1."""

    def __init__(self, name: str) -> None:
        recording = json.loads((RECORDED / f"{name}.json").read_text("utf-8"))
        self._headers: list[tuple[str, str]] = list(recording.get("headers", {}).items())
        self._versions: list[int] | None = recording.get("compatible_with")
        self._exchanges: list[dict[str, Any]] = recording["exchanges"]
        self._served: set[int] = set()
        self._lock = threading.Lock()
        self.received: list[Request] = []
        self.unmatched: list[Request] = []
        super().__init__(self._answer)

    def __enter__(self) -> ReplayServer:
        super().__enter__()
        return self

    def requests(self, method: str, path: str) -> list[Request]:
        """The requests received for ``method`` and ``path``, in order."""
        return [r for r in self.received if (r.method, r.path) == (method, path)]

    def recorded(self, method: str, path: str) -> list[Any]:
        """The recorded answer bodies for ``method`` and ``path``, in order."""
        return [
            e.get("body") for e in self._exchanges if (e["method"], e["path"]) == (method, path)
        ]

    def _answer(self, request: Request) -> Answer:
        with self._lock:
            self.received.append(request)
            refused = self._refuse_version(request)
            if refused is not None:
                return refused
            for at, exchange in enumerate(self._exchanges):
                key = (exchange["method"], exchange["path"])
                if key == (request.method, request.path) and (
                    exchange.get("repeat") or at not in self._served
                ):
                    self._served.add(at)
                    break
            else:
                self.unmatched.append(request)
                body = {"error": f"no recorded answer for {request.method} {request.path}"}
                return 404, [_JSON], json.dumps(body).encode()
        headers = [_JSON, *self._headers, *exchange.get("headers", {}).items()]
        if "text" in exchange:
            payload = exchange["text"].encode()
        elif "body" in exchange and request.method != "HEAD":
            payload = json.dumps(exchange["body"]).encode()
        else:
            payload = b""
        return int(exchange["status"]), headers, payload

    def _refuse_version(self, request: Request) -> Answer:
        """Elasticsearch 8's answer to a ``compatible-with`` version it does not serve."""
        if self._versions is None:
            return None
        for name in ("accept", "content-type"):
            value = request.headers.get(name, "")
            found = _COMPAT.search(value)
            if found and int(found.group(1)) not in self._versions:
                allowed = " or ".join(map(str, sorted(self._versions, reverse=True)))
                reason = "Invalid media-type value on headers [Accept, Content-Type]"
                header = name.title()
                cause = (
                    f"{header} version must be either version {allowed}, but found"
                    f" {found.group(1)}. {header}={value}"
                )
                error = {
                    "root_cause": [{"type": "media_type_header_exception", "reason": reason}],
                    "type": "media_type_header_exception",
                    "reason": reason,
                    "caused_by": {"type": "status_exception", "reason": cause},
                }
                body = json.dumps({"error": error, "status": 400}).encode()
                return 400, [_JSON, *self._headers], body
        return None
