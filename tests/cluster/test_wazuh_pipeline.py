"""``socctl detect run --cluster URL --index 'wazuh-alerts-*'`` against the real node holding
Windows events as Wazuh stores them: the pipeline chosen from the mapping, the same alerts as
the embedded engine over the original events, and the queries sigma-cli gives.

The Wazuh documents are the shipped Windows samples (evtx_dump JSON) reshaped by
:func:`wazuh_document` the way Wazuh 4.x writes them: its eventchannel decoder
(``src/analysisd/decoders/winevtchannel.c``) turns the event's XML into ``win.system`` and
``win.eventdata`` with each name's first letter lower-cased and every value a string; its
Filebeat module (``wazuh-module/alerts/ingest/pipeline.json``) stores them under ``data``, copies
``timestamp`` to ``@timestamp`` and writes one ``wazuh-alerts-4.x-<yyyy.MM.dd>`` index a day, whose
template (``wazuh-template.json``) maps every string as ``keyword``. Every sample is indexed, as
if each had raised a Wazuh alert (``wazuh-archives-*`` holds them all the same way).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sigma_cli import sigma_convert
from subprocess_cli import socctl

from socctl.detection.rules import load_rules
from socctl.store.cluster.convert import convert

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]
WINDOWS = ROOT / "samples" / "windows"
RULES = ROOT / "rules" / "windows"
INDEX = "wazuh-alerts-4.x-2026.11.20"

#: What Wazuh's template maps of the fields these documents have (its string_as_keyword rule).
WAZUH_MAPPINGS = {
    "dynamic_templates": [
        {
            "string_as_keyword": {
                "mapping": {"type": "keyword"},
                "match_mapping_type": "string",
            }
        }
    ],
    "date_detection": False,
    "properties": {
        "@timestamp": {"type": "date"},
        "timestamp": {"type": "date", "format": "date_optional_time||epoch_millis"},
        "agent": {"properties": {"id": {"type": "keyword"}, "name": {"type": "keyword"}}},
        "rule": {"properties": {"id": {"type": "keyword"}, "level": {"type": "long"}}},
    },
}

#: Data values the decoder leaves out.
_LEFT_OUT = {"", "-", "(NULL)"}
#: System attributes by the names the decoder gives them.
_ATTRIBUTES = {
    ("Provider", "Name"): "providerName",
    ("Provider", "Guid"): "providerGuid",
    ("Provider", "EventSourceName"): "eventSourceName",
    ("TimeCreated", "SystemTime"): "systemTime",
    ("Execution", "ProcessID"): "processID",
    ("Execution", "ThreadID"): "threadID",
}


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _text(value: Any) -> str:
    return str(value["#text"] if isinstance(value, dict) else value)


def wazuh_win(event: dict[str, Any]) -> dict[str, Any]:
    """The decoder's ``win`` object for an evtx_dump ``Event``: System elements by their
    lower-cased-first name (attributes as :data:`_ATTRIBUTES`; ``Correlation`` and the
    ``Security`` UserID, which the decoder compares by value and so never keeps, left out),
    EventData values trimmed at the end and left out when :data:`_LEFT_OUT`, unnamed ``Data``
    joined with ", " as ``data``, a UserData element's values under its own lower-cased-first
    name. Not modelled: ``severityValue``, ``message`` (evtx_dump has no rendered message) and
    the audit-policy category names the decoder adds for a few Security events."""
    system: dict[str, str] = {}
    for key, value in event.get("System", {}).items():
        if isinstance(value, dict):  # attributes, and #text for an element that has both
            for name, text in value.get("#attributes", {}).items():
                if (key, name) in _ATTRIBUTES:
                    system[_ATTRIBUTES[key, name]] = str(text)
            if "#text" not in value:
                continue
        if key not in {"Correlation", "Security"} and value not in (None, ""):
            system[_lower_first(key)] = _text(value)
    win: dict[str, Any] = {"system": system}
    eventdata: dict[str, str] = {}
    for name, value in (event.get("EventData") or {}).items():
        if name == "#attributes" or value is None:
            continue
        if name == "Data":  # unnamed <Data> elements
            items = value if isinstance(value, list) else [value]
            texts = [_text(v) for v in items if _text(v) not in _LEFT_OUT]
            if texts:
                eventdata["data"] = ", ".join(t.rstrip() for t in texts)
        elif _text(value) not in _LEFT_OUT:
            eventdata[_lower_first(name)] = _text(value).rstrip()
    if eventdata:
        win["eventdata"] = eventdata
    for element, values in (event.get("UserData") or {}).items():
        if isinstance(values, dict):
            win[_lower_first(element)] = {
                _lower_first(k): _text(v).rstrip()
                for k, v in values.items()
                if k != "#attributes" and v is not None and _text(v) not in _LEFT_OUT
            }
    return win


def wazuh_document(record: dict[str, Any], number: int) -> dict[str, Any]:
    """One evtx_dump record as the document Wazuh indexes for it. ``timestamp`` is the manager's
    time of the alert (here the event's own, to the millisecond, as for an agent without delay);
    the agent is named after the computer; ``rule`` stands for the Wazuh rule that fired."""
    event = record["Event"]
    win = wazuh_win(event)
    system_time = win["system"]["systemTime"]
    stamp = system_time[:23] + "+0000"
    return {
        "timestamp": stamp,
        "@timestamp": system_time[:23] + "Z",
        "rule": {"id": "60000", "level": 3, "description": "Windows event", "groups": ["windows"]},
        "agent": {"id": "001", "name": win["system"]["computer"].split(".")[0]},
        "manager": {"name": "wazuh-manager"},
        "id": f"1795280000.{number}",
        "decoder": {"name": "windows_eventchannel"},
        "data": {"win": win},
        "location": "EventChannel",
        "input": {"type": "log"},
    }


def request(method: str, url: str, body: bytes | None = None) -> Any:
    headers = {"Content-Type": "application/x-ndjson" if method == "POST" else "application/json"}
    sent = urllib.request.Request(url, body, headers, method=method)
    with urllib.request.urlopen(sent) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def wazuh(opensearch_url: str) -> Iterator[str]:
    """The node with the samples in a Wazuh alerts index (removed afterwards)."""
    request("PUT", f"{opensearch_url}/{INDEX}", json.dumps({"mappings": WAZUH_MAPPINGS}).encode())
    lines = []
    for number, path in enumerate(sorted(WINDOWS.glob("*.jsonl"))):
        for at, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            lines.append(json.dumps({"index": {"_index": INDEX}}))
            lines.append(json.dumps(wazuh_document(json.loads(line), number * 1000 + at)))
    answer = request(
        "POST", f"{opensearch_url}/_bulk?refresh=true", "\n".join([*lines, ""]).encode()
    )
    assert not answer["errors"]
    yield opensearch_url
    request("DELETE", f"{opensearch_url}/{INDEX}")


def alerts(ws: Path, *args: str | Path) -> tuple[list[dict[str, Any]], str]:
    result = socctl("detect", "run", *args, "-f", "json", cwd=ws)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def test_the_wazuh_index_gives_the_alerts_the_embedded_engine_gives_on_the_original_events(
    wazuh: str, tmp_path: Path
) -> None:
    assert socctl("init", tmp_path, cwd=tmp_path).returncode == 0
    embedded, _ = alerts(tmp_path, "--logs", WINDOWS)
    cluster, stderr = alerts(tmp_path, "--cluster", wazuh, "--index", "wazuh-alerts-*")

    def key(alert: dict[str, Any]) -> tuple[str, datetime, str]:
        at = datetime.fromisoformat(alert["timestamp"])
        # Wazuh keeps the time to the millisecond.
        return (
            alert["rule"]["id"],
            at.replace(microsecond=at.microsecond // 1000 * 1000),
            alert["host"],
        )

    # Wazuh's keyword fields compare case-sensitively: this rule's 'hklm\sam' misses the
    # event's "reg.exe save HKLM\SAM ..." there, and only there.
    case_bound = {a["rule"]["id"] for a in embedded if a["rule"]["title"].startswith("SAM, SYSTEM")}
    assert len(embedded) >= 10 and len(case_bound) == 1
    expected = [key(a) for a in embedded if a["rule"]["id"] not in case_bound]
    assert sorted(map(key, cluster)) == sorted(expected)
    assert any(a.get("correlation") for a in cluster), "the samples hold correlation alerts"
    assert "wazuh-alerts-*: time field @timestamp, pipeline wazuh" in stderr
    assert "(the indices hold Wazuh's data.win)" in stderr


def test_each_wazuh_query_is_what_sigma_cli_converts_the_rule_to(tmp_path: Path) -> None:
    ruleset = load_rules([RULES], cache_dir=None, use_cache=False)
    conversion = convert(ruleset, "wazuh")
    assert len(conversion.queries) >= 10 and not conversion.failed
    fields = ROOT / "rules" / "pipelines" / "wazuh-fields.yml"
    expected = sigma_convert(
        ruleset, conversion.queries, tmp_path, "sysmon", "windows-logsources", fields
    )
    assert [q.query for q in conversion.queries] == expected
    assert all("data.win." in q.query for q in conversion.queries)
