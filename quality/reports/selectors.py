"""Reads of reports shared by the pages, the services and the downloads.

- Labels: `period_label` ("November 2026", "Q4 2026 (October to December)", "2026, year to date
  (1 January to 30 November)") and `report_title`.
- Lists: `reports_listed` (the archive, in a fixed number of queries), `open_report_for`.
- One report: `figures_for(user, report)` (the figures as that person may see them: a service lead
  gets only the sections of their own areas; the figures themselves are never filtered when stored),
  `highlights_for`, `earlier_points` (the improvement points a quarterly or annual report records
  progress on). A theme count links to the audit list (quality.reports.themes.theme_audits_url):
  the figures hold no audit ids.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from django.db.models import F, QuerySet
from django.utils import timezone

from quality.access import Action, can, grant_for, visible
from quality.months import quarter_of
from quality.org.models import ServiceArea

from .models import Highlight, ImprovementPoint, PracticeTheme, Report
from .themes import theme_audits_url

# A report still queued this long after its last sign of life has lost its worker (the task's hard
# time limit is shorter, so a report being worked on is never taken for one that is stranded).
STRANDED_AFTER = timedelta(minutes=15)

QUARTER_MONTHS = {1: "January to March", 2: "April to June", 3: "July to September", 4: "October to December"}


def period_code(kind: str, start: date) -> str:
    """The period's code from its first day: 2026-11, 2026-Q4 or 2026."""
    if kind == Report.Kind.MONTHLY:
        return f"{start:%Y-%m}"
    if kind == Report.Kind.QUARTERLY:
        return f"{start.year}-Q{quarter_of(start)}"
    return str(start.year)


def period_label(kind: str, period: str, *, year_to_date: bool = False, period_end: date | None = None) -> str:
    """The period as people say it."""
    if kind == Report.Kind.MONTHLY:
        year, month = (int(part) for part in period.split("-"))
        return f"{calendar.month_name[month]} {year}"
    if kind == Report.Kind.QUARTERLY:
        year, quarter = period.upper().split("-Q")
        return f"Q{quarter} {year} ({QUARTER_MONTHS[int(quarter)]})"
    if year_to_date and period_end is not None:
        return f"{period}, year to date (1 January to {period_end.day} {calendar.month_name[period_end.month]})"
    return period


def report_title(report: Report) -> str:
    label = period_label(report.kind, report.period, year_to_date=report.year_to_date, period_end=report.period_end)
    return f"{report.get_kind_display()}, {label}"


def is_stranded(report: Report, *, now=None) -> bool:
    """Queued, and no sign of life for STRANDED_AFTER: its task never ran or its worker died."""
    now = now or timezone.now()
    return report.state == Report.State.QUEUED and report.updated_at < now - STRANDED_AFTER


# -- lists --

UNPUBLISHED = (Report.State.QUEUED, Report.State.DRAFT, Report.State.FAILED)


def reports_for(user) -> QuerySet[Report]:
    """The reports this person may open: published and superseded ones for every reader; drafts,
    reports being generated and failed ones only for those who manage reports."""
    queryset = visible(user, Report.objects.all())
    if not can(user, Action.MANAGE_REPORTS):
        queryset = queryset.filter(state__in=(Report.State.PUBLISHED, Report.State.SUPERSEDED))
    return queryset


def reports_listed(user, *, kind: str | None = None) -> list[Report]:
    """The archive: one query, whatever the number of reports (the correction of each comes with it)."""
    queryset = reports_for(user).select_related("superseded_by", "published_by")
    if kind:
        queryset = queryset.filter(kind=kind)
    return list(queryset.order_by("kind", "-period_start", "-period_end", "-pk"))


def open_report_for(kind: str, period: str, year_to_date: bool) -> Report | None:
    """The report being worked on (queued or draft) for the period, if any."""
    return (
        Report.objects.filter(kind=kind, period=period, year_to_date=year_to_date)
        .filter(state__in=(Report.State.QUEUED, Report.State.DRAFT))
        .first()
    )


# -- one report --


def area_codes_for(user) -> set[str] | None:
    """The codes of the service areas whose sections this person sees; None for every area."""
    grant = grant_for(user)
    if grant.all_areas:
        return None
    return set(ServiceArea.objects.filter(pk__in=grant.area_ids).values_list("code", flat=True))


def without_audit_ids(figures: dict) -> dict:
    """The figures without the audit ids that reports made before theme links held in each theme
    (`audit_ids`): they are never shown or written out again. A new dict; the stored one is unchanged."""
    themes = figures.get("themes")
    if not themes or not any("audit_ids" in theme for theme in themes):
        return dict(figures)
    return {**figures, "themes": [{k: v for k, v in theme.items() if k != "audit_ids"} for theme in themes]}


def figures_for(user, report: Report) -> dict | None:
    """The report's figures as this person may see them. Counts across all areas are shown to every
    reader; the rows and lists about one service area (the service-area table, exemplars, the
    highlight candidates and the other evidence's rows by service area) only for the person's own
    areas, unless they see every area.

    A new top-level dict over the stored figures (whose rows are shared, never changed): the sections
    narrowed here are replaced, not edited."""
    if report.figures is None:
        return None
    scoped = without_audit_ids(report.figures)
    codes = area_codes_for(user)
    if codes is None:
        return scoped
    scoped["by_service_area"] = [row for row in scoped.get("by_service_area", []) if row["code"] in codes]
    scoped["exemplars"] = [row for row in scoped.get("exemplars", []) if row["service_area"] in codes]
    scoped["highlight_candidates"] = [
        row for row in scoped.get("highlight_candidates", []) if row["service_area"] in codes
    ]
    if scoped.get("evidence"):
        scoped["evidence"] = _evidence_for(scoped["evidence"], codes)
    scoped["scoped_to_areas"] = sorted(codes)
    return scoped


