"""Records an input could not read: reported to the caller, skipped, and the run goes on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from socctl.errors import SocctlError


@dataclass(frozen=True, slots=True)
class Malformed:
    """A record that was skipped (or, with ``skipped=False``, repaired) while reading a file.

    ``where`` says where in the file: ``byte 1234`` (line formats and CSV: offset of the line's
    first byte in the decompressed text), ``record 17`` (EVTX), ``item 3`` (JSON documents),
    ``line 5, column 2`` (XML). ``whole_file`` marks a file not read at all: its format is not
    recognised or contradicts its extension (a run that meets one exits 3).
    """

    path: str
    where: str
    reason: str
    skipped: bool = True
    whole_file: bool = False

    def __str__(self) -> str:
        return f"{self.path} ({self.where}): {self.reason}"


OnMalformed = Callable[[Malformed], None]


def rejected_file(path: str, error: SocctlError) -> Malformed:
    """The record of a file not read at all (format not recognised, or not the one its name says)."""
    reason = error.message + (f" ({error.hint})" if error.hint else "")
    return Malformed(path, "start of file", reason, whole_file=True)


class Reporter:
    """Sends malformed records of one file to the caller's callback; counts invalid UTF-8."""

    __slots__ = ("_callback", "_first_replaced", "path", "replaced")

    def __init__(self, path: str, callback: OnMalformed | None) -> None:
        self.path = path
        self._callback = callback
        self.replaced = 0
        self._first_replaced = ""

    def malformed(self, where: str, reason: str) -> None:
        if self._callback is not None:
            self._callback(Malformed(self.path, where, reason))

    def rejected(self, error: SocctlError) -> None:
        """The whole file is not read: ``error`` says why."""
        if self._callback is not None:
            self._callback(rejected_file(self.path, error))

    def invalid_utf8(self, where: str) -> None:
        """A record whose bytes were not UTF-8: it is read with U+FFFD replacements."""
        if not self.replaced:
            self._first_replaced = where
        self.replaced += 1

    def finish(self) -> None:
        """Report invalid UTF-8 once per file, with the count and the first place."""
        if self.replaced and self._callback is not None:
            self._callback(
                Malformed(
                    self.path,
                    self._first_replaced,
                    f"{self.replaced} record(s) were not valid UTF-8; read with U+FFFD "
                    "replacement characters",
                    skipped=False,
                )
            )
