"""Errors the core raises; the CLI turns each into one line on stderr and an exit code.

Exit codes: 0 ok, 1 findings (only with ``--fail-on``), 2 usage, 3 bad input or data, 4 service
unreachable.
"""

from __future__ import annotations

from pathlib import Path


class SocctlError(Exception):
    """Base error: a message a user can act on, with where it happened and how to fix it."""

    exit_code = 3

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.hint = hint

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = self.path + (f":{self.line}" if self.line else "") + ": "
        fix = f" ({self.hint})" if self.hint else ""
        return f"{where}{self.message}{fix}"


class UsageError(SocctlError):
    """The command was called wrongly (exit 2)."""

    exit_code = 2


class InputError(SocctlError):
    """A file, record or value is invalid (exit 3)."""

    exit_code = 3


class NotFoundError(InputError):
    """Something named by the user does not exist (exit 3)."""


class ServiceError(SocctlError):
    """A service (Elasticsearch, Chromium) could not be reached or failed (exit 4)."""

    exit_code = 4


class LockTimeout(SocctlError):
    """Another socctl process holds the workspace lock for too long (exit 3)."""
