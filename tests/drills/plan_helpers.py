"""A workspace of synthetic systems for the drill-planning tests, and the CLI driven on it."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from office import Result, ok, run
from typer.testing import CliRunner

from socctl.cli.main import app
from socctl.inventory.workdays import is_working_day

__all__ = ["Result", "holidays_in", "make_workspace", "ok", "plan", "run", "write_planning"]


def make_workspace(root: Path, systems: dict[str, dict[str, Any]]) -> Path:
    """A workspace at ``root`` holding ``systems`` (id → fields over an operating level-3 system)."""
    result = CliRunner().invoke(app, ["init", str(root)])
    assert result.exit_code == 0, result.output
    for system_id, fields in systems.items():
        data = {
            "id": system_id,
            "name": f"Hệ thống {system_id}",
            "owner": "Sở Khoa học và Công nghệ",
            "operator": "Trung tâm dữ liệu",
            "status": "operating",
            "classification": {"designated_level": 3},
            **fields,
        }
        (root / "systems" / f"{system_id}.yaml").write_text(
            yaml.safe_dump(data, allow_unicode=True), encoding="utf-8"
        )
    return root


def write_planning(ws: Path, config: dict[str, Any]) -> None:
    (ws / "drills").mkdir(exist_ok=True)
    (ws / "drills" / "planning.yaml").write_text(
        yaml.safe_dump(config, allow_unicode=True), encoding="utf-8"
    )


def plan(ws: Path, year: int = 2027, *args: str) -> dict[str, dict[str, Any]]:
    """Run ``drill plan`` and read back the written plan: system id → planned drill."""
    ok(ws, "drill", "plan", "--year", str(year), *args)
    data = yaml.safe_load((ws / "drills" / str(year) / "plan.yaml").read_text(encoding="utf-8"))
    return {d["system"]: d for d in data["drills"]}


def holidays_in(first: date, last: date) -> list[date]:
    """Weekdays between ``first`` and ``last`` that are not working days (public holidays, Tết)."""
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [d for d in days if d.weekday() < 5 and not is_working_day(d)]
