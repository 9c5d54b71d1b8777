"""The dossier as reviewers read it: Vietnamese HTML in headless Chromium, PDF and Markdown, with
the signatures' verification printed."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from browser import dump_dom, elements, pdf_page_count, pdf_text, visible_text
from office import (
    EXAMPLE,
    SYSTEM,
    Office,
    approve_all,
    days_ago,
    fill,
    make_office,
    ok,
    rewrite,
    run,
)
from test_posture_render import tables

ALERT = "<script>alert(1)</script>"
#: The example system at level 4 under both regimes: the police appraise it for the Ministry.
LEVEL4 = "scada-giao-thong"
MINISTRY = "Bộ Công an (tại địa phương là Công an thành phố)"


@pytest.fixture
def office(tmp_path: Path) -> Office:
    return make_office(tmp_path)


def render(office: Office, fmt: str, target: Path, system: str = SYSTEM) -> Path:
    ok(office.ws, "dossier", "render", system, "--format", fmt, "--output", str(target))
    return target


@pytest.mark.browser
def test_an_approved_dossier_reads_as_a_vietnamese_official_document(
    office: Office, chromium: Path, tmp_path: Path
) -> None:
    approve_all(office)
    text = visible_text(dump_dom(chromium, render(office, "html", tmp_path / "d.html")))
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Hồ sơ đề xuất cấp độ an toàn hệ thống thông tin",  # upper-cased by CSS
        "Cổng dịch vụ công thành phố Hải Phòng",
        "Cấp độ 3",
        "Thành phần hồ sơ",  # ND85 Art. 15 / ND331 Art. 21
        "Nội dung thuyết minh",  # TT12 Art. 8
        "Phương án bảo đảm an toàn thông tin",
        "Đáp ứng yêu cầu an toàn theo cấp độ",  # the catalogue table
        "L3-QL-01",
        "Đã phê duyệt",
        "Phê duyệt",
        "Mọi chữ ký số hợp lệ",
    ):
        assert expected in text, expected


@pytest.mark.browser
def test_a_forged_approval_is_printed_as_invalid(
    office: Office, chromium: Path, tmp_path: Path
) -> None:
    approve_all(office)
    rewrite(office, lambda d: d["history"][-1].update(decision_number="999/QĐ-UBND"))
    text = visible_text(dump_dom(chromium, render(office, "html", tmp_path / "d.html")))
    assert "Không hợp lệ" in text
    assert "Có chữ ký số không hợp lệ" in text
    assert "Mọi chữ ký số hợp lệ" not in text


@pytest.mark.browser
def test_a_field_holding_a_script_renders_as_text(
    office: Office, chromium: Path, tmp_path: Path
) -> None:
    ok(office.ws, "dossier", "new", SYSTEM)
    rewrite(office, lambda d: d["parts"]["part.overview"].update(evidence=[{"note": ALERT}]))
    dom = dump_dom(chromium, render(office, "html", tmp_path / "d.html"))
    assert ALERT in visible_text(dom)
    assert elements(dom, "script") == []


@pytest.mark.browser
def test_the_dossier_prints_to_pdf(office: Office, chromium: Path, tmp_path: Path) -> None:
    approve_all(office)
    pdf = render(office, "pdf", tmp_path / "d.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert pdf_page_count(data) >= 2
    text = pdf_text(pdf)
    if text is not None:
        assert "HỒ SƠ ĐỀ XUẤT CẤP ĐỘ" in text and "Cấp độ 3" in text


def test_a_pdf_needs_an_output_file(office: Office) -> None:
    ok(office.ws, "dossier", "new", SYSTEM)
    result = run(office.ws, "dossier", "render", SYSTEM, "--format", "pdf")
    assert result.code == 2 and "--output" in result.error


def test_markdown_keeps_its_tables_whatever_the_fields_hold(office: Office) -> None:
    ok(office.ws, "dossier", "new", SYSTEM)
    rewrite(office, lambda d: d["parts"]["part.overview"].update(evidence=[{"note": "a | b <i>"}]))
    md = run(office.ws, "dossier", "render", SYSTEM, "--format", "md").out
    assert "## II. Thành phần hồ sơ" in md
    row = next(line for line in md.splitlines() if "a \\| b" in line)
    assert len(re.findall(r"(?<!\\)\|", row)) == 5  # four columns: the note's bar is escaped
    assert "<i>" not in md and "&lt;i&gt;" in md
    assert "| Mã | Yêu cầu | Căn cứ | Đánh giá | Minh chứng |" in md


class Level4Office(Office):
    """The office filing the level-4 example instead of the portal."""

    @property
    def dossier(self) -> Path:
        return self.ws / "dossiers" / f"{LEVEL4}.yaml"


def appraised_level4(office: Office) -> None:
    """The owner files the level-4 dossier (ND85 Art. 14.1.d) and the police appraise it."""
    ok(office.ws, "system", "add", str(EXAMPLE.with_name(f"{LEVEL4}.yaml")))
    ok(office.ws, "dossier", "new", LEVEL4)
    fill(Level4Office(office.ws, office.keys))
    ok(office.ws, "dossier", "submit", LEVEL4, "--key", office.key("owner"), "--date", days_ago(20))
    ok(
        office.ws,
        "dossier",
        "appraise",
        LEVEL4,
        "--key",
        office.key("police"),
        "--organisation",
        "Phòng An ninh mạng, Công an thành phố Hải Phòng",
        "--opinion",
        "Đủ điều kiện",
        "--date",
        days_ago(10),
    )


def markdown_table(md: str, header: str) -> list[dict[str, str]]:
    """The rows of the Markdown table whose header line starts with ``header``."""
    lines = md.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    block = itertools.takewhile(lambda line: line.startswith("|"), lines[start:])
    names, _, *rows = ([c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]] for line in block)
    return [dict(zip(names, row, strict=True)) for row in rows]


def test_markdown_names_the_authority_each_signer_acts_for(office: Office) -> None:
    appraised_level4(office)
    md = run(office.ws, "dossier", "render", LEVEL4, "--format", "md").out
    signed = {r["Bước"]: r for r in markdown_table(md, "| Bước | Ngày |")}
    assert signed["Thẩm định"]["Vai trò"] == "Công an thành phố"
    assert signed["Thẩm định"]["Thay mặt"] == MINISTRY
    assert signed["Nộp hồ sơ"]["Thay mặt"] == "Chủ quản hệ thống thông tin"
    procedure = {r["Bước"]: r for r in markdown_table(md, "| Bước | Cơ quan")}
    assert procedure["Thẩm định"]["Cơ quan, đơn vị có thẩm quyền"] == MINISTRY
    assert procedure["Phê duyệt"]["Cơ quan, đơn vị có thẩm quyền"] == "Chủ quản hệ thống thông tin"


def test_html_names_the_authority_each_signer_acts_for(office: Office, tmp_path: Path) -> None:
    appraised_level4(office)
    html = render(office, "html", tmp_path / "d.html", LEVEL4).read_text("utf-8")
    by_caption = {t.caption: t for t in tables(html, "Quá trình xử lý hồ sơ")}
    signed = {r["Bước"]: r for r in by_caption["Các bước đã ký"].records()}
    assert (signed["Thẩm định"]["Vai trò"], signed["Thẩm định"]["Thay mặt"]) == (
        "Công an thành phố",
        MINISTRY,
    )
    (procedure,) = [t for c, t in by_caption.items() if c.startswith("Trình tự")]
    steps = {r["Bước"]: r for r in procedure.records()}
    assert steps["Thẩm định"]["Cơ quan, đơn vị có thẩm quyền"] == MINISTRY
    assert steps["Thẩm định"]["Vai trò ký số"] == "Công an thành phố"


def test_a_level3_dossier_is_appraised_by_the_owners_specialised_unit(office: Office) -> None:
    """ND85 Art. 12.2.a / ND331 Art. 18.2.a: below level 4 the police take no part."""
    approve_all(office)
    md = run(office.ws, "dossier", "render", SYSTEM, "--format", "md").out
    signed = {r["Bước"]: r for r in markdown_table(md, "| Bước | Ngày |")}
    appraisal = signed["Thẩm định"]["Thay mặt"]
    assert appraisal.startswith("Đơn vị chuyên trách") and "chủ quản" in appraisal
    assert "Công an" not in md.split("## VI.")[1]
