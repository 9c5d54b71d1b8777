"""Headless Chromium for tests: a page's DOM and visible text, screenshots, facts about PDFs.

Use with the ``chromium`` fixture of ``tests/conftest.py``::

    dom = dump_dom(chromium, page)
    assert "Cấp độ 3" in visible_text(dom)
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

from socctl.reports.pdf import BROWSER_FLAGS

#: Offline, throw-away browser: the same switches socctl prints PDFs with.
FLAGS = (*BROWSER_FLAGS, "--hide-scrollbars")
TIMEOUT = 120
#: A4 at 150 dpi.
A4_WINDOW = (1240, 1754)


def run_chromium(chromium: Path, page: Path, *switches: str, profile: Path) -> str:
    """Run headless Chromium on ``page`` and return its standard output."""
    result = subprocess.run(
        [str(chromium), *FLAGS, f"--user-data-dir={profile}", *switches, page.resolve().as_uri()],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=True,
    )
    return result.stdout


def dump_dom(chromium: Path, page: Path) -> str:
    """The DOM after the browser loaded ``page`` (scripts, if any, would have run)."""
    return run_chromium(chromium, page, "--dump-dom", profile=page.parent / ".dom-profile")


def screenshot(
    chromium: Path, page: Path, png: Path, size: tuple[int, int] = A4_WINDOW
) -> tuple[int, int]:
    """Save a screenshot of ``page`` at window ``size`` to ``png``; return the PNG's size."""
    run_chromium(
        chromium,
        page,
        f"--screenshot={png}",
        f"--window-size={size[0]},{size[1]}",
        profile=page.parent / ".shot-profile",
    )
    return png_size(png)


def png_size(png: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    data = png.read_bytes()[:24]
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{png} is not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


class _PageText(HTMLParser):
    """Text a reader sees: no head, styles, scripts or (tooltip) titles."""

    HIDDEN = frozenset({"head", "style", "script", "title", "template", "noscript"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hidden_depth = 0
        self.chunks: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in self.HIDDEN:
            self.hidden_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self.hidden_depth:
            self.hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden_depth:
            self.chunks.append(data)


def parse(dom: str) -> _PageText:
    parser = _PageText()
    parser.feed(dom)
    parser.close()
    return parser


def visible_text(dom: str) -> str:
    """The page's visible text; text nodes apart and runs of white space made one space."""
    return re.sub(r"\s+", " ", " ".join(parse(dom).chunks)).strip()


def elements(dom: str, tag: str) -> list[dict[str, str | None]]:
    """The attributes of every ``tag`` element in the DOM."""
    return [attrs for name, attrs in parse(dom).tags if name == tag]


def pdf_page_count(data: bytes) -> int:
    """Pages of a PDF: page objects, as Chromium writes them uncompressed."""
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", data))


def pdf_text(pdf: Path) -> str | None:
    """The PDF's text by poppler's ``pdftotext`` (None when poppler-utils is not installed)."""
    tool = shutil.which("pdftotext")
    if tool is None:
        return None
    result = subprocess.run(
        [tool, "-enc", "UTF-8", str(pdf), "-"], capture_output=True, timeout=TIMEOUT, check=True
    )
    return re.sub(r"\s+", " ", result.stdout.decode("utf-8"))
