"""Print HTML to PDF with headless Chromium (Debian's ``chromium``), the same HTML users open."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from socctl.errors import ServiceError
from socctl.storage import atomic_write

CHROMIUM_ENV = "SOCCTL_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
DEFAULT_TIMEOUT = 120.0

#: Headless, offline, throw-away profile: nothing is fetched, nothing persists.
BROWSER_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def find_chromium() -> Path:
    """``SOCCTL_CHROMIUM``, else the first of chromium, chromium-browser, google-chrome on PATH."""
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        found = shutil.which(configured)
        if found is None:
            raise ServiceError(
                f"{CHROMIUM_ENV}={configured} is not an executable",
                hint=f"point {CHROMIUM_ENV} to Chromium, or unset it to search PATH",
            )
        return Path(found)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    raise ServiceError(
        "Chromium is needed to print PDF and was not found on PATH",
        hint=f"apt-get install chromium, or set {CHROMIUM_ENV}",
    )


def html_to_pdf(html: str, *, timeout: float = DEFAULT_TIMEOUT) -> bytes:
    """Print ``html`` (a self-contained page) to PDF and return its bytes."""
    chromium = find_chromium()
    with tempfile.TemporaryDirectory(prefix="socctl-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        pdf = Path(tmp) / "report.pdf"
        command = [
            str(chromium),
            *BROWSER_FLAGS,
            "--no-pdf-header-footer",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--print-to-pdf={pdf}",
            page.as_uri(),
        ]
        stderr = _run(command, timeout)
        data = pdf.read_bytes() if pdf.is_file() else b""
    if not data.startswith(b"%PDF"):
        raise ServiceError(
            f"Chromium produced no PDF: {_last_error(stderr)}",
            hint=f"check that '{chromium} --headless' works on this machine",
        )
    return data


def write_pdf(html: str, target: Path, *, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Print ``html`` to ``target`` atomically; hold ``Workspace.lock()`` for a workspace file."""
    atomic_write(target, html_to_pdf(html, timeout=timeout))


def _run(command: list[str], timeout: float) -> str:
    """Run Chromium in its own process group (killed whole on timeout); return its stderr."""
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise ServiceError(
            f"cannot start Chromium: {exc.strerror}",
            path=command[0],
            hint="apt-get install chromium",
        ) from None
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the browser and its helper processes
        process.communicate()
        raise ServiceError(
            f"Chromium did not finish the PDF within {timeout:g} s",
            hint="retry, or print a smaller report",
        ) from None
    return stderr.decode("utf-8", "replace")


def _last_error(stderr: str) -> str:
    """The last line of Chromium's stderr that is not D-Bus noise of a headless machine."""
    lines = [line for line in stderr.splitlines() if line.strip() and "dbus" not in line.lower()]
    return lines[-1].strip() if lines else "no error message"
