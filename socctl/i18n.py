"""Human-readable text in Vietnamese or English, from the message catalogue ``locale/messages.yaml``.

``t(key, lang, **values)`` gives the text of ``key`` in ``lang`` with its ``{name}`` placeholders
filled. The catalogue is data (key → {en, vi}) read on first use, so importing this module costs
nothing at start-up. Option names and JSON/CSV/NDJSON keys are an interface: never translated.
Table headers are the entries ``column.<field>``; ``column.<table>.<field>`` overrides one for a
table where the same field means something else (the level of an alert is not a security level).
``labels(group, values, lang)`` gives the labels of a vocabulary (the entries ``<group>.<value>``).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

#: The languages socctl speaks; every catalogue entry has a text in each.
LANGS = ("vi", "en")
CATALOGUE = Path(__file__).resolve().parent / "locale" / "messages.yaml"
_COLUMN = "column."


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every message: key → {language: text}, read once."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with CATALOGUE.open(encoding="utf-8") as handle:
        messages: dict[str, dict[str, str]] = yaml.load(handle, Loader=loader)
    return messages


def t(key: str, lang: str, /, **values: Any) -> str:
    """The text of ``key`` in ``lang``; ``values`` fill its ``{name}`` placeholders."""
    text = catalogue()[key][lang]
    return text.format(**values) if values else text


def labels(group: str, values: Iterable[str], lang: str) -> dict[str, str]:
    """The labels of a vocabulary in ``lang``: value → text of ``<group>.<value>``, in order."""
    return {str(value): t(f"{group}.{value}", lang) for value in values}


@cache
def headers(lang: str, table: str | None = None) -> dict[str, str]:
    """Table headers in ``lang``: field name → header, with ``table``'s own headers on top."""
    found: dict[str, str] = {}
    own: dict[str, str] = {}
    table_prefix = f"{_COLUMN}{table}."
    for key, texts in catalogue().items():
        if table and key.startswith(table_prefix):
            own[key.removeprefix(table_prefix)] = texts[lang]
        elif key.startswith(_COLUMN) and "." not in key.removeprefix(_COLUMN):
            found[key.removeprefix(_COLUMN)] = texts[lang]
    return found | own


def number(value: float, lang: str, digits: int = 0) -> str:
    """``1,234.5`` in English, ``1.234,5`` in Vietnamese."""
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".") if lang == "vi" else text
