"""Data output: plain tables for pipes and files, ``-o -`` as stdout."""

from __future__ import annotations

from pathlib import Path

import pytest

from socctl.cli.output import Format, render_rows, write_text

ROWS = [
    {"id": "a", "note": "x" * 300},
    {"id": "bb", "note": "short"},
]


def test_a_plain_table_has_no_borders_and_keeps_every_row_on_one_line() -> None:
    text = render_rows(ROWS, Format.table, ["id", "note"], plain=True)
    lines = text.splitlines()
    assert len(lines) == 3 and not set(text) & set("┏┃┡│└━─")
    assert [line.split() for line in lines] == [["id", "note"], ["a", "x" * 300], ["bb", "short"]]
    assert lines[1].index("x") == lines[2].index("s") == lines[0].index("note")  # aligned
    assert all(line == line.rstrip() for line in lines)


def test_a_rich_table_is_unchanged_by_default() -> None:
    assert "┃" in render_rows(ROWS, Format.table, ["id", "note"])


def test_output_dash_is_stdout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write_text("hello\n", Path("-"))
    assert capsys.readouterr().out == "hello\n" and not (tmp_path / "-").exists()
