"""The drill plan report: a Gantt chart (inline SVG) and the context of ``drill-plan.html.j2``."""

from __future__ import annotations

from datetime import date
from typing import Any

from markupsafe import Markup

from socctl.drills.planning import Plan
from socctl.reports import Document
from socctl.reports.svg import BAR, PAD, PALETTE, ROW, _label, _label_width, _rect, _svg, _text
from socctl.timeutil import format_date_vi

MONTHS = ("T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "T10", "T11", "T12")


def gantt(plan: Plan, *, width: int = 960) -> Markup:
    """One row per drill across the year, months marked; bars coloured by level."""
    first = date(plan.year, 1, 1)
    days = (date(plan.year, 12, 31) - first).days + 1
    labels = [d.system for d in plan.drills]
    label_w = _label_width(labels, width)
    plot_w = width - label_w - 2 * PAD

    def x_of(day: date) -> float:
        return label_w + plot_w * (day - first).days / days

    parts = []
    height = PAD + ROW + len(plan.drills) * ROW
    for month, name in enumerate(MONTHS, start=1):
        x = x_of(date(plan.year, month, 1))
        parts += [
            f'<line x1="{x:.2f}" y1="{PAD}" x2="{x:.2f}" y2="{height:.2f}" stroke="#bfbfbf"/>',
            _text(x + 4, PAD + BAR / 2, name),
        ]
    for row, drill in enumerate(plan.drills):
        y = PAD + ROW + row * ROW
        start = x_of(drill.start)
        end = x_of(drill.end) + plot_w / days
        parts += [
            _label(drill.system, label_w, y),
            _rect(start, y, max(end - start, 2), PALETTE[(drill.level or 3) - 3]),
        ]
    return _svg(f"Kế hoạch diễn tập thực chiến năm {plan.year}", width, height + PAD, parts)


def report_context(plan: Plan, issued: date) -> dict[str, Any]:
    """What ``drill-plan.html.j2`` prints: the document frame, the plan and its Gantt chart."""
    doc = Document(
        title=f"Kế hoạch diễn tập thực chiến năm {plan.year}",
        issued=issued,
        subject="Diễn tập thực chiến phòng thủ không gian mạng cho các hệ thống thông tin cấp độ 3 trở lên (Chỉ thị 18/CT-TTg)",
        metadata={
            "Số hệ thống": str(len(plan.drills)),
            "Ngày lập": format_date_vi(issued),
            "Tối đa song song": str(plan.max_parallel),
            "Năng lực đội tấn công (cuộc/tuần)": str(plan.red_team_drills_per_week),
        },
    )
    return {"doc": doc, "plan": plan, "chart": gantt(plan)}
