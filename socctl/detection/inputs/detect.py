"""Which log format a file holds, decided from its first bytes (after gunzip when compressed)."""

from __future__ import annotations

from pathlib import Path

import orjson

from socctl.detection.inputs.access import looks_like_access
from socctl.detection.inputs.auditd import looks_like_auditd
from socctl.detection.inputs.csvlog import guess_delimiter
from socctl.detection.inputs.jsonlog import is_ecs, is_evtx_json
from socctl.detection.inputs.lines import UTF8_BOM, is_gzip, read_head
from socctl.detection.inputs.syslog import looks_like_syslog
from socctl.errors import InputError

#: Every input format, with the one line ``--input-format`` shows for it.
FORMATS: dict[str, str] = {
    "evtx": "Windows event log file (.evtx)",
    "evtx-json": 'evtx_dump JSON lines: {"Event": {"System": ..., "EventData": ...}} per line',
    "ecs": "Elastic Common Schema JSON lines (Winlogbeat, Filebeat, Elastic Agent)",
    "jsonl": "JSON lines (NDJSON) of flat or other objects",
    "json": "a JSON array of objects (or objects one after another)",
    "syslog": "syslog RFC 3164/5424 (auth.log, sshd, sudo) and FortiGate key=value syslog",
    "auditd": "Linux audit log: type=... msg=audit(...): key=value ...",
    "access": "Apache/Nginx access log, common or combined format",
    "csv": "CSV with a header row",
}
#: Formats read line by line: they accept byte ranges and can be split across workers.
LINE_FORMATS = frozenset({"evtx-json", "ecs", "jsonl", "syslog", "auditd", "access"})

EVTX_MAGIC = b"ElfFile\0"
_SAMPLE_LINES = 5


def detect_format(path: str | Path) -> str:
    """The format name of ``path`` (a key of :data:`FORMATS`); InputError when none fits."""
    path = Path(path)
    head = read_head(path)
    if not head:
        problem = "the gzip data is empty or corrupt" if is_gzip(path) else "the file is empty"
        raise InputError(problem, path=path, hint="nothing to read")
    if head.startswith(EVTX_MAGIC):
        return "evtx"
    head = head.removeprefix(UTF8_BOM)
    lines = [line.strip() for line in head.split(b"\n")[:50] if line.strip()][:_SAMPLE_LINES]
    if not lines:
        raise InputError("the file holds only blank lines", path=path, hint="nothing to read")
    complete = head.count(b"\n") >= 1  # the first line ends inside the sample
    first = lines[0]
    if first.startswith(b"["):
        return "json"
    if first.startswith(b"{"):
        return _json_format(first, complete)
    if first.startswith(b"Record ") and len(lines) > 1 and lines[1].startswith(b"{"):
        return "json"  # evtx_dump's default output
    texts = [line.decode("utf-8", "replace") for line in lines]
    for text in texts:
        for name, looks_like in (
            ("auditd", looks_like_auditd),
            ("access", looks_like_access),
            ("syslog", looks_like_syslog),
        ):
            if looks_like(text):
                return name
    if b"\0" in head[:4096]:
        raise InputError("binary data, not a text log", path=path, hint=_hint())
    if _looks_like_csv(texts):
        return "csv"
    raise InputError(
        f"not a log format socctl recognises (it starts with {texts[0][:60]!r})",
        path=path,
        hint=_hint(),
    )


def _json_format(first: bytes, complete: bool) -> str:
    """JSON lines (by the first record's shape) or a pretty-printed JSON document."""
    try:
        record = orjson.loads(first.decode("utf-8", "replace"))
    except orjson.JSONDecodeError:
        if complete:
            return "json"  # an object spread over several lines
        record = None  # a first line longer than the sample: judge by its start
    if record is None:
        if b'{"Event":' in first[:40] and b'"System"' in first:
            return "evtx-json"
        return "ecs" if b'"@timestamp"' in first and b'"ecs"' in first else "jsonl"
    if type(record) is dict and is_evtx_json(record):
        return "evtx-json"
    if type(record) is dict and is_ecs(record):
        return "ecs"
    return "jsonl"


def _looks_like_csv(texts: list[str]) -> bool:
    delimiter = guess_delimiter(texts[0])
    if delimiter is None:
        return False
    columns = texts[0].count(delimiter)
    return all(text.count(delimiter) >= columns for text in texts[1:])


def _hint() -> str:
    return "give the format with --input-format: " + ", ".join(FORMATS)
