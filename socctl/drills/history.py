"""When each system was last drilled: closed drills of the workspace and ``history`` of planning.yaml."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from socctl.drills.spec import drill_ids, load_spec
from socctl.timeutil import LOCAL_TZ
from socctl.workspace import Workspace


def closed_drills(ws: Workspace) -> dict[str, date]:
    """System id → local day its latest closed drill in ``drills/*/`` was closed."""
    last: dict[str, date] = {}
    for drill_id in drill_ids(ws):
        spec = load_spec(ws, drill_id)
        if spec.closed_at is None:
            continue
        day = spec.closed_at.astimezone(LOCAL_TZ).date()
        for target in spec.targets:
            last[target.system] = max(day, last.get(target.system, day))
    return last


def last_drills(ws: Workspace, earlier: Iterable[tuple[str, date]] = ()) -> dict[str, date]:
    """System id → day of its latest drill: closed drills, plus ``earlier`` (system, day) pairs
    such as the drills done before socctl listed in ``drills/planning.yaml``."""
    last = closed_drills(ws)
    for system, day in earlier:
        last[system] = max(day, last.get(system, day))
    return last
