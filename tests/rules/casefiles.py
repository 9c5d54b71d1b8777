"""The test cases of the shipped rules: ``cases/<rule-file-stem>.yaml``, one per rule file.

A case file names the log file its events are written to (``file``; the format is detected from
the content, or forced with ``input_format``) and lists ``fire`` and ``quiet`` events: text lines
written as they are, or JSON objects written one per line after being deep-merged over ``base``.
For a detection rule every ``fire`` event must raise one alert and no ``quiet`` event any; for a
correlation rule the ``fire`` events together must complete at least one window and the
``quiet`` events none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
RULES_DIR = REPO / "rules"
CASES_DIR = Path(__file__).resolve().parent / "cases"


@dataclass(frozen=True)
class Case:
    stem: str
    file: str
    fire: list[Any]
    quiet: list[Any]
    input_format: str | None = None
    base: dict[str, Any] = field(default_factory=dict)

    def write(self, events: list[Any], folder: Path) -> Path:
        """Write ``events`` into ``folder/<file>`` in the case's log format."""
        folder.mkdir(parents=True, exist_ok=True)
        lines = [
            json.dumps(_merged(self.base, event), ensure_ascii=False)
            if isinstance(event, dict)
            else event
            for event in events
        ]
        path = folder / self.file
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path


@dataclass(frozen=True)
class RuleFile:
    """A shipped rule file and the rules in it the case is about."""

    path: Path
    ids: tuple[str, ...]
    correlation: bool
    all_ids: tuple[str, ...]

    @property
    def stem(self) -> str:
        return self.path.stem


def shipped_rule_files() -> list[RuleFile]:
    """Every rule file under ``rules/`` except the pipelines, sorted."""
    found = []
    for path in sorted(RULES_DIR.rglob("*.yml")):
        if path.relative_to(RULES_DIR).parts[0] == "pipelines":
            continue
        docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
        correlations = [d for d in docs if "correlation" in d]
        targets = correlations or docs
        found.append(
            RuleFile(
                path,
                ids=tuple(str(d["id"]) for d in targets),
                correlation=bool(correlations),
                all_ids=tuple(str(d["id"]) for d in docs),
            )
        )
    return found


def load_case(stem: str) -> Case:
    data = yaml.safe_load((CASES_DIR / f"{stem}.yaml").read_text(encoding="utf-8"))
    return Case(stem=stem, **data)


def _merged(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, value in override.items():
            out[key] = _merged(base.get(key), value)
        return out
    return override
