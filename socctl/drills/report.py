"""What ``reports/drill-report.html.j2`` prints: the drill's results for the police and DOST."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from socctl.drills.journal import JournalCheck
from socctl.drills.score import ScoreSheet
from socctl.drills.spec import DrillSpec, TeamRole
from socctl.reports.document import Document
from socctl.reports.svg import TimelineEvent, bar_chart, timeline
from socctl.timeutil import format_date_vi

#: Severity ratings from the highest, as the findings table orders them.
RATINGS = ("critical", "high", "medium", "low", "none")
RATING_VI = {
    "critical": "Nghiêm trọng",
    "high": "Cao",
    "medium": "Trung bình",
    "low": "Thấp",
    "none": "Không",
}
ROLE_VI = {"red": "Đội tấn công", "blue": "Đội phòng thủ", "controller": "Ban tổ chức"}


def report_context(spec: DrillSpec, sheet: ScoreSheet, check: JournalCheck) -> dict[str, Any]:
    """The document, the score sheet and the charts of the report (Vietnamese)."""
    doc = Document(
        title="BÁO CÁO KẾT QUẢ DIỄN TẬP THỰC CHIẾN AN TOÀN THÔNG TIN MẠNG",
        lang="vi",
        issued=(spec.closed_at or spec.window.end).date(),
        subject=spec.title,
        metadata={
            "Mã cuộc diễn tập": spec.id,
            "Thời gian": f"{format_date_vi(spec.window.start)} – {format_date_vi(spec.window.end)}",
            "Mô hình chấm điểm": f"{sheet.model_id} phiên bản {sheet.model_version}",
            "Mã băm nhật ký (SHA-256)": sheet.journal_digest,
        },
        recipients=["Công an thành phố Hải Phòng", "Sở Khoa học và Công nghệ", "Lưu: VT"],
    )
    events = [
        TimelineEvent(f"{s.step_id} {s.technique}", datetime.fromisoformat(s.at))
        for s in sheet.step_rows
    ]
    names = {t.id: t.name for t in spec.teams}
    by_rating = {r: [f for f in sheet.finding_rows if f.rating == r] for r in RATINGS}
    return {
        "doc": doc,
        "spec": spec,
        "sheet": sheet,
        "check": check,
        "team_names": names,
        "roles": ROLE_VI,
        "ratings": RATING_VI,
        "findings_by_rating": [(r, by_rating[r]) for r in RATINGS if by_rating[r]],
        "blue_teams": [t for t in sheet.teams if t.role == TeamRole.blue.value],
        "red_teams": [t for t in sheet.teams if t.role == TeamRole.red.value],
        "charts": {
            "timeline": timeline(events, title="Dòng thời gian các bước tấn công"),
            "tactics": bar_chart(
                [(g.key, g.rate * 100) for g in sheet.tactics],
                title="Tỉ lệ phát hiện theo chiến thuật ATT&CK (%)",
                lang="vi",
            ),
        },
    }
