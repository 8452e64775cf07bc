"""Demo reports, so the archive is not empty after `make run`: the default practice themes, published
monthly reports for the last two months with completed audits, and the quarterly report of the last
quarter with completed audits, each with a short narrative, a few picked highlights and an improvement
point. Generated through the worker's own task, called directly. Idempotent: a period that has a
report already is left alone.
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from audits.models import Audit, completion_day, submitted
from quality.months import month_start, quarter_start
from quality.org.models import Membership, Role

from . import services
from .figures import parse_period
from .models import Report
from .selectors import earlier_points, period_code
from .services import PointChange
from .themes import ensure_default_themes

PROGRESS_NOTE = "Workshops held in two service areas."
AREAS_WITH_HIGHLIGHTS = 4
IMPROVEMENT_POINTS = {
    Report.Kind.MONTHLY: "Plans to be SMART, with contingency planning, in every audited case.",
    Report.Kind.QUARTERLY: "Reflective supervision recorded at least monthly for every worker.",
}


def _months_with_audits(before: date) -> list[date]:
    """The months before `before` in which audits were completed (submitted, or imported with a date)."""
    days = Audit.objects.filter(submitted()).annotate(day=completion_day()).filter(day__lt=before)
    return sorted({month_start(day) for day in days.order_by().values_list("day", flat=True).distinct()})


def _narrative(figures: dict) -> dict:
    audits = figures["audits"]
    discussion = audits.get("practitioner_discussion_pct")
    summary = f"{audits['completed']} audits were completed across {audits['service_areas']} service areas" + (
        f"; auditors discussed {discussion:.0f}% of the cases with the practitioner." if discussion else "."
    )
    return {
        "summary": summary,
        "analysis": (
            "Most audits found practice good, and the child's voice comes through more often. Planning and "
            "supervision remain the weaker areas: plans often lack timescales and contingency planning."
        ),
        "next_steps": "Practice workshops on SMART planning; service leads to dip-sample supervision records.",
    }


def _publish(kind: str, period: str, actor) -> None:
    if Report.objects.filter(kind=kind, period=period, year_to_date=False).exists():
        return
    from .tasks import generate_report

    start, end = parse_period(kind, period)
    report = Report.objects.create(
        kind=kind, period=period, period_start=start, period_end=end, requested_by=actor, progress_note="Demo"
    )
    generate_report(report.pk)
    report.refresh_from_db()
    if report.state != Report.State.DRAFT:
        return
    picked, areas = {}, set()
    for highlight in report.highlights.order_by("service_area__code", "kind", "order"):
        key = (highlight.service_area_id, highlight.kind)
        if key in picked or (highlight.service_area_id not in areas and len(areas) >= AREAS_WITH_HIGHLIGHTS):
            continue
        areas.add(highlight.service_area_id)
        picked[key] = highlight
    services.report_edit(
        actor=actor,
        report=report,
        **_narrative(report.figures),
        highlights={h.pk: (True, h.source_text) for h in picked.values()},
        points=[PointChange(None, IMPROVEMENT_POINTS[kind])],
        progress={point.pk: ("in_progress", PROGRESS_NOTE) for point in earlier_points(report)},
    )
    services.report_publish(actor=actor, report=report)


def load() -> None:
    ensure_default_themes()
    lead = Membership.objects.current().filter(role=Role.QA_LEAD).select_related("person__user").order_by("pk").first()
    actor = lead.person.user if lead else None
    this_month = month_start(timezone.localdate())
    months = _months_with_audits(this_month)[-2:]
    for month in months:
        _publish(Report.Kind.MONTHLY, period_code(Report.Kind.MONTHLY, month), actor)
    this_quarter = quarter_start(this_month)
    earlier = _months_with_audits(this_quarter)
    if earlier:
        _publish(Report.Kind.QUARTERLY, period_code(Report.Kind.QUARTERLY, earlier[-1]), actor)
