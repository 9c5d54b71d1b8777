"""Bad YAML input: one clear error naming the file, the line, the field and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from socctl.errors import InputError
from socctl.storage.yamlio import load_model, load_yaml


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    phone: str | None = None


class Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    year: int
    contacts: list[Contact] = []


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "doc.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        load_model(path, Doc)
    return info.value


def test_unknown_field_names_file_line_field_and_fix(tmp_path: Path) -> None:
    path = write(tmp_path, "id: a\nyear: 2026\ncontacts:\n  - name: Lan\n    phone_no: '0901'\n")
    err = error_of(path)
    assert str(err) == (
        f"{path}:5: unknown field 'contacts.0.phone_no' (remove it or check its spelling)"
    )


def test_wrong_type_points_at_the_value(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "id: a\nyear: two thousand\n"))
    assert err.line == 2 and "field 'year'" in err.message and err.hint


def test_missing_field(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "id: a\n"))
    assert "missing field 'year'" in err.message and err.hint == "add it"


def test_syntax_error_has_a_line(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "id: a\nyear: [2026\nname: x\n"))
    assert "not valid YAML" in err.message and err.line is not None


def test_alias_bomb_is_refused_not_expanded(tmp_path: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    with pytest.raises(InputError, match="alias"):
        load_yaml(write(tmp_path, "\n".join(lines) + "\n"))


def test_python_tags_are_not_executed(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read value"):
        load_yaml(write(tmp_path, "x: !!python/object/apply:os.system ['true']\n"))


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "doc.yaml"
    path.write_bytes(b"id: \xff\xfe\n")
    with pytest.raises(InputError, match="not UTF-8"):
        load_yaml(path)


def test_valid_document_loads_with_vietnamese_text(tmp_path: Path) -> None:
    doc = load_model(
        write(tmp_path, "id: a\nyear: 2026\ncontacts: [{name: Nguyễn Thị Lan}]\n"), Doc
    )
    assert doc.contacts[0].name == "Nguyễn Thị Lan"


def test_impossible_date_names_its_line(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_yaml(write(tmp_path, "id: a\nsince: 2026-01-10\nuntil: 2026-02-30\n"))
    assert info.value.line == 3 and "impossible value" in info.value.message


def test_a_key_given_twice_is_refused_with_its_line(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_yaml(write(tmp_path, "id: a\nyear: 2026\ncontacts: []\nyear: 2027\n"))
    assert info.value.line == 4 and "'year' appears twice" in info.value.message
