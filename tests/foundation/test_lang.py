"""``--lang vi|en``: the message catalogue is complete, and the terminal speaks the language asked
for (English by default) while JSON and CSV keys stay the same."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path
from typing import get_args

import pytest
from office import SYSTEM, make_office, ok
from typer.testing import CliRunner

from socctl.cli.main import app
from socctl.i18n import LANGS, catalogue, t
from socctl.inventory.dossier import SECTIONS, Awaiting, ItemStatus, RegimeName, State
from socctl.inventory.posture import LAYERS
from socctl.inventory.regime import Deadline
from socctl.inventory.regime import StepName as RegimeStep
from socctl.inventory.system import Status
from socctl.inventory.workdays import DeadlineUnit
from socctl.trust.store import Role

REPO = Path(__file__).resolve().parents[2]
SOURCES = [*(REPO / "socctl").rglob("*.py"), *(REPO / "reports").glob("*.j2")]
#: Letters only Vietnamese uses: text holding one is Vietnamese.
VIETNAMESE = re.compile(
    r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.I
)


@pytest.fixture(autouse=True)
def _no_lang_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOCCTL_LANG", raising=False)


# --- the catalogue ----------------------------------------------------------------------------


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_has_both_languages_with_the_same_placeholders() -> None:
    for key, texts in catalogue().items():
        assert set(texts) == set(LANGS), key
        assert all(isinstance(texts[lang], str) and texts[lang].strip() for lang in LANGS), key
        assert _placeholders(texts["vi"]) == _placeholders(texts["en"]), key


def _used_keys() -> tuple[set[str], set[str]]:
    """Keys named literally in code and templates, and the prefixes of keys built at run time."""
    literal: set[str] = set()
    prefixes = {"column."}  # table headers: socctl.i18n.headers
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        literal |= set(re.findall(r"""\bt\(\s*"([\w.]+)"\s*[,)]""", text))
        prefixes |= set(re.findall(r"""\bt\(\s*f["']([\w.]+\.)\{""", text))  # t(f"state.{x}")
        prefixes |= set(re.findall(r"""\bt\(\s*"([\w.]+\.)"\s*~""", text))  # t("state." ~ x)
    return literal, prefixes


def test_every_key_the_code_and_templates_use_exists() -> None:
    literal, prefixes = _used_keys()
    assert literal, "the scan found no t(...) call"
    assert sorted(literal - set(catalogue())) == []
    for prefix in prefixes:
        assert any(key.startswith(prefix) for key in catalogue()), prefix


def test_every_message_is_used() -> None:
    literal, prefixes = _used_keys()
    unused = [k for k in catalogue() if k not in literal and not k.startswith(tuple(prefixes))]
    assert unused == []


@pytest.mark.parametrize(
    ("group", "values"),
    [
        ("state", [*State, "none"]),
        ("step", [*RegimeStep, "return"]),
        ("item_status", list(ItemStatus)),
        ("role", list(Role)),
        ("deadline_unit", list(DeadlineUnit)),
        ("deadline_start", list(get_args(Deadline.model_fields["starts"].annotation))),
        ("awaiting", list(get_args(Awaiting))),
        ("regime", list(get_args(RegimeName))),
        ("system_status", list(Status)),
        ("layer", list(LAYERS)),
        ("section", list(SECTIONS)),
    ],
)
def test_every_value_of_a_vocabulary_has_a_label(group: str, values: list[str]) -> None:
    missing = [str(v) for v in values if f"{group}.{v}" not in catalogue()]
    assert missing == []


def test_importing_i18n_reads_nothing() -> None:
    """Start-up time is measured: the catalogue is read on first use, not on import."""
    import subprocess
    import sys

    code = "import sys, socctl.i18n; print('yaml' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- the terminal -----------------------------------------------------------------------------


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    office = make_office(tmp_path)
    ok(office.ws, "dossier", "new", SYSTEM)
    return office.ws


def _title(table: str) -> str:
    """The title of a plain (piped) table: its first line."""
    return table.splitlines()[0]


def _headers(table: str) -> str:
    """The header row of a plain (piped) table with a title: its second line."""
    return table.splitlines()[1]


