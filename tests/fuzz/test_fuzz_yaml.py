"""The YAML (and TOML) a user edits, hostile: systems, dossiers, socctl.toml, Sigma rules,
scenarios, rules of engagement, scoring models and drills/planning.yaml.

Mutations of the shipped files (tests/mutations.py's byte mutations, plus alias bombs, values of
the wrong type and path-traversal ids) are loaded the way the commands load them. The property:
socctl's own error (a message naming the file) or a loaded value, never another exception, each
load bounded in time, nothing written.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mutations import MUTATIONS, REPO

from socctl.config import load_settings
from socctl.detection.rules import load_rules
from socctl.drills.planning import load_config, planning_path
from socctl.drills.playbook import load_engagement, load_scenario
from socctl.drills.scoring import load_scoring
from socctl.errors import SocctlError
from socctl.inventory.dossier import dossier_path, load_dossier
from socctl.inventory.store import load_system_file
from socctl.storage.yamlio import load_yaml
from socctl.workspace import Workspace, open_workspace

BOUND = 5.0
FUZZ = settings(
    max_examples=80,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("yaml-fuzz") / "ws"
    system = REPO / "assessments" / "examples" / "cong-dvc.yaml"
    for args in (
        ("init", str(root)),
        ("system", "add", str(system)),
        ("dossier", "new", "cong-dvc"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "socctl", "-w", str(root), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
    return open_workspace(root)


#: Each target: (where the file goes in the workspace, the seed's text, how it is loaded).
Target = tuple[
    Callable[[Workspace], Path], Callable[[Workspace], bytes], Callable[[Workspace], Any]
]


def _shipped(relative: str) -> Callable[[Workspace], bytes]:
    return lambda ws: (REPO / relative).read_bytes()


TARGETS: dict[str, Target] = {
    "system": (
        lambda ws: ws.root / "edited-system.yaml",
        _shipped("assessments/examples/cong-dvc.yaml"),
        lambda ws: load_system_file(ws.root / "edited-system.yaml"),
    ),
    "dossier": (
        lambda ws: dossier_path(ws, "cong-dvc"),
        lambda ws: _original(dossier_path(ws, "cong-dvc")),
        lambda ws: load_dossier(ws, "cong-dvc"),
    ),
    "config": (
        lambda ws: ws.config_path,
        lambda ws: _original(ws.config_path),
        lambda ws: load_settings(ws.config_path),
    ),
    "sigma-rule": (
        lambda ws: ws.root / "edited-rule.yml",
        _shipped("rules/linux/lnx_sshd_brute_force.yml"),
        lambda ws: load_rules([ws.root / "edited-rule.yml"], cache_dir=None, use_cache=False),
    ),
    "scenario": (
        lambda ws: ws.playbooks_dir / "scenarios" / "portal-web-attack.yaml",
        _shipped("playbooks/scenarios/portal-web-attack.yaml"),
        lambda ws: load_scenario(ws, "portal-web-attack"),
    ),
    "engagement": (
        lambda ws: ws.playbooks_dir / "engagement" / "default.yaml",
        _shipped("playbooks/engagement/default.yaml"),
        lambda ws: load_engagement(ws, "default"),
    ),
    "scoring": (
        lambda ws: ws.playbooks_dir / "scoring" / "hp-default.yaml",
        _shipped("playbooks/scoring/hp-default.yaml"),
        lambda ws: load_scoring(ws, "hp-default"),
    ),
    "planning": (
        planning_path,
        lambda ws: (
            b"drill_days: 10\nmax_parallel: 2\ninclude: [cong-dvc]\nsystems:\n"
            b"  cong-dvc:\n    freeze:\n      - {start: 2027-01-01, end: 2027-01-15}\n"
        ),
        load_config,
    ),
}
_ORIGINALS: dict[Path, bytes] = {}


def _original(path: Path) -> bytes:
    """A workspace file as ``init``/``dossier new`` wrote it (kept before the first mutation)."""
    return _ORIGINALS.setdefault(path, path.read_bytes())


def alias_bomb(data: bytes, rng: random.Random) -> bytes:
    """Nine levels of nine aliases (9**9 nodes when expanded), placed as a value or a document."""
    lines = [b"x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [
        f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]".encode()
        for i in range(1, rng.randint(5, 10))
    ]
    return b"\n".join(lines) + b"\n" + data


def wrong_types(data: bytes, rng: random.Random) -> bytes:
    """Some ``key: value`` lines given a list, a mapping, a number, null, or a huge string."""
    lines = data.split(b"\n")
    for _ in range(rng.randint(1, 5)):
        i = rng.randrange(len(lines))
        key, sep, _value = lines[i].partition(b":")
        if sep:
            value = rng.choice(
                (b" [1, 2]", b" {a: b}", b" 12", b" null", b" true", b" " + b"x" * 100_000)
            )
            lines[i] = key + b":" + value
    return b"\n".join(lines)


def traversal_ids(data: bytes, rng: random.Random) -> bytes:
    """Ids, systems and references that climb out of the workspace."""
    target = rng.choice(
        (b"../../../etc/passwd", b"..", b"/etc/shadow", b"a/../../b", b"con\\..\\x")
    )
    pattern = rb"^(\s*-?\s*(?:id|system|model|scenario|engagement|include)\s*:)\s*.*$"
    return re.sub(pattern, lambda m: m.group(1) + b" " + target, data, flags=re.MULTILINE)


YAML_MUTATIONS = {
    **MUTATIONS,
    "alias-bomb": alias_bomb,
    "wrong-types": wrong_types,
    "traversal-ids": traversal_ids,
}


def load_mutated(ws: Workspace, target: str, content: bytes) -> None:
    where, seed, load = TARGETS[target]
    seed(ws)  # keep the original before the first change
    path = where(ws)
    path.parent.mkdir(parents=True, exist_ok=True)
    before = sorted(p for p in ws.root.rglob("*") if p != path)
    path.write_bytes(content)
    started = time.perf_counter()
    try:
        load(ws)
    except SocctlError as exc:
        assert "\n" not in str(exc), str(exc)
    finally:
        elapsed = time.perf_counter() - started
        after = sorted(p for p in ws.root.rglob("*") if p != path)
        path.write_bytes(seed(ws))
        ws._settings = None  # settings were read from the mutated socctl.toml
    assert elapsed < BOUND, (target, elapsed)
    assert [p for p in after if p not in before and ".cache" not in p.parts] == []


def test_every_seed_loads(ws: Workspace) -> None:
    for target, (_where, seed, _load) in TARGETS.items():
        load_mutated(ws, target, seed(ws))
        TARGETS[target][2](ws)  # the seed itself is valid: no error at all


@pytest.mark.parametrize("mutation", sorted(YAML_MUTATIONS))
@pytest.mark.parametrize("target", sorted(TARGETS))
def test_each_mutation_of_each_file(target: str, mutation: str, ws: Workspace) -> None:
    seed = TARGETS[target][1](ws)
    for case in range(3):
        rng = random.Random(f"{target}:{mutation}:{case}")
        load_mutated(ws, target, YAML_MUTATIONS[mutation](seed, rng))


@FUZZ
@given(
    target=st.sampled_from(sorted(TARGETS)),
    seed=st.integers(0, 2**32),
    rounds=st.integers(1, 3),
)
def test_random_chains_of_mutations(target: str, seed: int, rounds: int, ws: Workspace) -> None:
    rng = random.Random(seed)
    content = TARGETS[target][1](ws)
    for _ in range(rounds):
        content = YAML_MUTATIONS[rng.choice(sorted(YAML_MUTATIONS))](content, rng)
    load_mutated(ws, target, content)


@FUZZ
@given(target=st.sampled_from(sorted(TARGETS)), text=st.text(max_size=400))
def test_arbitrary_text(target: str, text: str, ws: Workspace) -> None:
    load_mutated(ws, target, text.encode("utf-8", "surrogatepass"))


def test_an_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_bytes(alias_bomb(b"name: x\n", random.Random(9)))
    with pytest.raises(SocctlError, match="alias"):
        load_yaml(path)


def test_nesting_deeper_than_the_stack_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    for text in (
        "[" * 1000 + "]" * 1000,
        "a:\n" + "".join(f"{' ' * i}b:\n" for i in range(1, 500)),
    ):
        path.write_text(text)
        with pytest.raises(SocctlError, match="nest"):
            load_yaml(path)


def test_a_sigma_rule_alias_bomb_is_a_load_error(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yml"
    path.write_bytes(
        alias_bomb((REPO / "rules/linux/lnx_sshd_brute_force.yml").read_bytes(), random.Random(9))
    )
    ruleset = load_rules([path], cache_dir=None, use_cache=False)
    assert [e.reason for e in ruleset.errors] and "alias" in ruleset.errors[0].reason


@pytest.mark.parametrize("system_id", ["../../etc/passwd", "..", "/etc/shadow", "a/b", "CON\\x"])
def test_path_traversal_system_ids_are_refused(ws: Workspace, system_id: str) -> None:
    with pytest.raises(SocctlError, match="not a system id"):
        load_dossier(ws, system_id)
