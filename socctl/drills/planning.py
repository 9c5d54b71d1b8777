"""The year's live-fire drill schedule: every in-scope system gets one drill (CP-SAT).

In scope: operating systems whose computed level is 3 or more (Directive 18/CT-TTg), plus systems
named with ``--include`` or in ``drills/planning.yaml``. Time runs on the working days of the year
(``socctl.inventory.workdays``, the calendar of the dossier deadlines). A drill takes
``drill_days`` consecutive working days; its span (weekends included) may hold no public holiday
or Tết day, no freeze window of its system and no unavailable day of its defending agency (the
system's owner). At most ``max_parallel`` drills run on any day and the red team works on at most
``red_team.drills_per_week`` drills in any calendar week (Monday to Sunday). The objective is the
sum of start days weighted by priority: systems longest without a drill (never drilled first) start
earliest. One worker, a fixed seed and a deterministic time budget make the same input give the
same plan. When no plan exists, :func:`plan_year` names the systems and the binding limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, model_validator

from socctl.drills.history import last_drills
from socctl.errors import InputError, NotFoundError
from socctl.inventory.store import SystemStore
from socctl.inventory.system import Slug, Status, System
from socctl.inventory.workdays import is_working_day
from socctl.storage import atomic_write
from socctl.storage.yamlio import dump_yaml, load_model
from socctl.workspace import Workspace

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

PLANNING_NAME = "planning.yaml"
PLAN_NAME = "plan.yaml"
MIN_LEVEL = 3


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DayRange(_Model):
    """Days from ``start`` to ``end``, both included."""

    start: date
    end: date
    reason: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> DayRange:
        if self.end < self.start:
            raise ValueError("end is before start")
        return self

    def overlaps(self, first: date, last: date) -> bool:
        return self.start <= last and first <= self.end


class RedTeam(_Model):
    #: Drills the red team can work on in any one calendar week (Monday to Sunday).
    drills_per_week: int = Field(2, ge=1, le=100)


class AgencyRules(_Model):
    #: Days the defending agency cannot take part in a drill.
    unavailable: list[DayRange] = []


class SystemRules(_Model):
    #: Change freezes: no drill may touch these days.
    freeze: list[DayRange] = []
    #: This system's drill length in working days (default: the top-level ``drill_days``).
    drill_days: int | None = Field(None, ge=5, le=12)


class PastDrill(_Model):
    """A drill done before socctl: its system and its last day."""

    system: Slug
    date: date
    note: str | None = None


class SolverLimits(_Model):
    #: CP-SAT's deterministic time budget (work units, about seconds; the same on every machine).
    deterministic_time: float = Field(10.0, gt=0, le=3600)
    #: Wall-clock guard in seconds.
    time_limit_seconds: float = Field(120.0, gt=0, le=7200)


class PlanningConfig(_Model):
    """``drills/planning.yaml``; every field has a default."""

    drill_days: int = Field(10, ge=5, le=12)
    max_parallel: int = Field(2, ge=1, le=100)
    red_team: RedTeam = RedTeam()
    include: list[Slug] = []
    agencies: dict[str, AgencyRules] = {}
    systems: dict[Slug, SystemRules] = {}
    history: list[PastDrill] = []
    solver: SolverLimits = SolverLimits()


class PlannedDrill(_Model):
    system: str
    name: str
    level: int | None
    agency: str
    start: date
    end: date
    working_days: int
    last_drill: date | None
    priority: int


class Plan(_Model):
    """``drills/<year>/plan.yaml``: the proposed schedule."""

    year: int
    solver_status: str
    drill_days: int
    max_parallel: int
    red_team_drills_per_week: int
    drills: list[PlannedDrill]


def planning_path(ws: Workspace) -> Path:
    return ws.drills_dir / PLANNING_NAME


def plan_path(ws: Workspace, year: int) -> Path:
    return ws.drills_dir / str(year) / PLAN_NAME


def load_config(ws: Workspace) -> PlanningConfig:
    """``drills/planning.yaml``, or the defaults when the file is absent."""
    path = planning_path(ws)
    return load_model(path, PlanningConfig) if path.is_file() else PlanningConfig()


@dataclass(frozen=True)
class InScope:
    """A system that needs a drill, with what planning knows of it."""

    system: System
    level: int | None
    last_drill: date | None


def in_scope(ws: Workspace, config: PlanningConfig, include: Sequence[str] = ()) -> list[InScope]:
    """Operating systems of level ≥ 3 plus the named ones, with their last drill, sorted by id."""
    store = SystemStore(ws)
    named = dict.fromkeys([*config.include, *include])
    last = last_drills(ws, ((p.system, p.date) for p in config.history))
    chosen = []
    for system in store.list():
        level = store.level_or_none(system) if system.status is not Status.retired else None
        operating = system.status is Status.operating and (level or 0) >= MIN_LEVEL
        if operating or system.id in named:
            if system.status is Status.retired:
                raise InputError(
                    f"system '{system.id}' is retired and cannot be drilled",
                    path=planning_path(ws),
                    hint=f"remove {system.id} from include (or from --include)",
                )
            chosen.append(InScope(system, level, last.get(system.id)))
    unknown = sorted(set(named) - {c.system.id for c in chosen})
    if unknown:
        raise NotFoundError(
            f"no system '{unknown[0]}' in this workspace (named in include or --include)",
            path=planning_path(ws),
            hint="see 'socctl system list'",
        )
    for system_id in config.systems:
        store.path_for(system_id)  # refuses a key that is not a system id
    return chosen


def _priorities(scope: Sequence[InScope]) -> dict[str, int]:
    """Weight of each system's start day: highest for the one longest without a drill."""
    ordered = sorted(scope, key=lambda c: (c.last_drill or date.min, c.system.id))
    return {c.system.id: len(ordered) - rank for rank, c in enumerate(ordered)}