def test_tables_are_english_by_default_and_vietnamese_with_lang_vi(ws: Path) -> None:
    english = ok(ws, "system", "list")
    vietnamese = ok(ws, "--lang", "vi", "system", "list")
    assert not VIETNAMESE.search(_headers(english)) and not VIETNAMESE.search(_title(english))
    assert VIETNAMESE.search(_headers(vietnamese)) and VIETNAMESE.search(_title(vietnamese))
    assert SYSTEM in english and SYSTEM in vietnamese  # the data is the same


@pytest.mark.parametrize(
    "command",
    [
        ("system", "lookup", "10.10.4.5"),
        ("system", "level", SYSTEM),
        ("dossier", "check", SYSTEM),
        ("dossier", "show", SYSTEM),
        ("keys", "list"),
    ],
)
def test_each_table_title_and_header_follows_the_language(
    ws: Path, command: tuple[str, ...]
) -> None:
    english, vietnamese = ok(ws, *command), ok(ws, "--lang", "vi", *command)
    assert not VIETNAMESE.search(_headers(english))
    assert VIETNAMESE.search(_headers(vietnamese))
    assert _title(english) != _title(vietnamese)  # the title too


def test_posture_section_titles_follow_the_language(ws: Path) -> None:
    english = ok(ws, "posture")
    vietnamese = ok(ws, "--lang", "vi", "posture")
    keys = ("by_level", "dossiers", "overdue", "without_approval", "coverage", "annual")
    for key in keys:
        # each section title (up to its first placeholder) begins a line in its own language only
        en, vi = (t(f"posture.{key}", lang).split("{")[0].strip() for lang in ("en", "vi"))
        assert any(line.startswith(en) for line in english.splitlines()), en
        assert any(line.startswith(vi) for line in vietnamese.splitlines()), vi
        assert en not in vietnamese and VIETNAMESE.search(vi) and not VIETNAMESE.search(en)


def test_the_workspace_setting_chooses_the_terminal_language(ws: Path) -> None:
    config = ws / "socctl.toml"
    config.write_text('lang = "vi"\n' + config.read_text(encoding="utf-8"), encoding="utf-8")
    assert VIETNAMESE.search(_headers(ok(ws, "system", "list")))
    assert not VIETNAMESE.search(_headers(ok(ws, "--lang", "en", "system", "list")))  # flag wins


def test_the_environment_chooses_the_language_of_init(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    english = CliRunner().invoke(app, ["init", str(tmp_path / "a")])
    monkeypatch.setenv("SOCCTL_LANG", "vi")
    vietnamese = CliRunner().invoke(app, ["init", str(tmp_path / "b")])
    assert english.exit_code == vietnamese.exit_code == 0
    assert str(tmp_path / "a") in english.stdout and not VIETNAMESE.search(english.stdout)
    assert str(tmp_path / "b") in vietnamese.stdout and VIETNAMESE.search(vietnamese.stdout)


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_data_formats_do_not_change_with_the_language(ws: Path, fmt: str) -> None:
    for command in (("system", "list"), ("dossier", "check", SYSTEM), ("posture",)):
        assert ok(ws, *command, "-f", fmt) == ok(ws, "--lang", "vi", *command, "-f", fmt)
    if fmt == "json":
        assert json.loads(ok(ws, "--lang", "vi", "system", "list", "-f", "json"))[0]["id"]


def test_detect_summary_speaks_vietnamese_with_lang_vi(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no workspace: nothing is stored
    samples = REPO / "samples"
    english = CliRunner().invoke(app, ["detect", "run", "--logs", str(samples), "-f", "ndjson"])
    vietnamese = CliRunner().invoke(
        app, ["--lang", "vi", "detect", "run", "--logs", str(samples), "-f", "ndjson"]
    )
    assert english.exit_code == vietnamese.exit_code == 0
    assert english.stdout.count("\n") == vietnamese.stdout.count("\n")  # the same alerts
    summary_en, summary_vi = english.stderr.splitlines()[-1], vietnamese.stderr.splitlines()[-1]
    assert not VIETNAMESE.search(summary_en) and VIETNAMESE.search(summary_vi)
    events = re.search(r"(\d[\d,]*)", summary_en)
    assert events and events.group(1).replace(",", ".") in summary_vi  # 1.234 in Vietnamese
