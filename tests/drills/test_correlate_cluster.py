"""``drill correlate`` over a cluster index: the sample drill's logs ingested into the real
OpenSearch node, the cluster as the workspace's store, the same steps linked as over the files."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import yaml
from scripted_drill import DRILL, EXAMPLE, REPO, build, cli, ok, run_drill

pytestmark = pytest.mark.cluster


def test_the_sample_drill_correlated_in_the_cluster(
    cluster_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws, keys = build(tmp_path)
    prefix = f"drill-{uuid.uuid4().hex[:8]}"
    for source in ("windows", "winlogbeat", "linux", "web", "firewall"):  # one index per source
        ok(cli(ws, "logs", "ingest", str(REPO / "samples" / source), "--index",
               f"{prefix}-{source}", "--cluster", cluster_url))  # fmt: skip
    index = f"{prefix}-*"
    definition = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    definition["logs"] = {"index": index}
    path = tmp_path / "definition.yaml"
    path.write_text(yaml.safe_dump(definition, allow_unicode=True), encoding="utf-8")
    ok(cli(ws, "drill", "start", DRILL, "--from", str(path), "--key", str(keys / "ctl.pem")))
    run_drill(ws, keys)
    monkeypatch.setenv("SOCCTL_DETECTION__STORE", "elasticsearch")
    monkeypatch.setenv("SOCCTL_ELASTICSEARCH__HOSTS", json.dumps([cluster_url]))
    result = ok(cli(ws, "drill", "correlate", DRILL))
    assert "5 of 6 steps detected" in result.output, result.output
    assert "missed: s5-exfil T1048" in result.output
    saved = json.loads((ws / "drills" / DRILL / "correlation.json").read_text(encoding="utf-8"))
    steps = {s["step_id"]: s for s in saved["steps"]}
    assert {a["host"] for a in steps["s3-ssh"]["alerts"]} == {"dvc-web01"}
    assert steps["s1-sqli"]["alerts"][0]["at"].startswith("2026-11-20T18:58:02")
