"""Cluster benchmarks against a real OpenSearch node (or the cluster given with ``--cluster``).

1. Ingest: the synthetic Windows log of ``run.py`` (1M events by default) loaded with
   ``socctl logs ingest --cluster``, then loaded again (every document a duplicate): wall time,
   documents per second, bulk requests (the node's ``write`` thread-pool tasks; one shard, so
   one per bulk request).
2. Detection, when ``socctl detect run`` takes ``--cluster``: all SigmaHQ Windows rules over the
   ingested index: wall time, alerts, search and msearch requests (the node's ``search``
   thread-pool tasks).
3. Agreement: the SigmaHQ regression samples ingested into the cluster and into the embedded
   store; every Windows rule converted by pySigma's Lucene backend with the ``ecs_windows``
   pipeline (what ``sigma convert -t lucene -p ecs_windows`` prints), sent in ``_msearch``
   batches of 100, its documents compared with the embedded engine's matches (by document id:
   both stores use the same ids); the rules whose matches differ, with their query.

Run alone (``python benchmarks/cluster.py``); the node is the tests' (``tests/cluster_node.py``),
started here and stopped by its pid. Results go to ``benchmarks/out/cluster.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(HERE), str(REPO / "tests")]

from run import CORPUS, SOCCTL  # noqa: E402


def prepare(data: Path, events: int) -> tuple[Path, Path]:
    """The synthetic Windows log of ``events`` events and the SigmaHQ Windows rules (made once)."""
    data.mkdir(parents=True, exist_ok=True)
    sigma = data / "sigmahq"
    if not (sigma / "rules").is_dir():
        with tarfile.open(CORPUS / "sigmahq-rules.tar.gz") as tar:
            tar.extractall(sigma, filter="data")
    log = data / f"windows-{events}.jsonl"
    if not log.is_file():
        generated = data / "generated"
        subprocess.run(
            [
                sys.executable,
                HERE / "generate.py",
                "windows",
                "--events",
                str(events),
                "--out",
                generated,
            ],
            check=True,
        )
        (generated / "windows.jsonl").rename(log)
    return log, sigma / "rules" / "windows"


def socctl(*args: str | Path, check: bool = True) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run socctl; its wall time and result."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCCTL_")}
    start = time.perf_counter()
    result = subprocess.run(
        [*SOCCTL, *map(str, args)], capture_output=True, text=True, env=env, check=False
    )
    wall = time.perf_counter() - start
    if check and result.returncode not in (0, 1):
        raise SystemExit(f"socctl {' '.join(map(str, args))} failed:\n{result.stderr}")
    return wall, result


def get(url: str) -> Any:
    with urllib.request.urlopen(url) as response:
        return json.load(response)


def pool_tasks(url: str) -> Counter[str]:
    """Completed tasks of the write and search thread pools, summed over the nodes."""
    stats = get(f"{url}/_nodes/stats/thread_pool")["nodes"].values()
    return Counter(
        {
            pool: sum(node["thread_pool"][pool]["completed"] for node in stats)
            for pool in ("write", "search")
        }
    )


def ingest(url: str, index: str, path: Path) -> dict[str, Any]:
    before = pool_tasks(url)
    wall, result = socctl("logs", "ingest", path, "--cluster", url, "--index", index, "-f", "json")
    (row,) = json.loads(result.stdout)
    bulk = (pool_tasks(url) - before)["write"]
    return row | {
        "wall_s": round(wall, 1),
        "docs_per_s": round(row["read"] / wall),
        "bulk_requests": bulk,
    }


def detects_on_clusters() -> bool:
    _, result = socctl("detect", "run", "--help", check=False)
    return "--cluster" in result.stdout


def detect(url: str, index: str, rules: Path) -> dict[str, Any]:
    """``socctl detect run --cluster`` over ``index`` (in a new workspace): wall time, alerts,
    the node's search tasks, or the error it ended with."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp) / "ws"
        socctl("init", workspace)
        before = pool_tasks(url)
        wall, result = socctl(
            "-w", workspace, "detect", "run", "--rules", rules, "--cluster", url,
            "--index", index, "--format", "ndjson", check=False,
        )  # fmt: skip
    if result.returncode not in (0, 1):
        return {"wall_s": round(wall, 1), "error": result.stderr.strip()}
    return {
        "wall_s": round(wall, 1),
        "alerts": sum(1 for line in result.stdout.splitlines() if line.strip()),
        "search_tasks": (pool_tasks(url) - before)["search"],
    }


