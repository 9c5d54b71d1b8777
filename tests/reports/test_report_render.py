"""Rendering templates: escaping, strict variables, overrides and clear errors."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from socctl.errors import InputError, NotFoundError
from socctl.reports import Document, Issuer, Section, Signer, render_html, render_markdown

PAYLOAD = "<script>alert(1)</script>"


def official(**changes: object) -> Document:
    fields: dict[str, object] = {
        "title": "Báo cáo an toàn thông tin",
        "kind": "official",
        "issued": date(2026, 11, 21),
        "issuer": Issuer(parent="UBND thành phố Hải Phòng", name="Sở Khoa học và Công nghệ"),
        "number": "15/BC-SKHCN",
        "sections": [Section(heading="Tình hình chung", paragraphs=["Không có sự cố."])],
        "signer": Signer(authority="KT. GIÁM ĐỐC", title="PHÓ GIÁM ĐỐC", name="Nguyễn Văn Hải"),
        "recipients": ["Lưu: VT."],
    }
    return Document.model_validate(fields | changes)


def test_official_document_carries_the_national_header_and_date_line() -> None:
    html = render_html("base.html.j2", {"doc": official()})
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in html
    assert "Độc lập - Tự do - Hạnh phúc" in html
    assert "Hải Phòng, ngày 21 tháng 11 năm 2026" in html
    assert "Số: 15/BC-SKHCN" in html


def test_internal_document_has_no_national_header() -> None:
    html = render_html("base.html.j2", {"doc": official(kind="internal", issuer=None)})
    assert "CỘNG HÒA" not in html
    assert "21/11/2026" in html


def test_an_official_document_without_issuer_is_refused() -> None:
    with pytest.raises(ValidationError, match="issuer"):
        official(issuer=None)


def test_html_is_self_contained_with_charset_language_and_a4_print_rules() -> None:
    html = render_html("base.html.j2", {"doc": official()})
    assert '<meta charset="utf-8">' in html
    assert '<html lang="vi">' in html
    assert "size: A4" in html
    assert not re.search(r"<script|<link|<img|<iframe|\b(src|href)=|url\(|@import", html, re.I)


def test_every_field_is_escaped_in_html() -> None:
    doc = official(
        title=PAYLOAD,
        subject=PAYLOAD,
        metadata={PAYLOAD: PAYLOAD},
        sections=[Section(heading=PAYLOAD, paragraphs=[PAYLOAD])],
        signer=Signer(title=PAYLOAD, name=PAYLOAD),
        recipients=[PAYLOAD],
    )
    html = render_html("base.html.j2", {"doc": doc})
    assert "<script" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 8


def test_markdown_escapes_html_and_table_pipes() -> None:
    doc = official(metadata={"Hệ thống": "a|b " + PAYLOAD})
    text = render_markdown("base.md.j2", {"doc": doc})
    assert "**CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM**" in text
    assert "a\\|b &lt;script&gt;" in text
    assert "<script" not in text


def test_a_workspace_template_overrides_and_extends_the_shipped_ones(tmp_path: Path) -> None:
    (tmp_path / "note.html.j2").write_text(
        '{% extends "base.html.j2" %}{% block content %}<p>{{ note }}</p>{% endblock %}',
        encoding="utf-8",
    )
    (tmp_path / "_macros.html.j2").write_text(
        "{% macro national_header(doc) %}<div>TIÊU ĐỀ RIÊNG</div>{% endmacro %}"
        "{% macro title_block(doc) %}{% endmacro %}"
        "{% macro signature(doc) %}{% endmacro %}",
        encoding="utf-8",
    )
    html = render_html(
        "note.html.j2", {"doc": official(), "note": "Ghi chú"}, override_dir=tmp_path
    )
    assert "<p>Ghi chú</p>" in html
    assert "TIÊU ĐỀ RIÊNG" in html
    assert "CỘNG HÒA" not in html


def test_a_missing_value_names_the_template_line(tmp_path: Path) -> None:
    template = tmp_path / "broken.html.j2"
    template.write_text("<p>ok</p>\n<p>{{ systems_count }}</p>\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        render_html("broken.html.j2", {}, override_dir=tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{template}:2: ")
    assert "systems_count" in message


def test_a_syntax_error_names_the_template_line(tmp_path: Path) -> None:
    template = tmp_path / "broken.html.j2"
    template.write_text("<p>ok</p>\n{% if %}\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        render_html("broken.html.j2", {}, override_dir=tmp_path)
    assert str(caught.value).startswith(f"{template}:2: template syntax error")


def test_bad_data_inside_a_filter_names_the_template_line(tmp_path: Path) -> None:
    template = tmp_path / "level.html.j2"
    template.write_text("\n\n{{ level | level_vi }}\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        render_html("level.html.j2", {"level": 9}, override_dir=tmp_path)
    assert str(caught.value).startswith(f"{template}:3: '9' is not a security level")


def test_an_unknown_template_is_not_found() -> None:
    with pytest.raises(NotFoundError, match=r"no report template 'nope\.html\.j2'"):
        render_html("nope.html.j2", {})
