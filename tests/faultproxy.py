"""A fault-injecting HTTP proxy in front of a real cluster node, on a free port of 127.0.0.1.

Requests are forwarded to the node unchanged, except those matching a :class:`Fault`: the
first ``times`` requests of its method and path (``None``: every one) are answered by the proxy
with ``status`` and ``body`` (nothing forwarded), or, with ``hang``, held that many seconds
without an answer and their connection closed (nothing forwarded: a node that stopped
answering). Every request is kept in ``log`` as (method, path, time on arrival, faulted).
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from loopback_http import Answer, LoopbackServer, Request

#: OpenSearch's answer when a thread pool's queue is full.
REJECTED = (
    b'{"error":{"root_cause":[{"type":"rejected_execution_exception","reason":"rejected'
    b' execution of coordinating operation"}],"type":"rejected_execution_exception","reason":'
    b'"rejected execution of coordinating operation"},"status":429}'
)
#: What a load balancer in front of a node says when the node is gone.
UNAVAILABLE = b"<html><body><h1>503 Service Unavailable</h1></body></html>"
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass
class Fault:
    """Requests of ``method`` whose path matches ``path`` (a regular expression) fail."""

    path: str
    status: int = 503
    times: int | None = 1
    method: str | None = None
    hang: float | None = None
    hit: int = 0

    def matches(self, method: str, path: str) -> bool:
        wanted = self.method is None or self.method == method
        return wanted and re.fullmatch(self.path, path) is not None

    def answer(self) -> Answer:
        if self.hang is not None:
            time.sleep(self.hang)
            return None
        if self.status == 429:
            return 429, [("Content-Type", "application/json")], REJECTED
        return self.status, [("Content-Type", "text/html")], UNAVAILABLE


class FaultProxy(LoopbackServer):
    """A proxy to ``upstream`` (``http://host:port``) injecting ``faults`` in their order."""

    def __init__(self, upstream: str, faults: list[Fault]) -> None:
        self.upstream, self.faults = upstream, faults
        #: Every request: (method, path, time on arrival, faulted).
        self.log: list[tuple[str, str, float, bool]] = []
        self._lock = threading.Lock()
        super().__init__(self._answer)

    def __enter__(self) -> FaultProxy:
        super().__enter__()
        return self

    def times(self, method: str, path: str) -> list[float]:
        """Arrival times of the requests of ``method`` whose path matches ``path``."""
        return [at for m, p, at, _ in self.log if m == method and re.fullmatch(path, p)]

    def _answer(self, request: Request) -> Answer:
        with self._lock:
            fault = next(
                (
                    f
                    for f in self.faults
                    if f.matches(request.method, request.path)
                    and (f.times is None or f.hit < f.times)
                ),
                None,
            )
            if fault is not None:
                fault.hit += 1
            self.log.append((request.method, request.path, request.at, fault is not None))
        return fault.answer() if fault is not None else self._forward(request)

    def _forward(self, request: Request) -> Answer:
        parts = urlsplit(self.upstream)
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
        sent = {k: v for k, v in request.headers.items() if k not in _HOP}
        try:
            connection.request(request.method, request.target, request.body or None, sent)
            answer = connection.getresponse()
            payload = answer.read()
            kept = [(k, v) for k, v in answer.getheaders() if k.lower() not in _HOP]
            return answer.status, kept, payload
        finally:
            connection.close()
