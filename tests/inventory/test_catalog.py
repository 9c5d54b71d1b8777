"""The TT12 requirement catalogue: counts per level and group, ids, and the annex text itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from socctl.errors import InputError, NotFoundError
from socctl.inventory.catalog import Catalog, catalog_path, load_catalog, load_catalog_file

LEGAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "legal"
TT12 = LEGAL / "tt-12-2022-tt-btttt-chi-tiet-nd-85-2016.txt"
ANNEX = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V"}

#: Items per level, counted from TT12 Annexes I-V (assessments/README.md explains the count):
#: management (leaf rows + the two plans 1.6, 1.7), network zones, design measures, configuration.
COUNTS = {
    1: (15, 3, 3, 13),
    2: (18, 5, 6, 17),
    3: (22, 7, 16, 21),
    4: (22, 8, 17, 21),
    5: (22, 8, 19, 21),
}


@pytest.mark.parametrize("level", [1, 2, 3, 4, 5])
def test_item_count_per_level_and_group(level: int) -> None:
    counts = load_catalog("nd85", level).counts()
    management, zones, measures, configuration = COUNTS[level]
    assert counts["management"] == management
    assert counts["network_zones"] == zones
    assert counts["design_measures"] == measures
    assert counts["technical_design"] == zones + measures
    assert counts["technical_configuration"] == configuration


@pytest.mark.parametrize("level", [1, 2, 3, 4, 5])
def test_ids_are_numbered_in_annex_order_per_prefix(level: int) -> None:
    catalog = load_catalog("nd85", level)
    for prefix in ("QL", "VM", "TK", "CH"):
        ids = [i.id for i in catalog.items if i.id.split("-")[1] == prefix]
        assert ids == [f"L{level}-{prefix}-{n:02d}" for n in range(1, len(ids) + 1)]


@pytest.mark.parametrize("level", [1, 2, 3, 4, 5])
def test_tcvn_clauses_sit_in_the_chapter_of_the_level(level: int) -> None:
    """TCVN 11930:2017 clauses 5-9 hold levels 1-5; x.1 management, x.2 technical."""
    catalog = load_catalog("nd85", level)
    for item in catalog.by_group("management") + catalog.by_group("technical_configuration"):
        if item.subgroup in ("risk_management", "end_of_life"):
            assert item.tcvn is None  # the annex gives none for the two plans
            continue
        chapter, part = (item.tcvn or "").split(".")[:2]
        assert int(chapter) == level + 4, item
        assert part == ("1" if item.group == "management" else "2"), item


def test_design_measures_grow_with_the_level() -> None:
    """SIEM from level 3, privileged-account management from level 4, a site ≥30 km at level 5."""

    def mentions(level: int, words: str) -> bool:
        return any(
            words in i.text for i in load_catalog("nd85", level).by_subgroup("design_measures")
        )

    siem = "Quản lý và phân tích sự kiện an toàn thông tin"
    pam = "Quản lý tài khoản đặc quyền"
    standby = "tối thiểu 30 km"
    assert [mentions(lvl, siem) for lvl in (2, 3)] == [False, True]
    assert [mentions(lvl, pam) for lvl in (3, 4)] == [False, True]
    assert [mentions(lvl, standby) for lvl in (4, 5)] == [False, True]


def test_nd331_uses_the_tt12_catalogue_for_now() -> None:
    assert load_catalog("nd331", 3) == load_catalog("nd85", 3)


def test_an_item_is_found_by_id_and_an_unknown_id_is_a_clear_error() -> None:
    catalog = load_catalog("nd85", 3)
    assert catalog.item("L3-CH-01").text == "Kiểm soát truy cập từ bên ngoài mạng"
    with pytest.raises(NotFoundError, match="'L3-QL-99' is not an item of the level-3 catalogue"):
        catalog.item("L3-QL-99")


@pytest.mark.parametrize("level", [0, 6])
def test_there_are_five_levels(level: int) -> None:
    with pytest.raises(NotFoundError, match=f"there is no level {level}"):
        load_catalog("nd85", level)


# --- the catalogue against the Official Gazette text -----------------------------------------


def annexes() -> dict[str, str]:
    """Each annex of TT12, page headers removed and all whitespace dropped (the PDF extraction
    breaks words: "Ki ểm soát")."""
    if not TT12.is_file():
        pytest.skip(f"TT12 text not found at {TT12} (../shared/reference beside the repository)")
    text = TT12.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^.*CÔNG BÁO/Số 705 \+ 706/Ngày 28-8-2022.*$", "", text)
    parts = re.split(r"(?m)^Phụ lục ([IVX]+)\s*$", text)
    return {
        name: re.sub(r"\s+", "", body) for name, body in zip(parts[1::2], parts[2::2], strict=True)
    }


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("level", [1, 2, 3, 4, 5])
def test_every_item_is_in_its_annex_with_its_number_and_clause(level: int) -> None:
    annex = annexes()[ANNEX[level]]
    for item in load_catalog("nd85", level).items:
        if item.group == "technical_design":  # "xvi. <text>;" or "<text>." as a whole line
            roman = item.ref.rsplit(".", 1)[-1]
            found = any(squash(f"{roman}. {item.text}{end}") in annex for end in ";.")
        else:  # a table row: number, text, TCVN clause
            number = item.ref.split(" ")[-1]
            clause = f" Mục {item.tcvn}" if item.tcvn else ""
            found = squash(f"{number} {item.text}{clause}") in annex
        assert found, f"{item.id} ({item.ref}) not found in Annex {ANNEX[level]}"


@pytest.mark.parametrize("level", [1, 2, 3, 4, 5])
def test_the_annex_has_no_row_the_catalogue_misses(level: int) -> None:
    """Recount from the text: table rows 1.x.y, the plans 1.6-1.7 and the i., ii. … design lines."""
    if not TT12.is_file():
        pytest.skip(f"TT12 text not found at {TT12}")
    text = TT12.read_text(encoding="utf-8")
    parts = re.split(r"(?m)^Phụ lục ([IVX]+)\s*$", text)
    body = dict(zip(parts[1::2], parts[2::2], strict=True))[ANNEX[level]]
    rows = len(re.findall(r"(?m)^\s*1\.\d\.\d+\s", body)) + len(
        re.findall(r"(?m)^\s*1\.[67]\s", body)
    )
    design_lines = len(re.findall(r"(?m)^\s*[ivx]+\.\s", body))
    management, zones, measures, configuration = COUNTS[level]
    assert rows == management + configuration
    assert design_lines == zones + measures


# --- bad catalogue data ------------------------------------------------------------------------


def broken_copy(tmp_path: Path, old: str, new: str, level: int = 3) -> Path:
    text = catalog_path("tt12", level).read_text(encoding="utf-8")
    assert old in text
    folder = tmp_path / "tt12"
    folder.mkdir()
    path = folder / f"level-{level}.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_wrong_group_names_file_and_line(tmp_path: Path) -> None:
    path = broken_copy(
        tmp_path,
        "  group: management\n  subgroup: policy",
        "  group: managment\n  subgroup: policy",
    )
    with pytest.raises(InputError) as err:
        load_catalog_file(path)
    assert err.value.path == str(path) and err.value.line is not None
    assert "items.0.group" in str(err.value)
    assert "managment" in path.read_text(encoding="utf-8").splitlines()[err.value.line - 1]


def test_an_id_of_another_level_is_refused(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, "id: L3-QL-02", "id: L4-QL-02")
    with pytest.raises(InputError, match="must start with L3-QL-"):
        load_catalog_file(path)


def test_a_duplicate_id_is_refused(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, "id: L3-QL-02", "id: L3-QL-01")
    with pytest.raises(InputError, match="'L3-QL-01' appears twice"):
        load_catalog_file(path)


def test_a_file_named_for_another_level_is_refused(tmp_path: Path) -> None:
    text = catalog_path("tt12", 3).read_text(encoding="utf-8")
    (tmp_path / "tt12").mkdir()
    path = tmp_path / "tt12" / "level-2.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=r"name it level-3\.yaml"):
        load_catalog_file(path)


def test_the_model_rejects_unknown_fields() -> None:
    data = {
        "catalog": "tt12",
        "level": 1,
        "annex": "I",
        "title": "t",
        "source": "s",
        "standard": "TCVN 11930:2017",
        "subgroups": [],
        "items": [],
        "extra": 1,
    }
    with pytest.raises(ValueError, match="extra"):
        Catalog.model_validate(data)