def lucene_queries(rules: Path, sysmon: bool) -> tuple[dict[str, str], dict[str, str]]:
    """Each single-event rule of ``rules`` converted by pySigma's Lucene backend with the
    ``ecs_windows`` pipeline (after the ``sysmon`` one, which turns a category into its Sysmon
    EventID, if asked) (rule id → query), and the rules it could not convert (→ reason)."""
    from sigma.backends.elasticsearch import LuceneBackend
    from sigma.collection import SigmaCollection
    from sigma.pipelines.elasticsearch.windows import ecs_windows
    from sigma.pipelines.sysmon import sysmon_pipeline
    from sigma.rule import SigmaRule

    pipeline = sysmon_pipeline() + ecs_windows() if sysmon else ecs_windows()
    backend = LuceneBackend(processing_pipeline=pipeline)
    queries, failed = {}, {}
    for path in sorted(rules.rglob("*.yml")):
        try:
            collection = SigmaCollection.from_yaml(path.read_text(encoding="utf-8"))
        except Exception as exc:  # a rule pySigma cannot read is listed, not fatal
            failed[path.name] = f"{type(exc).__name__}: {exc}"
            continue
        for rule in collection.rules:
            if not isinstance(rule, SigmaRule):
                continue
            try:
                (query,) = backend.convert_rule(rule)
            except Exception as exc:
                failed[str(rule.id)] = f"{type(exc).__name__}: {exc}"
                continue
            queries[str(rule.id)] = query
    return queries, failed


def cluster_matches(
    url: str, index: str, queries: dict[str, str]
) -> tuple[dict[str, set[str]], int]:
    """Document ids each query finds (``_msearch`` in batches of 100); and the requests sent."""
    found: dict[str, set[str]] = {}
    ids = list(queries)
    requests = 0
    for start in range(0, len(ids), 100):
        batch = ids[start : start + 100]
        lines = []
        for rule_id in batch:
            lines.append(json.dumps({"index": index}))
            body = {
                "query": {"query_string": {"query": queries[rule_id]}},
                "size": 10_000,
                "_source": False,
            }
            lines.append(json.dumps(body))
        request = urllib.request.Request(
            f"{url}/_msearch",
            data=("\n".join(lines) + "\n").encode(),
            headers={"Content-Type": "application/x-ndjson"},
        )
        with urllib.request.urlopen(request) as response:
            answers = json.load(response)["responses"]
        requests += 1
        for rule_id, answer in zip(batch, answers, strict=True):
            if "error" in answer:
                cause = (answer["error"].get("root_cause") or [answer["error"]])[0]
                found[rule_id] = {f"error: {cause.get('type')}: {cause.get('reason', '')[:120]}"}
            else:
                found[rule_id] = {hit["_id"] for hit in answer["hits"]["hits"]}
    return found, requests


