"""Where the content socctl ships lives: beside the package in a checkout, inside it in a wheel."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

ContentKind = Literal["rules", "assessments", "playbooks", "reports", "samples"]

_PACKAGE = Path(__file__).resolve().parent


@cache
def content_dir(kind: ContentKind) -> Path:
    """Return the shipped ``rules/``, ``assessments/``, ``playbooks/``, ``reports/`` or ``samples/``."""
    bundled = _PACKAGE / "_content" / kind
    if bundled.is_dir():
        return bundled
    return _PACKAGE.parent / kind