EVIDENCE_BY_AREA = ("observations", "benchmarking", "complaints")  # the sources with rows per service area


def _evidence_for(evidence: dict, codes: set[str]) -> dict:
    """The other evidence with only the rows of `codes` in each source's `by_service_area`: new dicts
    for the evidence and each source narrowed (the stored ones are shared, never changed)."""
    narrowed = dict(evidence)
    for source in EVIDENCE_BY_AREA:
        if narrowed.get(source):
            rows = narrowed[source].get("by_service_area", [])
            narrowed[source] = {**narrowed[source], "by_service_area": [row for row in rows if row["code"] in codes]}
    return narrowed


def highlights_for(user, report: Report, *, included_only: bool) -> list[Highlight]:
    """The report's highlights in the person's areas (user None: every area), by area and kind, each
    with the case reference of the audit it was drawn from (`case_reference`; one query)."""
    queryset = report.highlights.select_related("service_area").annotate(case_reference=F("audit__case_reference"))
    if included_only:
        queryset = queryset.filter(included=True)
    codes = area_codes_for(user) if user is not None else None  # None: for every area (a file for all)
    if codes is not None:
        queryset = queryset.filter(service_area__code__in=codes)
    return list(queryset)


def highlight_themes(highlights: list[Highlight]) -> tuple[list[PracticeTheme], dict[int, list[int]]]:
    """The practice themes counted now, and for each highlight the ones it mentions (any key phrase in
    what the audit said or in its wording, as the theme counts read audit narratives): what the
    draft's page filters its highlights by."""
    themes = list(PracticeTheme.objects.filter(is_active=True))
    mentioned = {}
    for highlight in highlights:
        text = f"{highlight.source_text}\n{highlight.text}".lower()
        mentioned[highlight.pk] = [t.pk for t in themes if any(phrase.lower() in text for phrase in t.key_phrases)]
    return themes, mentioned


def earlier_points(report: Report) -> QuerySet[ImprovementPoint]:
    """The improvement points of the reports published earlier in the same year, which a quarterly or
    annual report records progress on: those of every current (published) report of the year whose
    period ends on or before this one's, other than this report and the one it corrects."""
    if report.kind == Report.Kind.MONTHLY:
        return ImprovementPoint.objects.none()
    earlier = (
        Report.objects.filter(
            state=Report.State.PUBLISHED,
            period_start__year=report.period_start.year,
            period_end__lte=report.period_end,
        )
        .exclude(pk=report.pk)
        .exclude(kind=report.kind, period=report.period, year_to_date=report.year_to_date)
    )
    if report.supersedes_id:
        earlier = earlier.exclude(pk=report.supersedes_id)
    return (
        ImprovementPoint.objects.filter(report__in=earlier)
        .select_related("report")
        .order_by("report__period_start", "report__kind", "order", "pk")
    )


def progress_rows(report: Report) -> list[dict]:
    """For the page: each earlier point with the progress this report records on it.

    A draft shows the points published so far (the list can still grow); a published report shows
    exactly what was recorded when it was published.
    """
    if report.is_frozen:
        recorded = report.improvement_progress.select_related("point__report").order_by(
            "point__report__period_start", "point__order", "pk"
        )
        return [{"point": row.point, "progress": row} for row in recorded]
    points = list(earlier_points(report))
    recorded = {row.point_id: row for row in report.improvement_progress.filter(point__in=[p.pk for p in points])}
    return [{"point": point, "progress": recorded.get(point.pk)} for point in points]


def theme_rows(figures: dict, *, linked: bool, absolute: bool = False) -> list[dict]:
    """The figures' themes, each with `audits_url`: the audit list showing the audits behind its count
    (themes.theme_audits_url). None where there is no link: for someone who may not open audits
    (`linked` False: a read-only reader reads reports, not audits) and for a theme of a report made
    before the themes carried their `theme_id`."""
    return [
        {
            **theme,
            "audits_url": theme_audits_url(
                theme["theme_id"], figures["period_start"], figures["period_end"], absolute=absolute
            )
            if linked and theme.get("theme_id")
            else None,
        }
        for theme in figures.get("themes", [])
    ]


def report_history(report: Report) -> QuerySet:
    """Who asked for, edited, published and corrected the report (quality.org ChangeRecord rows)."""
    from django.contrib.contenttypes.models import ContentType

    from quality.org.models import ChangeRecord

    return ChangeRecord.objects.filter(
        target_type=ContentType.objects.get_for_model(Report), target_id=report.pk
    ).select_related("actor__person")


def subscribers_of(kind: str) -> list:
    """The users to e-mail when a report of `kind` is published: subscribers who still hold a role
    that reads reports (someone who left or changed job is not told)."""
    from quality.access import roles_granting
    from quality.org.models import Membership

    from .models import ReportSubscription

    readers = Membership.objects.current().filter(role__in=roles_granting(Action.VIEW_REPORTS)).values("person_id")
    subscriptions = ReportSubscription.objects.filter(person_id__in=readers, person__user__is_active=True)
    # The kinds are a short JSON list: checked here, as SQLite cannot look inside a JSON list.
    return [s.person.user for s in subscriptions.select_related("person__user") if kind in s.kinds]
