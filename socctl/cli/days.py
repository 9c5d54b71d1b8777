"""Day options shared by the commands that evaluate deadlines (``--as-of``, ``--on``)."""

from __future__ import annotations

from datetime import date, datetime

import typer

from socctl.errors import UsageError
from socctl.timeutil import LOCAL_TZ, parse_time

AS_OF_OPTION = typer.Option(
    None, "--as-of", help="Evaluate deadlines on this day (YYYY-MM-DD; default: today)."
)


def today() -> date:
    """Today in Viet Nam (UTC+7)."""
    return datetime.now(LOCAL_TZ).date()


def parse_day(text: str | None, option: str) -> date:
    """A ``YYYY-MM-DD`` option value (today when absent)."""
    if text is None:
        return today()
    try:
        return parse_time(text).date()
    except UsageError as exc:
        raise UsageError(f"{option}: {exc.message}", hint=exc.hint) from None
