"""``report drill-plan``: the plan in Vietnamese with its Gantt chart (HTML DOM), and as PDF."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from plan_helpers import make_workspace, ok, plan, run, write_planning


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rects: list[dict[str, str | None]] = []
        self.rows = 0
        self.text: list[str] = []
        self._body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "rect":
            self.rects.append(dict(attrs))
        self._body = self._body or tag == "tbody"
        if tag == "tr" and self._body:
            self.rows += 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_report_has_one_bar_and_one_row_per_drill_in_vietnamese(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", {"a": {}, "b": {}, "c": {"name": "<script>x</script>"}})
    write_planning(ws, {"max_parallel": 1})
    drills = plan(ws)
    html = ok(ws, "report", "drill-plan", "--year", "2027", "--as-of", "2026-12-06")
    dom = _Dom()
    dom.feed(html)
    assert len(dom.rects) == len(drills) == dom.rows == 3
    xs = sorted(float(r["x"] or 0) for r in dom.rects)
    assert xs[0] < xs[1] < xs[2]  # one after the other (max_parallel 1)
    text = " ".join(dom.text)
    assert "Kế hoạch diễn tập thực chiến năm 2027" in text and "Cơ quan phòng thủ" in text
    assert "<script>x</script>" in text and "<script>x" not in html.replace("&lt;script&gt;", "")
    assert "04/01/2027" in text  # dd/mm/yyyy


def test_report_without_a_plan_is_refused(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", {"a": {}})
    result = run(ws, "report", "drill-plan", "--year", "2027")
    assert result.code == 3 and "drill plan --year 2027" in result.error


@pytest.mark.browser
def test_report_prints_to_pdf(tmp_path: Path, chromium: Path) -> None:
    ws = make_workspace(tmp_path / "ws", {"a": {}})
    plan(ws)
    pdf = tmp_path / "plan.pdf"
    ok(ws, "report", "drill-plan", "--year", "2027", "-f", "pdf", "-o", str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF")
