"""A sample official document as reviewers see it: in headless Chromium and printed to PDF."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from browser import (
    A4_WINDOW,
    dump_dom,
    elements,
    pdf_page_count,
    pdf_text,
    screenshot,
    visible_text,
)

from socctl.reports import Document, Issuer, Signer, render_html, write_pdf
from socctl.reports.svg import bar_chart

pytestmark = pytest.mark.browser

TEMPLATES = Path(__file__).resolve().parent / "templates"
ALERT = "<script>alert(1)</script>"
#: Would leave a mark on the page if it ran.
MARKER = "<script>document.body.setAttribute('data-xss', '1')</script>"
IMAGE = "<img src=x onerror=\"document.body.setAttribute('data-xss', '2')\">"


def sample_context() -> dict[str, object]:
    doc = Document(
        title="Báo cáo tình hình bảo đảm an toàn thông tin",
        kind="official",
        issued=date(2026, 11, 21),
        issuer=Issuer(parent="UBND thành phố Hải Phòng", name="Sở Khoa học và Công nghệ"),
        number="15/BC-SKHCN",
        subject="Về kết quả giám sát an toàn thông tin tháng 11 năm 2026",
        metadata={"Kỳ báo cáo": "01/11/2026 - 21/11/2026", "Ghi chú": MARKER},
        signer=Signer(authority="KT. GIÁM ĐỐC", title="PHÓ GIÁM ĐỐC", name="Nguyễn Văn Hải"),
        recipients=["Công an thành phố (PA05);", "Lưu: VT, CNTT."],
    )
    systems = [
        {
            "name": "Cổng thông tin điện tử thành phố",
            "operator": "Sở Khoa học và Công nghệ",
            "level": 3,
            "hosts": 1250,
            "status": "Đạt",
            "tone": "ok",
        },
        {
            "name": ALERT,
            "operator": IMAGE,
            "level": 2,
            "hosts": 8,
            "status": "Chưa đạt",
            "tone": "fail",
        },
    ]
    chart = bar_chart(
        [("Nghiêm trọng", 4), ("Cao", 17), ("Trung bình", 42), ("Thấp", 120)],
        title="Số cảnh báo theo mức độ",
    )
    return {
        "doc": doc,
        "intro": "Trong kỳ, hệ thống đã thu thập 1.234.567 sự kiện.",
        "systems": systems,
        "chart": chart,
    }


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    html = render_html("sample_official.html.j2", sample_context(), override_dir=TEMPLATES)
    page = tmp_path_factory.mktemp("sample") / "sample.html"
    page.write_text(html, encoding="utf-8")
    return page, html


@pytest.fixture(scope="module")
def dom(sample: tuple[Path, str], chromium: Path) -> str:
    return dump_dom(chromium, sample[0])


def test_visible_text_keeps_the_header_and_vietnamese_diacritics(dom: str) -> None:
    text = visible_text(dom)
    in_order = [
        "UBND THÀNH PHỐ HẢI PHÒNG",
        "SỞ KHOA HỌC VÀ CÔNG NGHỆ",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 15/BC-SKHCN",
        "Hải Phòng, ngày 21 tháng 11 năm 2026",
        "BÁO CÁO TÌNH HÌNH BẢO ĐẢM AN TOÀN THÔNG TIN",
        "Cổng thông tin điện tử thành phố",
        "Cấp độ 3",
        "1.250",
        "Đạt",
        "Nghiêm trọng",
        "Hình 1. Số cảnh báo theo mức độ",
        "Nơi nhận:",
        "KT. GIÁM ĐỐC",
        "Nguyễn Văn Hải",
    ]
    # CSS upper-cases the header lines; the DOM keeps the text as written.
    upper = text.upper()
    position = 0
    for expected in in_order:
        found = upper.find(expected.upper(), position)
        assert found >= 0, f"{expected!r} missing or out of order in: {text}"
        position = found
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "Cấp độ 3" in text


def test_the_chart_is_inline_svg_with_readable_labels(dom: str) -> None:
    assert len(elements(dom, "svg")) == 1
    assert "Trung bình 42" in visible_text(dom)


def test_fields_holding_markup_render_as_text_and_never_run(dom: str) -> None:
    text = visible_text(dom)
    assert ALERT in text
    assert MARKER in text
    assert IMAGE in text
    assert elements(dom, "script") == []
    assert elements(dom, "img") == []
    assert all("data-xss" not in attrs for attrs in elements(dom, "body"))


def test_screenshot_has_the_requested_size(
    sample: tuple[Path, str], chromium: Path, tmp_path: Path
) -> None:
    png = tmp_path / "sample.png"
    assert screenshot(chromium, sample[0], png) == A4_WINDOW
    assert png.stat().st_size > 10_000  # a rendered page, not a blank image


def test_pdf_from_the_same_html(sample: tuple[Path, str], chromium: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "sample.pdf"
    write_pdf(sample[1], target)
    data = target.read_bytes()
    assert data.startswith(b"%PDF-")
    assert pdf_page_count(data) >= 1
    text = pdf_text(target)
    if text is None:
        pytest.skip("pdftotext (poppler-utils) not installed: PDF text not checked")
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "ngày 21 tháng 11 năm 2026" in text
    assert "Cấp độ 3" in text
