"""``socctl logs indices --cluster`` against a real node: counts, the time field from the
mapping, the time range."""

from __future__ import annotations

import json
import urllib.request
import uuid
from pathlib import Path

import pytest
from test_ingest import ingest, socctl

pytestmark = pytest.mark.cluster


def _put(url: str, path: str, body: object) -> None:
    request = urllib.request.Request(
        f"{url}/{path}",
        data=json.dumps(body).encode(),
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request).close()


def test_indices_list_counts_time_fields_and_ranges(cluster_url: str, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    log = tmp_path / "app.jsonl"
    times = ["2026-03-01T08:00:00Z", "2026-03-02T09:30:00Z", "2026-03-01T23:59:59Z"]
    log.write_text(
        "".join(json.dumps({"timestamp": ts, "action": "login"}) + "\n" for ts in times), "utf-8"
    )
    ingest(cluster_url, f"t-{tag}-ingested", log, cwd=tmp_path)
    # An index written by another shipper: its only date field is event.created.
    other = f"t-{tag}-shipper"
    _put(
        cluster_url,
        other,
        {"mappings": {"properties": {"event": {"properties": {"created": {"type": "date"}}}}}},
    )
    _put(
        cluster_url, f"{other}/_doc/1?refresh=true", {"event": {"created": "2025-12-31T17:00:00Z"}}
    )

    result = socctl(
        "logs",
        "indices",
        "--cluster",
        cluster_url,
        "--pattern",
        f"t-{tag}-*",
        "-f",
        "json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    rows = {row["index"]: row for row in json.loads(result.stdout)}
    assert rows[f"t-{tag}-ingested"] | {"size_mb": 0} == {
        "index": f"t-{tag}-ingested",
        "events": 3,
        "time_field": "@timestamp",
        "first": "2026-03-01T08:00:00Z",
        "last": "2026-03-02T09:30:00Z",
        "size_mb": 0,
    }
    assert rows[other]["time_field"] == "event.created"
    assert (rows[other]["events"], rows[other]["first"]) == (1, "2025-12-31T17:00:00Z")
    assert set(rows) == {f"t-{tag}-ingested", other}
