"""A command imports only what it needs: ``drill verify`` is timed as a whole process (its
benchmark target is for the command a user runs), so it must not load the planner, the
detection engine or the report stack."""

from __future__ import annotations

import subprocess
import sys

import typer

from socctl.cli import drill

HEAVY = ("socctl.drills.planning", "socctl.drills.correlate", "socctl.reports", "ortools")


def loaded_by(*argv: str) -> set[str]:
    """The modules of ``HEAVY`` loaded once ``socctl ARGV`` has run."""
    code = (
        "import sys\n"
        f"sys.argv = ['socctl', *{list(argv)!r}]\n"
        "from socctl.cli.main import run\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
        f"print('loaded:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = out.stdout.rsplit("loaded:", 1)[1].strip()
    return set(filter(None, loaded.split(",")))


def test_drill_verify_loads_no_planner_engine_or_reports() -> None:
    assert loaded_by("drill", "verify", "--help") == set()


def test_the_drill_group_listing_still_shows_every_command() -> None:
    assert {"socctl.drills.planning", "socctl.drills.correlate"} <= loaded_by("drill", "--help")


def test_each_stage_registers_exactly_the_commands_the_group_says_it_has() -> None:
    import importlib

    for module, names in drill.STAGES.items():
        app = typer.Typer()
        importlib.import_module(module).register(app)
        registered = [c.name for c in app.registered_commands] + [
            g.name for g in app.registered_groups
        ]
        assert sorted(registered) == sorted(names), module
