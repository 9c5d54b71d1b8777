"""``socctl rules check|list|coverage`` as an analyst uses them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from typer.testing import CliRunner

from socctl.cli.main import app


def rule(
    title: str, level: str, tags: list[str], logsource: dict[str, str], **extra: Any
) -> dict[str, Any]:
    return {
        "title": title,
        "id": f"00000000-0000-4000-8000-{abs(hash(title)) % 10**12:012d}",
        "status": extra.pop("status", "stable"),
        "level": level,
        "tags": tags,
        "logsource": logsource,
        "detection": extra.pop(
            "detection", {"sel": {"CommandLine|contains": title}, "condition": "sel"}
        ),
    }


@pytest.fixture
def rules_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("SOCCTL_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "rules"
    (folder / "win").mkdir(parents=True)
    (folder / "lnx").mkdir()
    docs = {
        "win/dump.yml": rule(
            "lsass dump",
            "critical",
            ["attack.credential-access", "attack.t1003.001"],
            {"category": "process_creation", "product": "windows"},
        ),
        "win/spray.yml": rule(
            "password spray",
            "high",
            ["attack.t1110.003"],
            {"service": "security", "product": "windows"},
            status="test",
        ),
        "lnx/sudo.yml": rule(
            "sudo shell",
            "medium",
            ["attack.t1548.003"],
            {"service": "sudo", "product": "linux"},
        ),
    }
    for name, doc in docs.items():
        (folder / name).write_text(yaml.safe_dump(doc), encoding="utf-8")
    return folder


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def listed(*args: str) -> list[str]:
    result = invoke("rules", "list", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return sorted(row["title"] for row in orjson.loads(result.stdout))


def test_list_filters(rules_dir: Path) -> None:
    base = ("--rules", str(rules_dir))
    assert listed(*base) == ["lsass dump", "password spray", "sudo shell"]
    assert listed(*base, "--level", "critical", "--level", "high") == [
        "lsass dump",
        "password spray",
    ]
    assert listed(*base, "--status", "test") == ["password spray"]
    assert listed(*base, "--tag", "attack.credential-access") == ["lsass dump"]
    assert listed(*base, "--technique", "T1003") == ["lsass dump"]  # includes sub-techniques
    assert listed(*base, "--technique", "t1110.003") == ["password spray"]
    assert listed(*base, "--logsource", "linux") == ["sudo shell"]
    assert listed(*base, "--logsource", "process_creation") == ["lsass dump"]


def test_check_lists_rules_that_cannot_load_and_fails(rules_dir: Path) -> None:
    result = invoke(
        "rules", "check", "--rules", str(rules_dir), "--no-validate", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout) == []
    bad = rule(
        "bad",
        "low",
        [],
        {"product": "windows"},
        detection={"sel": {"A|re": "(?<=x)y"}, "condition": "sel"},
    )
    (rules_dir / "win" / "bad.yml").write_text(yaml.safe_dump(bad), encoding="utf-8")
    (rules_dir / "lnx" / "broken.yml").write_text("detection: [\n", encoding="utf-8")
    result = invoke(
        "rules", "check", "--rules", str(rules_dir), "--no-validate", "--format", "json"
    )
    assert result.exit_code == 1
    rows = orjson.loads(result.stdout)
    assert sorted(Path(r["path"]).name for r in rows) == ["bad.yml", "broken.yml"]
    assert all(r["severity"] == "error" and r["reason"] for r in rows)


def test_coverage_writes_a_navigator_layer(rules_dir: Path, tmp_path: Path) -> None:
    layer_path = tmp_path / "layer.json"
    result = invoke("rules", "coverage", "--rules", str(rules_dir), "--navigator", str(layer_path))
    assert result.exit_code == 0, result.output
    layer = orjson.loads(layer_path.read_bytes())
    assert layer["domain"] == "enterprise-attack"
    scored = {t["techniqueID"]: t["score"] for t in layer["techniques"]}
    assert scored == {"T1003.001": 1, "T1110.003": 1, "T1548.003": 1}


def test_rules_check_stays_offline_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A SOC host is often firewalled: the ATT&CK/D3FEND validators (which download) are opt-in."""
    from sigma.data import mitre_attack, mitre_d3fend

    from socctl.detection.rules import load_rules
    from socctl.detection.validation import validate_rules

    calls: list[object] = []

    def no_network(*args: object, **kwargs: object) -> None:
        calls.append(args)
        raise OSError("network unreachable")

    for module in (mitre_attack, mitre_d3fend):
        monkeypatch.setattr(module, "urlopen", no_network)
    shipped = load_rules(
        [Path(__file__).resolve().parents[2] / "rules" / "web"], cache_dir=None, use_cache=False
    )
    rows = validate_rules(shipped)
    assert calls == [] and not [r for r in rows if "skipped" in r["reason"]]


def test_check_validates_a_correlation_with_a_range_condition(
    rules_dir: Path, tmp_path: Path
) -> None:
    base = rule("base", "low", [], {"product": "windows"})
    base["name"] = "base_rule"
    ranged = {
        "title": "A few",
        "correlation": {
            "type": "event_count",
            "rules": ["base_rule"],
            "timespan": "5m",
            "condition": {"gt": 1, "lte": 3},
        },
    }
    path = tmp_path / "ranged.yml"
    path.write_text(yaml.safe_dump_all([base, ranged]), encoding="utf-8")
    result = invoke("rules", "check", "--rules", str(path), "--format", "json")
    rows = orjson.loads(result.stdout)
    assert not [r for r in rows if r["severity"] == "error"], rows
    # pySigma's validators saw it: the correlation has no id
    assert any("identifier_existence" in r["reason"] and r["rule_id"].endswith(":1") for r in rows)
