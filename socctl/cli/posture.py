"""``socctl posture``: the city's security posture at a glance."""

from __future__ import annotations

from socctl.errors import UsageError


def posture() -> None:
    """Systems by level and status, dossiers by state, overdue steps, 4-layer coverage."""
    raise UsageError("'socctl posture' is not available yet: its issue has not landed")
