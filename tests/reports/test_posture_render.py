"""The posture report for the police and DOST: Vietnamese HTML in headless Chromium and PDF."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browser import dump_dom, elements, pdf_page_count, pdf_text, visible_text
from office import SYSTEM, Office, approve_all, office_with_examples, ok


@pytest.fixture
def office(tmp_path: Path) -> Office:
    office = office_with_examples(tmp_path)
    approve_all(office)
    return office


def report(office: Office, fmt: str, target: Path, *args: str) -> Path:
    ok(office.ws, "report", "posture", "--format", fmt, "--output", str(target), *args)
    return target


@dataclass
class Table:
    """A rendered table: the section (h2) it is in, its caption and its rows of cell texts."""

    section: str
    caption: str = ""
    rows: list[list[str]] = field(default_factory=list)

    def records(self) -> list[dict[str, str]]:
        """The body rows keyed by the header row's cells."""
        header, *body = self.rows
        return [dict(zip(header, row, strict=True)) for row in body]


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.section = ""
        self.tables: list[Table] = []
        self.text: list[str] | None = None  # the h2, caption or cell being read

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append(Table(self.section))
        elif tag == "tr" and self.tables:
            self.tables[-1].rows.append([])
        elif tag in ("h2", "caption", "td", "th"):
            self.text = []

    def handle_endtag(self, tag: str) -> None:
        if self.text is None or tag not in ("h2", "caption", "td", "th"):
            return
        text = re.sub(r"\s+", " ", " ".join(self.text)).strip()
        self.text = None
        if tag == "h2":
            self.section = text
        elif tag == "caption":
            self.tables[-1].caption = text
        else:
            self.tables[-1].rows[-1].append(text)

    def handle_data(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)


def tables(html: str, section: str) -> list[Table]:
    """The tables of the section whose heading contains ``section``."""
    parser = _Tables()
    parser.feed(html)
    parser.close()
    return [t for t in parser.tables if section in t.section]


def test_annual_reports_name_the_authorities_the_law_names(office: Office, tmp_path: Path) -> None:
    """TT12 Art. 13.4 / ND331 Art. 35.4: units report to the owner before 20/12, the owner to the
    Ministry of Public Security before 25/12 (not to the city police, who only appraise locally)."""
    html = report(office, "html", tmp_path / "p.html", "--as-of", "2026-11-22").read_text("utf-8")
    (table,) = tables(html, "Báo cáo định kỳ hằng năm")
    rows = table.records()
    assert {r["Trước ngày"] for r in rows} == {"20/12/2026", "25/12/2026"}
    for row in rows:
        if row["Trước ngày"] == "20/12/2026":
            assert "đơn vị vận hành" in row["Đơn vị báo cáo"]
            assert row["Gửi"] == "Chủ quản hệ thống thông tin"
        else:
            assert row["Đơn vị báo cáo"] == "Chủ quản hệ thống thông tin"
            assert row["Gửi"] == "Bộ Công an"
        for raw in ("it_officer", "specialised_unit", "owner", "police"):
            assert raw not in row["Đơn vị báo cáo"] + row["Gửi"]


@pytest.mark.browser
def test_the_posture_report_reads_in_vietnamese_with_its_charts(
    office: Office, chromium: Path, tmp_path: Path
) -> None:
    dom = dump_dom(chromium, report(office, "html", tmp_path / "p.html"))
    text = visible_text(dom)
    for expected in (
        "Báo cáo tình hình bảo đảm an toàn hệ thống thông tin theo cấp độ",
        "Hệ thống thông tin theo cấp độ và trạng thái",
        "Hồ sơ đề xuất cấp độ",
        "Đã phê duyệt",
        "Chưa có hồ sơ",
        "Hệ thống đang vận hành chưa được phê duyệt cấp độ",
        "Bảo vệ theo mô hình 4 lớp",
        "Lực lượng tại chỗ",
        "Báo cáo định kỳ hằng năm",
        "Cổng dịch vụ công thành phố Hải Phòng",
    ):
        assert expected in text, expected
    assert len(elements(dom, "svg")) == 3
    assert elements(dom, "script") == []


@pytest.mark.browser
def test_a_system_name_holding_a_script_renders_as_text(
    office: Office, chromium: Path, tmp_path: Path
) -> None:
    system_file = office.ws / "systems" / f"{SYSTEM}.yaml"
    text = system_file.read_text(encoding="utf-8")
    system_file.write_text(
        text.replace("name: Cổng dịch vụ công", "name: <script>alert(1)</script> Cổng", 1), "utf-8"
    )
    dom = dump_dom(chromium, report(office, "html", tmp_path / "p.html"))
    assert "<script>alert(1)</script> Cổng" in visible_text(dom)
    assert elements(dom, "script") == []


@pytest.mark.browser
def test_the_posture_report_prints_to_pdf(office: Office, chromium: Path, tmp_path: Path) -> None:
    pdf = report(office, "pdf", tmp_path / "p.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and pdf_page_count(data) >= 1
    text = pdf_text(pdf)
    if text is not None:
        assert "BÁO CÁO TÌNH HÌNH BẢO ĐẢM AN TOÀN" in text
