"""Bounded retries with backoff, the same for every request socctl sends a cluster.

Neither client library waits between retries of an answer it retries (elastic-transport waits
only after a connection failure, opensearch-py never), so socctl runs the retries itself: the
libraries are told to retry nothing, and :func:`with_retries` calls again after
:func:`backoff` seconds when a request timed out, failed to connect, or was answered with one of
:data:`RETRY_STATUS`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

#: Answers retried: too many requests, bad gateway, unavailable, gateway timeout.
RETRY_STATUS = (429, 502, 503, 504)
#: Base and cap (seconds) of the jittered exponential backoff between retries.
RETRY_BACKOFF = (0.5, 30.0)

T = TypeVar("T")


def least_backoff(retry: int) -> float:
    """The shortest wait before retry ``retry`` (1, 2, ...): half of
    ``min(cap, base * 2 ** (retry - 1))``."""
    base, cap = RETRY_BACKOFF
    return min(cap, base * 2 ** (retry - 1)) / 2


def backoff(retry: int) -> float:
    """Seconds before retry ``retry``: "equal jitter", :func:`least_backoff` plus up to as much
    again at random."""
    half = least_backoff(retry)
    return half + random.uniform(0, half)


def with_retries(
    call: Callable[[], T],
    retries: int,
    *,
    transient: Callable[[Exception], bool],
    refused: Callable[[T], bool] = lambda _: False,
) -> T:
    """``call()``, called again up to ``retries`` times, after a backoff, while it raises an
    exception ``transient`` accepts or returns an answer ``refused`` accepts; the last attempt's
    answer or exception is the caller's."""
    for retry in range(1, retries + 1):
        try:
            answer = call()
        except Exception as exc:
            if not transient(exc):
                raise
        else:
            if not refused(answer):
                return answer
        time.sleep(backoff(retry))
    return call()
