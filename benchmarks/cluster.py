"""Cluster benchmarks against a real OpenSearch node (or the cluster given with ``--cluster``).

1. Ingest: the synthetic Windows log of ``run.py`` (1M events by default) loaded with
   ``socctl logs ingest --cluster``, then loaded again (every document a duplicate): wall time,
   documents per second, bulk requests (the node's ``write`` thread-pool tasks; one shard, so
   one per bulk request).
2. Detection: all SigmaHQ Windows rules over the ingested index with ``socctl detect run
   --cluster``: wall time, alerts, rules, msearch requests (the first round, ceil(rules /
   batch), and the pages after it, from the line socctl prints) and the node's ``search``
   thread-pool tasks.
3. Agreement: the SigmaHQ regression samples ingested into the cluster and into the embedded
   store; ``socctl detect run --cluster`` with every Windows rule (``--pipeline``, default
   ``winlogbeat``: the queries ``sigma convert -t lucene -p sysmon -p ecs_windows`` prints, CIDR
   values on non-ip fields as prefix wildcards) against ``socctl detect run`` over the embedded
   store, rule by rule, by document id (both stores use the same ids); the rules whose matches
   differ, with their query.

Run alone (``python benchmarks/cluster.py``); the node is the tests' (``tests/cluster_node.py``),
started here and stopped by its pid. Results go to ``benchmarks/out/cluster.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
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
    """Run socctl; its wall time and result (exit 3 is accepted for ``logs ingest``: the
    regression folders hold each rule beside its logs, and the rule files are not read)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCCTL_")}
    start = time.perf_counter()
    result = subprocess.run(
        [*SOCCTL, *map(str, args)], capture_output=True, text=True, env=env, check=False
    )
    wall = time.perf_counter() - start
    accepted = (0, 1, 3) if "ingest" in args[:4] else (0, 1)
    if check and result.returncode not in accepted:
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
    said = re.search(r"(\d+) msearch requests of up to (\d+) rules", result.stderr)
    rules = re.search(r"rules (\d+) run", result.stderr)
    msearch, batch = (int(said[1]), int(said[2])) if said else (None, None)
    first_round = math.ceil(int(rules[1]) / batch) if rules and batch else None
    return {
        "wall_s": round(wall, 1),
        "alerts": sum(1 for line in result.stdout.splitlines() if line.strip()),
        "rules": int(rules[1]) if rules else None,
        "batch": batch,
        "msearch_requests": msearch,
        "first_round_msearch": first_round,
        "page_msearch": msearch - first_round if msearch and first_round else None,
        "search_tasks": (pool_tasks(url) - before)["search"],
        "stderr_tail": result.stderr.strip().splitlines()[-3:],
    }


def lucene_queries(
    rules: Path, pipeline: str, url: str, index: str
) -> tuple[dict[str, str], dict[str, str]]:
    """Each single-event rule of ``rules`` as socctl sends it to ``index`` with ``pipeline``
    (rule id → query; what ``sigma convert -t lucene`` prints with the pipeline's pySigma
    pipelines, CIDR values on fields the index does not map as ip as prefix wildcards), and the
    rules it could not convert (→ reason)."""
    from socctl.detection.rules import load_rules
    from socctl.store.cluster.convert import convert
    from socctl.store.cluster.indices import ip_fields

    ruleset = load_rules([rules], cache_dir=None, use_cache=False)
    conversion = convert(ruleset, pipeline, ip_fields(get(f"{url}/{index}/_mapping")))
    queries = {str(q.rule.info.id): q.query for q in conversion.queries}
    failed = {str(e.rule_id or e.path): e.reason for e in conversion.failed}
    return queries, failed


def matches(*source: str | Path, rules: Path, pipeline: str | None = None) -> dict[str, Any]:
    """``socctl detect run --rules RULES SOURCE...`` in a new workspace: the document ids each
    rule's alerts come from, the rules refused (id → reason) and the msearch requests sent."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp) / "ws"
        socctl("init", workspace)
        if source[0] == "--logs-into-store":
            socctl("-w", workspace, "logs", "ingest", source[1], "--index", "reg")
            source = ("--index", "reg")
        chosen = ("--pipeline", pipeline) if pipeline else ()
        _, result = socctl(
            "-w", workspace, "detect", "run", "--rules", rules, *source, *chosen,
            "--format", "ndjson",
        )  # fmt: skip
    found: dict[str, set[str]] = {}
    for line in result.stdout.splitlines():
        alert = json.loads(line)
        if "document_id" in alert["source"]:
            found.setdefault(alert["rule"]["id"], set()).add(alert["source"]["document_id"])
    refused = dict(re.findall(r"rule not loaded: .*? \[([0-9a-f-]+)\]: (.*)", result.stderr))
    said = re.search(r"(\d+) msearch requests", result.stderr)
    return {"found": found, "refused": refused, "msearch": int(said[1]) if said else None}


def agreement(url: str, rules: Path, pipeline: str) -> dict[str, Any]:
    """The SigmaHQ regression samples ingested into the cluster and into the embedded store;
    ``detect run --cluster`` against ``detect run`` over the embedded store, rule by rule."""
    samples = CORPUS / "sigmahq-regression"
    index = f"bench-regression-{int(time.time())}"
    loaded = ingest(url, index, samples)
    queries, failed = lucene_queries(rules, pipeline, url, index)
    cluster = matches("--cluster", url, "--index", index, rules=rules, pipeline=pipeline)
    embedded = matches("--logs-into-store", samples, rules=rules)
    differences = {}
    for rule_id in sorted(queries):
        there, here = cluster["found"].get(rule_id, set()), embedded["found"].get(rule_id, set())
        refused = cluster["refused"].get(rule_id)
        if there != here or refused:
            differences[rule_id] = {
                "query": queries[rule_id],
                "only_cluster": len(there - here),
                "only_embedded": len(here - there),
                "refused": refused,
            }
    return {
        "pipeline": pipeline,
        "documents": loaded["added"] + loaded["duplicates"],
        "rules_converted": len(queries),
        "rules_not_converted": len(failed),
        "msearch_requests": cluster["msearch"],
        "rules_matching_embedded": sum(1 for r in queries if embedded["found"].get(r)),
        "rules_matching_cluster": sum(1 for r in queries if cluster["found"].get(r)),
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
        "--pipeline", default="winlogbeat", help="agreement: the cluster pipeline (winlogbeat)"
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
            results["agreement"] = agreement(url, rules, args.pipeline)
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
        results["detect"] = detect(url, index, rules)
        print(f"detect: {results['detect']}", flush=True)
        results["agreement"] = agreement(url, rules, args.pipeline)
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
