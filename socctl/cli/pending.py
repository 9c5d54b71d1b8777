"""Command groups whose issue has not landed yet say so plainly."""

from __future__ import annotations

from collections.abc import Callable

from socctl.errors import UsageError


def pending(group: str) -> Callable[[], None]:
    """A group callback that stops with a clear message."""

    def callback() -> None:
        raise UsageError(f"'socctl {group}' is not available yet: its issue has not landed")

    return callback