def embedded_matches(samples: Path, rules: Path) -> dict[str, set[str]]:
    """Document ids each rule matches in the embedded store holding the same files."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp) / "ws"
        socctl("init", workspace)
        socctl("-w", workspace, "logs", "ingest", samples, "--index", "reg")
        _, result = socctl(
            "-w",
            workspace,
            "detect",
            "run",
            "--rules",
            rules,
            "--index",
            "reg",
            "--format",
            "ndjson",
        )
    found: dict[str, set[str]] = {}
    for line in result.stdout.splitlines():
        alert = json.loads(line)
        if "document_id" in alert["source"]:
            found.setdefault(alert["rule"]["id"], set()).add(alert["source"]["document_id"])
    return found


def agreement(url: str, rules: Path, sysmon: bool = False) -> dict[str, Any]:
    """The SigmaHQ regression samples ingested into the cluster and into the embedded store;
    every rule's pySigma ECS Lucene query on the cluster against the embedded engine's matches."""
    samples = CORPUS / "sigmahq-regression"
    index = f"bench-regression-{int(time.time())}"
    loaded = ingest(url, index, samples)
    queries, failed = lucene_queries(rules, sysmon)
    on_cluster, requests = cluster_matches(url, index, queries)
    on_embedded = embedded_matches(samples, rules)
    differences = {}
    for rule_id in sorted(queries):
        answer, embedded = on_cluster.get(rule_id, set()), on_embedded.get(rule_id, set())
        errors = {x for x in answer if x.startswith("error:")}
        cluster = answer - errors
        if cluster != embedded or errors:
            differences[rule_id] = {
                "query": queries[rule_id],
                "only_cluster": len(cluster - embedded),
                "only_embedded": len(embedded - cluster),
                "errors": sorted(errors),
            }
    return {
        "pipelines": "sysmon + ecs_windows" if sysmon else "ecs_windows",
        "documents": loaded["added"] + loaded["duplicates"],
        "rules_converted": len(queries),
        "rules_not_converted": len(failed),
        "msearch_requests": requests,
        "rules_matching_embedded": sum(1 for r in queries if on_embedded.get(r)),
        "rules_matching_cluster": sum(
            1 for r in queries if any(not x.startswith("error:") for x in on_cluster.get(r, ()))
        ),
        "rules_differing": len(differences),
        "differences": differences,
        "not_converted": failed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--cluster", help="use this cluster instead of starting the test node")
    parser.add_argument("--agreement-only", action="store_true", help="skip the 1M-event runs")
    parser.add_argument("--once", action="store_true", help="skip the second (duplicate) ingest")
    parser.add_argument(
        "--sysmon", action="store_true", help="agreement: the sysmon pipeline before ecs_windows"
    )
    args = parser.parse_args()
    windows_log, rules = prepare(args.data, args.events)
    node = None
    if args.cluster:
        url = args.cluster
    else:
        os.environ.setdefault("SOCCTL_OPENSEARCH_HEAP", "1g")  # read when cluster_node loads
        from cluster_node import OpenSearchNode

        node = OpenSearchNode.start()
        url = node.wait()
    try:
        index = f"bench-windows-{int(time.time())}"
        results: dict[str, Any] = {"cluster": get(url)["version"], "events": args.events}
        if args.agreement_only:
            results["agreement"] = agreement(url, rules, args.sysmon)
            (HERE / "out").mkdir(exist_ok=True)
            (HERE / "out" / "cluster-agreement.json").write_text(json.dumps(results, indent=2))
            print(
                {
                    k: v
                    for k, v in results["agreement"].items()
                    if k not in {"differences", "not_converted"}
                }
            )
            return
        results["ingest"] = ingest(url, index, windows_log)
        print(f"ingest: {results['ingest']}", flush=True)
        if not args.once:
            results["ingest_again"] = ingest(url, index, windows_log)
            print(f"ingest again: {results['ingest_again']}", flush=True)
        if detects_on_clusters():
            results["detect"] = detect(url, index, rules)
            print(f"detect: {results['detect']}", flush=True)
        else:
            results["detect"] = "socctl detect run has no --cluster option yet"
            print(results["detect"], flush=True)
        results["agreement"] = agreement(url, rules, args.sysmon)
        summary = {
            k: v
            for k, v in results["agreement"].items()
            if k not in {"differences", "not_converted"}
        }
        print(f"agreement: {summary}", flush=True)
    finally:
        if node is not None:
            node.stop()
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "cluster.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
