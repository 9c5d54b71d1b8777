"""Inline SVG charts for reports: plain markup, escaped labels, no JavaScript, readable in print.

Every chart prints its values as text beside the shapes, so a grey-scale printout still carries
the numbers. Each function returns :class:`markupsafe.Markup`, which templates insert as is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from markupsafe import Markup, escape

from socctl.errors import InputError
from socctl.i18n import number
from socctl.timeutil import LOCAL_TZ, to_utc

#: Colours that stay distinct in print and for common colour-vision deficiencies.
PALETTE = ("#1f4e79", "#c55a11", "#548235", "#bf9000", "#7030a0", "#2e75b6", "#7f7f7f")

FONT_SIZE = 14
ROW = 28
BAR = 18
PAD = 8
#: Mean advance of a character as a share of the font size (estimate: SVG cannot measure text).
CHAR_WIDTH = 0.56
#: Time-axis steps in seconds: 1, 5, 10, 15, 30 min; 1, 2, 3, 6, 12 h; 1, 2 days; 1 week.
_TICK_STEPS = (60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800)


@dataclass(frozen=True)
class TimelineEvent:
    """A moment (``end`` None) or a span on a timeline."""

    label: str
    start: datetime
    end: datetime | None = None


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    width: int = 600,
    color: str = PALETTE[0],
    digits: int = 0,
    lang: str = "vi",
) -> Markup:
    """Horizontal bars, one per ``(label, value)``; the largest value spans the plot width."""
    values = _checked([value for _, value in items])
    labels = [label for label, _ in items]
    texts = [number(value, lang, digits) for value in values]
    label_w = _label_width(labels, width)
    plot_w = width - label_w - _text_width(texts) - 2 * PAD
    peak = max(values, default=0) or 1
    parts = []
    for row, (label, value, text) in enumerate(zip(labels, values, texts, strict=True)):
        y = PAD + row * ROW
        bar_w = plot_w * value / peak
        parts += [
            _label(label, label_w, y),
            _rect(label_w, y, bar_w, color),
            _text(label_w + bar_w + 4, y + BAR / 2, text),
        ]
    return _svg(title, width, 2 * PAD + len(items) * ROW, parts)


def stacked_bar_chart(
    rows: Sequence[tuple[str, Sequence[float]]],
    series: Sequence[str],
    *,
    title: str,
    width: int = 600,
    digits: int = 0,
    lang: str = "vi",
) -> Markup:
    """Horizontal stacked bars: one row per ``(label, values)``, one value per series, a legend."""
    for label, values in rows:
        if len(values) != len(series):
            raise InputError(
                f"chart row '{label}' has {len(values)} values for {len(series)} series",
                hint="give one value per series",
            )
    totals = [sum(_checked(list(values))) for _, values in rows]
    total_texts = [number(total, lang, digits) for total in totals]
    labels = [label for label, _ in rows]
    label_w = _label_width(labels, width)
    plot_w = width - label_w - _text_width(total_texts) - 2 * PAD
    peak = max(totals, default=0) or 1
    legend_h = ROW
    parts = [_legend(series, PAD, PAD)]
    for row, ((label, values), total_text) in enumerate(zip(rows, total_texts, strict=True)):
        y = PAD + legend_h + row * ROW
        parts.append(_label(label, label_w, y))
        x = float(label_w)
        for index, value in enumerate(values):
            segment_w = plot_w * value / peak
            parts.append(_rect(x, y, segment_w, PALETTE[index % len(PALETTE)]))
            text = number(value, lang, digits)
            if value and segment_w >= _text_width([text]) + 4:
                parts.append(
                    _text(x + segment_w / 2, y + BAR / 2, text, anchor="middle", fill="#ffffff")
                )
            x += segment_w
        parts.append(_text(x + 4, y + BAR / 2, total_text))
    return _svg(title, width, 2 * PAD + legend_h + len(rows) * ROW, parts)


def donut_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    width: int = 480,
    hole: float = 0.55,
    digits: int = 0,
    lang: str = "vi",
) -> Markup:
    """A donut (``hole`` > 0) or pie (``hole`` = 0) with a legend giving values and shares."""
    values = _checked([value for _, value in items])
    total = sum(values)
    radius = 80
    cx = cy = PAD + radius
    parts = []
    angle = 0.0
    for index, value in enumerate(values):
        if not value:
            continue
        sweep = 2 * math.pi * value / total
        parts.append(_slice(cx, cy, radius, radius * hole, angle, sweep, _color(index)))
        angle += sweep
    if not total:
        parts.append(_ring(cx, cy, radius, radius * hole, "#d9d9d9"))
    legend_x = 2 * (PAD + radius) + 2 * PAD
    for index, (label, value) in enumerate(items):
        share = number(100 * value / total, lang, 1) if total else "0"
        y = PAD + index * ROW
        parts += [
            _rect(legend_x, y + 2, 12, _color(index), height=12),
            _text(
                legend_x + 18,
                y + 8,
                _fit(f"{label}: {number(value, lang, digits)} ({share}%)", width - legend_x - 18),
            ),
        ]
    height = max(2 * (PAD + radius), 2 * PAD + len(items) * ROW)
    return _svg(title, width, height, parts)


def timeline(events: Sequence[TimelineEvent], *, title: str, width: int = 600) -> Markup:
    """One row per event in time order: a dot for a moment, a bar for a span; local time axis.

    Times without an offset are local (Asia/Ho_Chi_Minh).
    """
    ordered = sorted(
        (
            TimelineEvent(event.label, to_utc(event.start), event.end and to_utc(event.end))
            for event in events
        ),
        key=lambda event: event.start,
    )
    for event in ordered:
        if event.end is not None and event.end < event.start:
            raise InputError(
                f"timeline event '{event.label}' ends before it starts",
                hint="give an end time after the start time",
            )
    first = min((event.start for event in ordered), default=datetime.now(LOCAL_TZ))
    last = max((event.end or event.start for event in ordered), default=first)
    span = max((last - first).total_seconds(), 60.0)
    same_day = first.astimezone(LOCAL_TZ).date() == last.astimezone(LOCAL_TZ).date()
    tick_format = "%H:%M" if same_day else "%d/%m %H:%M"
    label_w = _label_width([event.label for event in ordered], width)
    right_room = _text_width([first.strftime(tick_format)]) / 2 + PAD
    plot_w = width - label_w - PAD - right_room

    def x_of(moment: datetime) -> float:
        return label_w + PAD + plot_w * (moment - first).total_seconds() / span

    parts = []
    for row, event in enumerate(ordered):
        y = PAD + row * ROW
        parts.append(_label(event.label, label_w, y))
        if event.end is None:
            parts.append(
                f'<circle cx="{_n(x_of(event.start))}" cy="{_n(y + BAR / 2)}" r="5" '
                f'fill="{PALETTE[0]}"/>'
            )
        else:
            start_x = x_of(event.start)
            parts.append(_rect(start_x, y, max(x_of(event.end) - start_x, 2), PALETTE[0]))
    axis_y = PAD + len(ordered) * ROW + 4
    parts.append(
        f'<line x1="{_n(label_w + PAD)}" y1="{_n(axis_y)}" x2="{_n(label_w + PAD + plot_w)}" '
        f'y2="{_n(axis_y)}" stroke="#404040"/>'
    )
    for moment in _ticks(first, span):
        x = x_of(moment)
        parts += [
            f'<line x1="{_n(x)}" y1="{_n(axis_y)}" x2="{_n(x)}" y2="{_n(axis_y + 4)}" '
            'stroke="#404040"/>',
            _text(x, axis_y + 14, moment.strftime(tick_format), anchor="middle"),
        ]
    return _svg(title, width, axis_y + 24, parts)


def _ticks(first: datetime, span: float) -> list[datetime]:
    """Round local times (every 5 min, 1 h, 1 day...) across ``span`` seconds from ``first``."""
    weeks = math.ceil(span / 6 / _TICK_STEPS[-1]) * _TICK_STEPS[-1]
    step = next((step for step in _TICK_STEPS if span / step <= 6), weeks)
    local = first.astimezone(LOCAL_TZ)
    offset = local.utcoffset() or timedelta()
    wall = local.timestamp() + offset.total_seconds()
    start = math.ceil(wall / step) * step - wall
    count = int((span - start) // step) + 1
    return [local + timedelta(seconds=start + index * step) for index in range(count)]


def _checked(values: list[float]) -> list[float]:
    for value in values:
        if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise InputError(
                f"chart value {value!r} is not a count or measure",
                hint="chart values must be finite numbers of zero or more",
            )
    return [float(value) for value in values]


def _svg(title: str, width: int, height: float, parts: list[str]) -> Markup:
    name = escape(title)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{name}" '
        f'width="{width}" height="{_n(height)}" viewBox="0 0 {width} {_n(height)}" '
        f'font-size="{FONT_SIZE}"><title>{name}</title>{"".join(parts)}</svg>'
    )


def _text(x: float, y: float, text: str, *, anchor: str = "start", fill: str = "#000000") -> str:
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" dominant-baseline="central" '
        f'fill="{fill}">{escape(text)}</text>'
    )


def _label(label: str, label_w: float, y: float) -> str:
    """A row label, right-aligned against the plot, shortened with an ellipsis if too long."""
    return _text(label_w - PAD, y + BAR / 2, _fit(label, label_w - PAD), anchor="end")


def _rect(x: float, y: float, width: float, fill: str, *, height: float = BAR) -> str:
    return (
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(width)}" height="{_n(height)}" '
        f'fill="{escape(fill)}"/>'
    )


def _legend(series: Sequence[str], x: float, y: float) -> str:
    parts = []
    for index, name in enumerate(series):
        parts += [_rect(x, y + 2, 12, _color(index), height=12), _text(x + 16, y + 8, name)]
        x += 16 + _text_width([name]) + 2 * PAD
    return "".join(parts)


def _slice(
    cx: float, cy: float, outer: float, inner: float, start: float, sweep: float, fill: str
) -> str:
    if sweep >= 2 * math.pi - 1e-9:
        return _ring(cx, cy, outer, inner, fill)
    large = 1 if sweep > math.pi else 0
    end = start + sweep
    ox1, oy1 = _polar(cx, cy, outer, start)
    ox2, oy2 = _polar(cx, cy, outer, end)
    path = f"M{_n(ox1)} {_n(oy1)}A{_n(outer)} {_n(outer)} 0 {large} 1 {_n(ox2)} {_n(oy2)}"
    if inner > 0:
        ix2, iy2 = _polar(cx, cy, inner, end)
        ix1, iy1 = _polar(cx, cy, inner, start)
        path += f"L{_n(ix2)} {_n(iy2)}A{_n(inner)} {_n(inner)} 0 {large} 0 {_n(ix1)} {_n(iy1)}Z"
    else:
        path += f"L{_n(cx)} {_n(cy)}Z"
    return f'<path d="{path}" fill="{fill}" stroke="#ffffff" stroke-width="1"/>'


def _ring(cx: float, cy: float, outer: float, inner: float, fill: str) -> str:
    """A full circle, or a ring drawn as a thick stroke when there is a hole."""
    if inner <= 0:
        return f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(outer)}" fill="{fill}"/>'
    return (
        f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="{_n((outer + inner) / 2)}" fill="none" '
        f'stroke="{fill}" stroke-width="{_n(outer - inner)}"/>'
    )


def _polar(cx: float, cy: float, radius: float, angle: float) -> tuple[float, float]:
    """The point at ``angle`` radians clockwise from twelve o'clock."""
    return cx + radius * math.sin(angle), cy - radius * math.cos(angle)


def _color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _text_width(texts: Sequence[str]) -> float:
    return max((len(text) for text in texts), default=0) * FONT_SIZE * CHAR_WIDTH


def _label_width(labels: Sequence[str], width: int) -> float:
    """Room for the longest label, at most 40 % of the chart."""
    return min(_text_width(labels) + 2 * PAD, 0.4 * width)


def _fit(text: str, room: float) -> str:
    """``text``, cut with an ellipsis to fit ``room`` pixels."""
    limit = max(int(room / (FONT_SIZE * CHAR_WIDTH)), 1)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _n(value: float) -> str:
    """A coordinate with at most two decimals."""
    return f"{value:.2f}".rstrip("0").rstrip(".")
