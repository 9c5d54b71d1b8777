"""Which log format a file holds, decided from its first bytes (after gunzip when compressed).

The content decides; the extension is a promise checked against it: a ``.evtx`` that is not EVTX,
or a ``.csv`` holding JSON, is refused rather than read as something else (``--input-format``
reads it anyway). Extensions that say nothing of the format (``.log``, ``.txt``, ``.1``...) allow any.
"""

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
    "xml": "Windows event XML (Event Viewer or wevtutil export)",
}
#: Formats read line by line: they accept byte ranges and can be split across workers.
LINE_FORMATS = frozenset({"evtx-json", "ecs", "jsonl", "syslog", "auditd", "access"})

EVTX_MAGIC = b"ElfFile\0"
_SAMPLE_LINES = 5
_JSON = frozenset({"json", "jsonl", "evtx-json", "ecs"})
#: The formats a file name's extension (before any ``.gz``) allows; others allow any format.
EXTENSIONS: dict[str, frozenset[str]] = {
    ".evtx": frozenset({"evtx"}),
    ".xml": frozenset({"xml"}),
    ".json": _JSON,
    ".jsonl": _JSON,
    ".ndjson": _JSON,
    ".csv": frozenset({"csv"}),
    ".tsv": frozenset({"csv"}),
}
#: Share of bytes in a text sample that may be control characters or invalid UTF-8.
_MAX_BINARY_SHARE = 0.05
_TEXT_CONTROLS = frozenset(b"\t\n\r\x0c\x1b\x1d")


def expected_formats(path: Path) -> frozenset[str] | None:
    """The formats ``path``'s name promises, or None when it promises none."""
    name = path.name.lower().removesuffix(".gz")
    return EXTENSIONS.get(Path(name).suffix)


def detect_format(path: str | Path) -> str:
    """The format name of ``path`` (a key of :data:`FORMATS`); InputError when none fits or the
    content contradicts the file's extension."""
    path = Path(path)
    expected = expected_formats(path)
    head = read_head(path)
    try:
        fmt = _by_content(path, head)
    except InputError as exc:
        if expected is not None:
            signature = "no 'ElfFile' signature at its start, and " if "evtx" in expected else ""
            exc.message = f"not {_describe(expected)} as its name says: {signature}{exc.message}"
        raise
    if expected is not None and fmt not in expected:
        raise InputError(
            f"not {_describe(expected)} as its name says, but {FORMATS[fmt]}",
            path=path,
            hint=f"rename it, or read it as that with --input-format {fmt}",
        )
    return fmt


#: What a file of each extension was expected to be, in messages.
_EXPECTED = {"evtx": "a Windows event log (EVTX)", "xml": "Windows event XML", "csv": "CSV"}


def _describe(formats: frozenset[str]) -> str:
    return "JSON" if formats == _JSON else _EXPECTED[next(iter(formats))]


def _by_content(path: Path, head: bytes) -> str:
    if not head:
        problem = "the gzip data is empty or corrupt" if is_gzip(path) else "the file is empty"
        raise InputError(problem, path=path, hint="nothing to read")
    if head.startswith(EVTX_MAGIC):
        return "evtx"
    head = head.removeprefix(UTF8_BOM)
    if head.lstrip()[:5] in (b"<?xml", b"<Even"):
        return "xml"
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
    if _is_binary(head[:4096]):
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


def _is_binary(sample: bytes) -> bool:
    """NUL bytes, or more than a few control characters and invalid UTF-8 sequences."""
    if b"\0" in sample:
        return True
    text = sample.decode("utf-8", "replace")
    odd = text.count("\ufffd") + sum(
        1 for byte in sample if byte < 32 and byte not in _TEXT_CONTROLS
    )
    return odd > len(sample) * _MAX_BINARY_SHARE


def _looks_like_csv(texts: list[str]) -> bool:
    """A header of printable, non-blank names, and rows with at least as many delimiters."""
    header = texts[0]
    delimiter = guess_delimiter(header)
    if delimiter is None or "\ufffd" in header:
        return False
    names = [name.strip().strip('"') for name in header.split(delimiter)]
    if not all(name and len(name) <= 200 and name.isprintable() for name in names):
        return False
    columns = header.count(delimiter)
    return all(text.count(delimiter) >= columns for text in texts[1:])


def _hint() -> str:
    return "give the format with --input-format: " + ", ".join(FORMATS)
