"""Inline SVG charts: well-formed, escaped, scaled to their values."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from socctl.errors import InputError
from socctl.reports.svg import (
    TimelineEvent,
    bar_chart,
    donut_chart,
    stacked_bar_chart,
    timeline,
)
from socctl.timeutil import LOCAL_TZ

NS = "{http://www.w3.org/2000/svg}"
NASTY = 'Sở <b>Y tế</b> & "Tài chính"'


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    return root


def rects(root: ET.Element) -> list[dict[str, float]]:
    return [
        {key: float(rect.get(key, "0")) for key in ("x", "y", "width", "height")}
        for rect in root.iter(f"{NS}rect")
    ]


def texts(root: ET.Element) -> list[str]:
    return [text.text or "" for text in root.iter(f"{NS}text")]


def view_width(root: ET.Element) -> float:
    return float(root.get("viewBox", "").split()[2])


def test_bar_chart_scales_bars_to_the_largest_value() -> None:
    root = parse(bar_chart([("Thấp", 120), ("Cao", 30), ("Không", 0)], title="Cảnh báo"))
    longest, quarter, empty = rects(root)
    assert quarter["width"] == pytest.approx(longest["width"] / 4, rel=1e-3)
    assert empty["width"] == 0
    assert longest["x"] == quarter["x"]
    # The longest bar fills the plot: its value label ends inside the chart, close to the edge.
    label_x = float(next(t for t in root.iter(f"{NS}text") if t.text == "120").get("x", "0"))
    assert longest["x"] + longest["width"] < label_x < view_width(root)
    assert longest["x"] + longest["width"] > 0.6 * view_width(root)


def test_bar_chart_prints_values_the_vietnamese_way() -> None:
    root = parse(bar_chart([("Sự kiện", 1234567)], title="Sự kiện"))
    assert "1.234.567" in texts(root)


def test_english_charts_print_english_numbers() -> None:
    donut = parse(donut_chart([("Approved", 1), ("Draft", 2)], title="Dossiers", lang="en"))
    assert any("(33.3%)" in text for text in texts(donut))
    bars = parse(bar_chart([("Events", 1234567)], title="Events", lang="en"))
    assert "1,234,567" in texts(bars)


@pytest.mark.parametrize(
    "svg",
    [
        lambda: bar_chart([(NASTY, 3)], title=NASTY),
        lambda: stacked_bar_chart([(NASTY, [1, 2])], [NASTY, "Thấp"], title=NASTY),
        lambda: donut_chart([(NASTY, 1), ("Khác", 1)], title=NASTY),
        lambda: timeline(
            [TimelineEvent(NASTY, datetime(2026, 11, 21, 8, 30, tzinfo=LOCAL_TZ))], title=NASTY
        ),
    ],
    ids=["bar", "stacked", "donut", "timeline"],
)
def test_charts_are_well_formed_svg_with_escaped_labels_and_no_script(svg) -> None:  # type: ignore[no-untyped-def]
    markup = svg()
    root = parse(markup)
    assert root.get("aria-label") == NASTY
    assert root.find(f"{NS}title").text == NASTY  # type: ignore[union-attr]
    assert any(NASTY in text for text in texts(root))
    assert "<b>" not in markup
    assert not re.search(r"<script|\son\w+=|javascript:|href=", markup, re.I)


def test_long_labels_are_shortened_with_an_ellipsis() -> None:
    label = "Hệ thống quản lý văn bản và điều hành của Ủy ban nhân dân thành phố Hải Phòng"
    root = parse(bar_chart([(label, 1)], title="x"))
    shown = texts(root)[0]
    assert shown.endswith("…")
    assert label.startswith(shown[:-1])


def test_stacked_bars_share_one_scale_and_label_segments_and_totals() -> None:
    root = parse(
        stacked_bar_chart(
            [("Sở Y tế", [10, 30]), ("Sở Tài chính", [5, 15])], ["Cao", "Thấp"], title="x"
        )
    )
    legend = [r for r in rects(root) if r["height"] == 12]
    bars = [r for r in rects(root) if r["height"] != 12]
    assert len(legend) == 2
    first_high, first_low, second_high, second_low = bars
    assert first_low["x"] == pytest.approx(first_high["x"] + first_high["width"], abs=0.01)
    assert first_high["width"] + first_low["width"] == pytest.approx(
        2 * (second_high["width"] + second_low["width"]), rel=1e-3
    )
    assert first_low["width"] == pytest.approx(3 * first_high["width"], rel=1e-3)
    assert {"Cao", "Thấp", "40", "20", "30"} <= set(texts(root))


def test_stacked_rows_need_one_value_per_series() -> None:
    with pytest.raises(InputError, match="2 values for 3 series"):
        stacked_bar_chart([("Sở Y tế", [1, 2])], ["Cao", "Trung bình", "Thấp"], title="x")


def test_donut_slices_follow_the_shares() -> None:
    root = parse(donut_chart([("Đạt", 3), ("Chưa đạt", 1)], title="x"))
    paths = [p.get("d", "") for p in root.iter(f"{NS}path")]
    assert len(paths) == 2
    # The first slice spans 270 degrees: the large-arc flag is set; the second's is not.
    assert re.search(r"A80 80 0 1 1", paths[0])
    assert re.search(r"A80 80 0 0 1", paths[1])
    assert "Đạt: 3 (75,0%)" in texts(root)
    assert "Chưa đạt: 1 (25,0%)" in texts(root)


def test_a_single_share_is_a_full_ring_and_no_data_is_not_an_error() -> None:
    full = parse(donut_chart([("Đạt", 5)], title="x"))
    assert len(list(full.iter(f"{NS}circle"))) == 1
    empty = parse(donut_chart([("Đạt", 0), ("Chưa đạt", 0)], title="x"))
    assert "Đạt: 0 (0%)" in texts(empty)


@pytest.mark.parametrize("value", [-1, math.nan, math.inf, "3"])
def test_chart_values_must_be_finite_and_not_negative(value: object) -> None:
    with pytest.raises(InputError, match="chart values"):
        bar_chart([("x", value)], title="x")  # type: ignore[list-item]


def test_timeline_orders_events_and_places_them_in_local_time() -> None:
    start = datetime(2026, 11, 21, 1, 30, tzinfo=UTC)  # 08:30 in Hai Phong
    root = parse(
        timeline(
            [
                TimelineEvent("Báo cáo", start + timedelta(hours=2)),
                TimelineEvent("Phát hiện", start),
                TimelineEvent("Ứng cứu", start + timedelta(minutes=30), start + timedelta(hours=1)),
            ],
            title="Diễn biến",
        )
    )
    shown = texts(root)
    assert shown[:3] == ["Phát hiện", "Ứng cứu", "Báo cáo"]
    assert "09:00" in shown[3:] and "10:00" in shown[3:]
    dots = [float(c.get("cx", "0")) for c in root.iter(f"{NS}circle")]
    (span,) = rects(root)
    # Detection at 08:30, response 09:00-09:30, report at 10:30: a quarter of the span each.
    quarter = (dots[1] - dots[0]) / 4
    assert span["x"] - dots[0] == pytest.approx(quarter, rel=1e-3)
    assert span["width"] == pytest.approx(quarter, rel=1e-3)


def test_timeline_event_cannot_end_before_it_starts() -> None:
    start = datetime(2026, 11, 21, 8, 30, tzinfo=LOCAL_TZ)
    with pytest.raises(InputError, match="ends before it starts"):
        timeline([TimelineEvent("x", start, start - timedelta(minutes=1))], title="x")