@dataclass
class _Task:
    scope: InScope
    days: int
    starts: list[int]
    priority: int


class _Calendar:
    """The working days of a year, their weeks, and which drill spans stay clear of holidays."""

    def __init__(self, year: int) -> None:
        first = date(year, 1, 1)
        every = [first + timedelta(days=n) for n in range((date(year, 12, 31) - first).days + 1)]
        self.days = [day for day in every if is_working_day(day)]
        monday = first - timedelta(days=first.weekday())
        self.week = [(day - monday).days // 7 for day in self.days]
        self.weeks = self.week[-1] + 1 if self.week else 1

    def spans(self, length: int) -> list[int]:
        """Start indexes whose ``length`` working days hold no holiday between them."""
        out = []
        for i in range(len(self.days) - length + 1):
            first, last = self.days[i], self.days[i + length - 1]
            gap = (last - first).days + 1
            weekend = sum((first + timedelta(days=n)).weekday() >= 5 for n in range(gap))
            if gap - weekend <= length:  # every weekday of the span is a working day
                out.append(i)
        return out


def _blocks(
    ranges: Sequence[DayRange], cal: _Calendar, length: int, starts: list[int]
) -> list[int]:
    return [
        i
        for i in starts
        if not any(r.overlaps(cal.days[i], cal.days[i + length - 1]) for r in ranges)
    ]


def _tasks(
    scope: Sequence[InScope], config: PlanningConfig, cal: _Calendar, source: Path
) -> list[_Task]:
    """Each system's allowed start days; a system with none stops planning with the reason."""
    priority = _priorities(scope)
    tasks, stuck = [], []
    for item in scope:
        rules = config.systems.get(item.system.id, SystemRules())
        length = rules.drill_days or config.drill_days
        clear = cal.spans(length)
        unfrozen = _blocks(rules.freeze, cal, length, clear)
        agency = config.agencies.get(item.system.owner, AgencyRules())
        starts = _blocks(agency.unavailable, cal, length, unfrozen)
        if not starts:
            if not clear:
                why = f"the year has no {length} working days in a row free of holidays"
            elif not unfrozen:
                why = f"its freeze windows (systems.{item.system.id}.freeze) leave no {length} working days free"
            else:
                why = f"its agency '{item.system.owner}' is unavailable (agencies.…unavailable) on every free {length}-day span"
            stuck.append(f"{item.system.id}: {why}")
        tasks.append(_Task(item, length, starts, priority[item.system.id]))
    if stuck:
        raise InputError(
            f"no drill possible for {len(stuck)} system(s): " + "; ".join(stuck),
            path=source,
            hint="shorten or move those freeze/unavailable windows, or lower drill_days",
        )
    return tasks


@dataclass
class _Solved:
    status: str
    starts: dict[str, int]


def _solve(
    tasks: Sequence[_Task],
    cal: _Calendar,
    config: PlanningConfig,
    *,
    parallel: bool = True,
    weekly: bool = True,
    optional: bool = False,
) -> _Solved:
    """Solve the schedule; ``optional`` lets drills drop out and maximises the ones kept."""
    from ortools.sat.python import cp_model  # slow to import: only when planning

    model = cp_model.CpModel()
    day_intervals, week_intervals, starts, present = [], [], {}, {}
    week_last_tables: dict[int, list[int]] = {}
    for task in tasks:
        sid = task.scope.system.id
        start = model.new_int_var_from_domain(
            cp_model.Domain.from_values(task.starts), f"start_{sid}"
        )
        keep = model.new_bool_var(f"keep_{sid}") if optional else model.new_constant(1)
        starts[sid], present[sid] = start, keep
        day_intervals.append(
            model.new_optional_fixed_size_interval_var(start, task.days, keep, f"drill_{sid}")
        )
        if weekly:
            last_week = week_last_tables.setdefault(
                task.days,
                [cal.week[min(i + task.days - 1, len(cal.week) - 1)] for i in range(len(cal.week))],
            )
            first_w = model.new_int_var(0, cal.weeks - 1, f"week_{sid}")
            last_w = model.new_int_var(0, cal.weeks - 1, f"last_week_{sid}")
            model.add_element(start, cal.week, first_w)
            model.add_element(start, last_week, last_w)
            size = model.new_int_var(1, cal.weeks, f"weeks_{sid}")
            model.add(size == last_w - first_w + 1)
            end_w = model.new_int_var(1, cal.weeks, f"end_week_{sid}")
            week_intervals.append(
                model.new_optional_interval_var(first_w, size, end_w, keep, f"weeks_{sid}")
            )
    if parallel:
        model.add_cumulative(day_intervals, [1] * len(day_intervals), config.max_parallel)
    if weekly:
        model.add_cumulative(
            week_intervals, [1] * len(week_intervals), config.red_team.drills_per_week
        )
    if optional:
        model.maximize(sum(task.priority * present[task.scope.system.id] for task in tasks))
    else:
        model.minimize(sum(task.priority * starts[task.scope.system.id] for task in tasks))
        _hint_greedy(model, tasks, starts, cal, config)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = config.solver.deterministic_time
    solver.parameters.max_time_in_seconds = config.solver.time_limit_seconds
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        name = "infeasible" if status == cp_model.INFEASIBLE else "unknown"
        return _Solved(name, {})
    kept = {sid: solver.value(var) for sid, var in starts.items() if solver.value(present[sid])}
    return _Solved("optimal" if status == cp_model.OPTIMAL else "feasible", kept)


def _hint_greedy(
    model: cp_model.CpModel,
    tasks: Sequence[_Task],
    starts: dict[str, cp_model.IntVar],
    cal: _Calendar,
    config: PlanningConfig,
) -> None:
    """Hint the solver with a first-fit schedule in priority order (when one fits)."""
    per_day = [0] * len(cal.days)
    per_week = [0] * cal.weeks
    for task in sorted(tasks, key=lambda t: -t.priority):
        for i in task.starts:
            span = range(i, i + task.days)
            weeks = range(cal.week[i], cal.week[i + task.days - 1] + 1)
            if all(per_day[d] < config.max_parallel for d in span) and all(
                per_week[w] < config.red_team.drills_per_week for w in weeks
            ):
                for d in span:
                    per_day[d] += 1
                for w in weeks:
                    per_week[w] += 1
                model.add_hint(starts[task.scope.system.id], i)
                break


def _check_counts(
    tasks: Sequence[_Task], cal: _Calendar, config: PlanningConfig, source: Path
) -> None:
    """Refuse at once a plan that needs more drill-days or drill-weeks than the limits give."""
    limits = [
        (
            "max_parallel",
            config.max_parallel,
            config.max_parallel * len(cal.days),
            {t.scope.system.id: t.days for t in tasks},
        ),
        (
            "red_team.drills_per_week",
            config.red_team.drills_per_week,
            config.red_team.drills_per_week * cal.weeks,
            {t.scope.system.id: -(-t.days // 5) for t in tasks},  # a drill touches ≥ ⌈days/5⌉ weeks
        ),
    ]
    for name, value, room, need in limits:
        if sum(need.values()) <= room:
            continue
        ordered = sorted(tasks, key=lambda t: -t.priority)
        used, fit = 0, 0
        for task in ordered:
            used += need[task.scope.system.id]
            if used > room:
                break
            fit += 1
        left = [t.scope.system.id for t in ordered[fit:]]
        raise InputError(
            f"cannot fit {len(tasks)} drills in {cal.days[0].year}: {name} ({value}) too small, "
            f"at most {fit} fit; left without a drill: {_names(left)}",
            path=source,
            hint=f"raise {name}, lower drill_days, or plan the rest the next year",
        )


def _names(ids: Sequence[str]) -> str:
    return ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")


def _explain(tasks: Sequence[_Task], cal: _Calendar, config: PlanningConfig, source: Path) -> None:
    """Raise the reason no plan exists: which systems cannot fit, and which limit binds."""
    kept = _solve(tasks, cal, config, optional=True).starts
    left = sorted(t.scope.system.id for t in tasks if t.scope.system.id not in kept)
    binding = []
    if _solve(tasks, cal, config, weekly=False).status in ("optimal", "feasible"):
        binding.append(f"red_team.drills_per_week ({config.red_team.drills_per_week})")
    if _solve(tasks, cal, config, parallel=False).status in ("optimal", "feasible"):
        binding.append(f"max_parallel ({config.max_parallel})")
    limit = (
        " or ".join(binding) if binding else "red_team.drills_per_week and max_parallel together"
    )
    raise InputError(
        f"cannot fit {len(tasks)} drills in {cal.days[0].year}: {limit} too small"
        + (f"; left without a drill: {_names(left)}" if left else ""),
        path=source,
        hint=f"raise {limit.split(' (')[0]}, lower drill_days, or shorten freeze/unavailable windows",
    )


def plan_year(ws: Workspace, year: int, include: Sequence[str] = ()) -> Plan:
    """The proposed schedule of ``year`` (nothing written; see :func:`write_plan`)."""
    config = load_config(ws)
    source = planning_path(ws)
    scope = in_scope(ws, config, include)
    cal = _Calendar(year)
    tasks = _tasks(scope, config, cal, source)
    _check_counts(tasks, cal, config, source)
    solved = _solve(tasks, cal, config)
    if solved.status == "unknown":
        raise InputError(
            f"the solver found no schedule within its time budget for {len(tasks)} drills",
            path=source,
            hint="raise solver.deterministic_time, or relax the capacity limits",
        )
    if solved.status == "infeasible":
        _explain(tasks, cal, config, source)
    drills = [
        PlannedDrill(
            system=t.scope.system.id,
            name=t.scope.system.name,
            level=t.scope.level,
            agency=t.scope.system.owner,
            start=cal.days[solved.starts[t.scope.system.id]],
            end=cal.days[solved.starts[t.scope.system.id] + t.days - 1],
            working_days=t.days,
            last_drill=t.scope.last_drill,
            priority=t.priority,
        )
        for t in tasks
    ]
    return Plan(
        year=year,
        solver_status=solved.status,
        drill_days=config.drill_days,
        max_parallel=config.max_parallel,
        red_team_drills_per_week=config.red_team.drills_per_week,
        drills=sorted(drills, key=lambda d: (d.start, d.system)),
    )


def plan_yaml(plan: Plan) -> str:
    return dump_yaml(plan.model_dump())


def write_plan(ws: Workspace, plan: Plan) -> Path:
    """Write ``drills/<year>/plan.yaml`` atomically under the workspace lock."""
    path = plan_path(ws, plan.year)
    with ws.lock():
        atomic_write(path, plan_yaml(plan))
    return path


def load_plan(ws: Workspace, year: int) -> Plan:
    path = plan_path(ws, year)
    if not path.is_file():
        raise NotFoundError(
            f"no drill plan for {year}", path=path, hint=f"run 'socctl drill plan --year {year}'"
        )
    return load_model(path, Plan)


@dataclass(frozen=True)
class Due:
    system: str
    name: str
    level: int | None
    agency: str
    last_drill: date | None
    days_since: int | None


def year_before(day: date) -> date:
    """The same day a year earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def due(ws: Workspace, as_of: date, include: Sequence[str] = ()) -> list[Due]:
    """In-scope systems with no drill in the 12 months up to ``as_of``, longest-undrilled first."""
    since = year_before(as_of)
    rows = [
        Due(
            c.system.id,
            c.system.name,
            c.level,
            c.system.owner,
            c.last_drill,
            None if c.last_drill is None else (as_of - c.last_drill).days,
        )
        for c in in_scope(ws, load_config(ws), include)
        if c.last_drill is None or c.last_drill <= since
    ]
    return sorted(rows, key=lambda d: (d.last_drill or date.min, d.system))
