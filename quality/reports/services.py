"""Reports: ask for one, generate it (in the worker), edit the draft, publish, correct, subscribe.

The life of a report (docs/reports.md, "Workflow"):

    QUEUED --worker--> DRAFT --publish--> PUBLISHED --a correction is published--> SUPERSEDED
       |                 ^  \\--refresh--> QUEUED
       \\--> FAILED --ask again--/

- Generation runs only in a worker (`tasks.generate_report` calls `report_generate`). The worker
  claims the report with a conditional UPDATE (state still queued, and either never started or
  stranded), so a task delivered twice generates it once; progress is written in short
  transactions of its own, so the page sees it; the result is written in one transaction with the
  row locked. A worker that dies half-way leaves the report queued: after STRANDED_AFTER without a
  sign of life the daily job (`reports_generate_due`) queues it again.
- Publishing freezes the report: its figures stay those taken at `data_taken_at`, and the narrative,
  highlights, improvement points and progress can no longer change. A correction is a new report
  that copies the narrative and, once published, supersedes the old one.
Every request, edit, publication and correction is recorded (quality.org ChangeRecord: who, when, why).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from audits import figure_months
from quality.access import Action, roles_granting
from quality.months import add_months, month_start
from quality.org.models import ServiceArea
from quality.org.notify import notify
from quality.org.selectors import users_holding
from quality.org.services import change_record
from quality.queue import enqueue_on_commit

from . import figures as report_figures
from . import selectors
from .models import Highlight, ImprovementPoint, ImprovementProgress, Report, ReportSubscription
from .selectors import STRANDED_AFTER, period_code, report_title

logger = logging.getLogger(__name__)

# Messages people see (tests reuse them).
UNKNOWN_KIND = "Choose monthly, quarterly or annual."
PERIOD_NOT_STARTED = "{period} has not started yet: a report can only cover a period that has begun."
ALREADY_PUBLISHED = (
    "The report for {period} is already published. A published report never changes: to correct it, "
    "open it and choose “Correct this report”."
)
NOT_A_DRAFT = "Only a draft can be changed: this report is {state}."
NOT_PUBLISHED = "Only a published report can be corrected: this report is {state}."
NO_FIGURES = "This draft has no figures yet: wait until it is generated."
CORRECTION_REASON_REQUIRED = "Say what the correction changes: readers see it on the corrected report."
CORRECTION_OPEN = "A report for this period is already being prepared ({title}): finish or publish that one first."
CANNOT_REFRESH = "Only a draft, a failed report or a report stuck in the queue can be generated again."
HIGHLIGHT_TEXT_REQUIRED = "A highlight that goes in the report needs its text."
POINT_TEXT_REQUIRED = "Write the improvement point, or tick “Remove”."
REPORT_CONFLICT = (
    "Not saved: someone saved this draft since you opened it, in another tab or on another computer "
    "({changes}). Copy anything you need, then reload the page to see the saved version."
)

SCHEDULE_NOTE = "Queued by the schedule"
LOOKBACK = timedelta(days=92)  # a missed day is caught up for about three months
MONTHLY_DAY = 9
QUARTERLY_DAY = 6
QUARTER_FIRST_MONTHS = (1, 4, 7, 10)
ANNUAL_YEAR_TO_DATE = (12, 1)  # 1 December: the year so far
ANNUAL_FULL = (1, 6)  # 6 January: the year before, in full

# Progress written while a report is generated (the page shows the note beside the bar).
CLAIMED = (5, "Started")
COUNTING = (15, "Counting the period's audits, grades, themes, actions and moderation")
COUNTED = (60, "Figures counted; drawing the highlights from the audits")
SAVING = (90, "Saving the draft")


def _person(actor):
    return getattr(actor, "person", None) if actor is not None else None


def _now():
    return timezone.now()


# -- asking for a report --


@dataclass(frozen=True)
class Requested:
    report: Report
    outcome: str  # "created", "refreshed" or "queued" (already being generated)


def _period(kind: str, text: str, today: date) -> tuple[str, date, date, bool]:
    """The period's code, first and last day, and whether it is a year to date; ValidationError if wrong."""
    if kind not in Report.Kind.values:
        raise ValidationError({"kind": UNKNOWN_KIND})
    try:
        start, end = report_figures.parse_period(kind, text.strip())
    except ValueError as error:
        raise ValidationError({"period": str(error)}) from error
    code = period_code(kind, start)
    label = selectors.period_label(kind, code)
    year_to_date = kind == Report.Kind.ANNUAL and end >= today
    if year_to_date:
        end = today - timedelta(days=1)
    if start > today or end < start:
        raise ValidationError({"period": PERIOD_NOT_STARTED.format(period=label)})
    return code, start, end, year_to_date


def _queue(report: Report, *, note: str) -> None:
    report.state, report.progress, report.progress_note = Report.State.QUEUED, 0, note
    report.save()
    from .tasks import generate_report  # the task module imports this one

    enqueue_on_commit(generate_report, report.pk)


@transaction.atomic
def report_request(*, actor, kind: str, period: str, today: date | None = None) -> Requested:
    """Generate the report of `kind` for `period` now (in the worker), for the QA lead.

    A draft of that period is generated again with the current data; a report already queued is
    left to finish; a published one is refused (it can only be corrected). An annual report of a year
    not yet over is a year to date, up to yesterday.
    """
    today = today or timezone.localdate()
    code, start, end, year_to_date = _period(kind, period, today)
    label = selectors.period_label(kind, code, year_to_date=year_to_date, period_end=end)
    existing = list(
        Report.objects.select_for_update()
        .filter(kind=kind, period=code, year_to_date=year_to_date)
        .exclude(state=Report.State.SUPERSEDED)
        .order_by("-pk")
    )
    by_state = {}
    for report in existing:
        by_state.setdefault(report.state, report)
    published = by_state.get(Report.State.PUBLISHED)
    if by_state.get(Report.State.QUEUED):
        return Requested(by_state[Report.State.QUEUED], "queued")
    if by_state.get(Report.State.DRAFT):
        draft = by_state[Report.State.DRAFT]
        draft.period_end, draft.requested_by = end, actor
        _queue(draft, note="Asked for again")
        change_record(actor=actor, target=draft, action="report.refresh", summary=f"Generated again: {label}")
        return Requested(draft, "refreshed")
    if published is not None and not (year_to_date and published.period_end < end):
        raise ValidationError({"period": ALREADY_PUBLISHED.format(period=label)})
    report = by_state.get(Report.State.FAILED) or Report(kind=kind, period=code, year_to_date=year_to_date)
    report.period_start, report.period_end, report.requested_by = start, end, actor
    if published is not None:
        Report.objects.filter(supersedes=published, state=Report.State.FAILED).update(supersedes=None)
        # A later year to date replaces the one published earlier in the year once it is published.
        report.supersedes, report.correction_reason = published, f"The year to date brought up to {end:%-d %B %Y}."
    try:
        with transaction.atomic():
            _queue(report, note="Asked for")
    except IntegrityError:
        # Asked for twice at the same moment: the other request made it (one open report per period).
        return Requested(selectors.open_report_for(kind, code, year_to_date), "queued")
    change_record(actor=actor, target=report, action="report.request", summary=f"Asked for {label}")
    return Requested(report, "created")


@transaction.atomic
def report_refresh(*, actor, report: Report) -> Report:
    """Generate a draft (or a failed or stranded report) again from the current data."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    if not (report.state in (Report.State.DRAFT, Report.State.FAILED) or selectors.is_stranded(report)):
        raise ValidationError(CANNOT_REFRESH)
    report.requested_by = actor
    _queue(report, note="Asked for again")
    change_record(
        actor=actor, target=report, action="report.refresh", summary=f"Generated again: {report_title(report)}"
    )
    return report


# -- generating it (in the worker) --


def _claimable(now) -> Q:
    """A queued report nobody is working on: never started, or stranded (no sign of life for a while)."""
    return Q(state=Report.State.QUEUED) & (Q(progress=0) | Q(updated_at__lt=now - STRANDED_AFTER))


def _claim(report_id: int) -> bool:
    """Take the report for this worker, or learn that another has it or it is done (one UPDATE)."""
    now = _now()
    progress, note = CLAIMED
    return bool(
        Report.objects.filter(_claimable(now), pk=report_id).update(
            progress=progress, progress_note=note, updated_at=now
        )
    )


def report_progress(report_id: int, progress: int, note: str) -> None:
    """Write how far generation has got, committed at once (outside any transaction) so the page sees it.
    It is also the sign of life that keeps a report being generated from being taken for a stranded one."""
    Report.objects.filter(pk=report_id, state=Report.State.QUEUED).update(
        progress=progress, progress_note=note[:200], updated_at=_now()
    )


def _as_of(report: Report) -> date | None:
    """The `today` the figures are computed for: a year to date stays the span it was asked for."""
    return report.period_end + timedelta(days=1) if report.year_to_date else None


SNAPSHOT_ATTEMPTS = 5


def _figures_at_one_moment(report: Report) -> tuple:
    """Every figure from one snapshot of the data, taken at the moment returned with them: the
    worker's queries run in one REPEATABLE READ transaction (PostgreSQL), so an audit submitted while
    they run is in all of the figures or in none.

    The counts kept month by month (audits/figure_months.py) are brought up to date first, outside
    the snapshot: rebuilding them writes, and a snapshot that writes rows others change fails. A
    snapshot that still finds a month stale (an audit changed in between) is given up and taken again."""
    one_snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    for attempt in range(SNAPSHOT_ATTEMPTS):
        figure_months.refresh_all()
        with transaction.atomic():
            if one_snapshot:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            # The last attempt computes whatever it finds: the figures rebuild a stale month themselves.
            if figure_months.is_fresh() or attempt == SNAPSHOT_ATTEMPTS - 1:
                taken_at = _now()
                kind, period, year_to_date = report.kind, report.period, report.year_to_date
                return taken_at, report_figures.compute(kind, period, year_to_date=year_to_date, today=_as_of(report))


def report_generate(*, report_id: int) -> Report | None:
    """Compute the report's figures and make it a draft. Called by the worker, outside a transaction.

    Returns None when there was nothing to do (not queued any more, or another worker has it).
    """
    if not _claim(report_id):
        logger.info("report %s: not queued or already being generated; nothing to do", report_id)
        return None
    report = Report.objects.get(pk=report_id)
    report_progress(report_id, *COUNTING)
    taken_at, computed = _figures_at_one_moment(report)
    report_progress(report_id, *COUNTED)
    candidates = _highlight_rows(computed.get("highlight_candidates", []))
    report_progress(report_id, *SAVING)
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report_id)
        if report.state != Report.State.QUEUED:
            return None
        _sync_highlights(report, candidates)
        report.revision += 1  # the highlights the page offered may have gone: a page open before is out of date
        report.figures, report.data_taken_at = computed, taken_at
        report.period_start = date.fromisoformat(computed["period_start"])
        report.period_end = date.fromisoformat(computed["period_end"])
        report.state, report.progress, report.progress_note = Report.State.DRAFT, 100, "Ready"
        report.save()
        _tell_ready(report)
    logger.info("report %s generated", report_id)
    return report


def _highlight_rows(candidates: list[dict]) -> list[dict]:
    """The candidates with the service area's id (the figures name it by code; older ones lack the id)."""
    missing = {row["service_area"] for row in candidates if not row.get("service_area_id")}
    ids = dict(ServiceArea.objects.filter(code__in=missing).values_list("code", "pk")) if missing else {}
    rows = []
    for row in candidates:
        area_id = row.get("service_area_id") or ids.get(row["service_area"])
        if area_id and row.get("text"):
            rows.append({**row, "service_area_id": area_id})
    return rows


def _sync_highlights(report: Report, candidates: list[dict]) -> None:
    """Offer the candidates as highlights. Generating a draft again keeps what the QA lead picked or
    edited and replaces the rest with the new candidates."""
    kept = report.highlights.filter(Q(included=True) | ~Q(text=F("source_text")))
    kept_keys = {(h.audit_id, h.kind, h.source_text) for h in kept}
    report.highlights.exclude(pk__in=[h.pk for h in kept]).delete()
    Highlight.objects.bulk_create(
        Highlight(
            report=report,
            service_area_id=row["service_area_id"],
            kind=row["kind"],
            audit_id=row.get("audit_id"),
            source_text=row["text"],
            text=row["text"],
            order=order,
        )
        for order, row in enumerate(candidates)
        if (row.get("audit_id"), row["kind"], row["text"]) not in kept_keys
    )


def _qa_leads() -> list:
    return users_holding(*roles_granting(Action.MANAGE_REPORTS))


def _tell_ready(report: Report) -> None:
    """The requester hears in the portal that the draft is ready; for a report the schedule made, the QA
    leads are e-mailed too (nobody is watching its page at 05:00)."""
    users = [report.requested_by] if report.requested_by else _qa_leads()
    notify(
        users=users,
        subject=f"{report_title(report)}: the draft is ready",
        body="The figures are ready. Write the narrative, pick the highlights and publish it.",
        url=report.get_absolute_url(),
        email=report.requested_by is None,
    )


def report_fail(*, report_id: int) -> None:
    """Give up on a report the worker could not generate; the QA lead can ask for it again."""
    with transaction.atomic():
        report = Report.objects.select_for_update().filter(pk=report_id, state=Report.State.QUEUED).first()
        if report is None:
            return
        report.state, report.progress_note = Report.State.FAILED, "Generation failed"
        report.save()
        users = [report.requested_by] if report.requested_by else _qa_leads()
        notify(
            users=users,
            subject=f"{report_title(report)}: generation failed",
            body="The report could not be generated. Ask for it again from its page; tell support if it keeps failing.",
            url=report.get_absolute_url(),
            urgent=True,
        )
    logger.error("report %s: generation failed", report_id)


def report_release(*, report_id: int) -> None:
    """Hand a claimed report back to the queue (before the worker tries it again)."""
    Report.objects.filter(pk=report_id, state=Report.State.QUEUED).update(
        progress=0, progress_note="Trying again", updated_at=_now()
    )


# -- the schedule --


@dataclass(frozen=True, order=True)
class Due:
    on: date
    kind: str
    period: str
    year_to_date: bool


def reports_due(today: date) -> list[Due]:
    """The scheduled reports whose day fell in the LOOKBACK window up to `today`: monthly on the 9th
    for the month before, quarterly on 6 January, April, July and October for the quarter before,
    annual on 1 December for the year to date and on 6 January for the year before in full."""
    due = []
    first = month_start(today)
    for back in range(int(LOOKBACK.days / 28) + 2):
        month = add_months(first, -back)
        previous = add_months(month, -1)
        due.append(Due(month.replace(day=MONTHLY_DAY), Report.Kind.MONTHLY, f"{previous:%Y-%m}", False))
        if month.month in QUARTER_FIRST_MONTHS:
            code = period_code(Report.Kind.QUARTERLY, previous)
            due.append(Due(month.replace(day=QUARTERLY_DAY), Report.Kind.QUARTERLY, code, False))
    for year in (today.year - 1, today.year):
        due.append(Due(date(year, *ANNUAL_YEAR_TO_DATE), Report.Kind.ANNUAL, str(year), True))
        due.append(Due(date(year, *ANNUAL_FULL), Report.Kind.ANNUAL, str(year - 1), False))
    return sorted({item for item in due if today - LOOKBACK < item.on <= today})


def _made_for(due: Due) -> bool:
    """Is there a report for this due date already, in any state (a failed one waits for a person)?"""
    reports = Report.objects.filter(kind=due.kind, period=due.period, year_to_date=due.year_to_date)
    if due.year_to_date:
        reports = reports.filter(period_end__gte=due.on - timedelta(days=1))
    return reports.exists()


def _year_to_date_brought_up(due: Due, end: date) -> tuple[bool, Report | None]:
    """A year to date asked for earlier in the year and still a draft (or queued) blocks a new one (one
    open report per period): the schedule brings that draft up to `end` instead, keeping its narrative
    and picks. One still queued is left to its worker; the next daily run brings it up to date.
    Returns whether there was such a report, and the report if it was queued again."""
    open_one = (
        Report.objects.select_for_update()
        .filter(kind=due.kind, period=due.period, year_to_date=True)
        .filter(state__in=(Report.State.QUEUED, Report.State.DRAFT))
        .first()
    )
    if open_one is None or open_one.state == Report.State.QUEUED:
        return open_one is not None, None
    open_one.period_end, open_one.requested_by = end, None
    _queue(open_one, note=SCHEDULE_NOTE)
    change_record(actor=None, target=open_one, action="report.schedule", summary=f"Scheduled: {report_title(open_one)}")
    return True, open_one


def _create_due(due: Due) -> Report | None:
    start, end = report_figures.parse_period(due.kind, due.period)
    if due.year_to_date:
        end = due.on - timedelta(days=1)
    try:
        with transaction.atomic():
            if _made_for(due):
                return None
            if due.year_to_date:
                found, brought_up = _year_to_date_brought_up(due, end)
                if found:
                    return brought_up
            published = (
                Report.objects.filter(kind=due.kind, period=due.period, year_to_date=True, state=Report.State.PUBLISHED)
                .select_for_update()
                .first()
                if due.year_to_date
                else None
            )
            report = Report.objects.create(
                kind=due.kind,
                period=due.period,
                year_to_date=due.year_to_date,
                period_start=start,
                period_end=end,
                progress_note=SCHEDULE_NOTE,
                supersedes=published,
                correction_reason=f"The year to date brought up to {end:%-d %B %Y}." if published else "",
            )
            change_record(
                actor=None, target=report, action="report.schedule", summary=f"Scheduled: {report_title(report)}"
            )
            from .tasks import generate_report

            enqueue_on_commit(generate_report, report.pk)
            return report
    except IntegrityError:
        # The same job delivered twice at once: the other delivery made it (one open report per period).
        logger.info("report %s %s: already made by another run", due.kind, due.period)
        return None


def reports_stranded(*, now=None) -> list[int]:
    """Reports still queued with no sign of life for STRANDED_AFTER: their task never reached a
    worker (Redis was down) or their worker died half-way."""
    now = now or _now()
    stranded = Report.objects.filter(state=Report.State.QUEUED, updated_at__lt=now - STRANDED_AFTER)
    return list(stranded.order_by("pk").values_list("pk", flat=True)[:50])


def report_requeue(*, report_id: int) -> bool:
    """Queue a stranded report again (once: the update is conditional, so two runs queue it once)."""
    now = _now()
    with transaction.atomic():
        taken = Report.objects.filter(
            pk=report_id, state=Report.State.QUEUED, updated_at__lt=now - STRANDED_AFTER
        ).update(progress=0, progress_note="Started again: the first try did not finish", updated_at=now)
        if taken:
            from .tasks import generate_report

            enqueue_on_commit(generate_report, report_id)
    return bool(taken)


@dataclass(frozen=True)
class ScheduleRun:
    created: list[int]
    requeued: list[int]


def reports_generate_due(*, today: date | None = None) -> ScheduleRun:
    """The daily job: make the reports whose day has come (caught up over LOOKBACK) and queue them;
    queue again the ones whose worker died. Running it twice changes nothing."""
    today = today or timezone.localdate()
    created = [report.pk for due in reports_due(today) if (report := _create_due(due)) is not None]
    requeued = [report_id for report_id in reports_stranded() if report_requeue(report_id=report_id)]
    return ScheduleRun(created=created, requeued=requeued)


# -- editing a draft --
# The draft's page saves in two ways: its Save buttons (`report_edit`, which refuses the whole save
# when any part is wrong) and the autosave while the QA lead types (`report_autosave`, which saves
# every part that is right and names the rest). Both are based on the revision the page was built
# from: a save from a page that is out of date (another tab, another person) is refused as a
# conflict naming what differs, and nothing is saved, as for the audit form.


@dataclass(frozen=True)
class PointChange:
    point_id: int | None  # None: a new point
    text: str
    remove: bool = False


@dataclass(frozen=True)
class DraftChanges:
    """What the draft's page sends. `points` is the whole list of the report's points in order (None:
    leave them as they are); a draft's points have no progress yet, so a point the list no longer
    holds is deleted."""

    summary: str
    analysis: str
    next_steps: str
    highlights: dict[int, tuple[bool, str]] = field(default_factory=dict)
    points: list[PointChange] | None = None
    progress: dict[int, tuple[str, str]] = field(default_factory=dict)


class ReportConflict(Exception):
    """A save based on an older revision: `changes` names what differs from the saved draft."""

    def __init__(self, report: Report, changes: list[str]):
        super().__init__(REPORT_CONFLICT.format(changes="; ".join(changes)))
        self.report, self.changes = report, changes


@dataclass(frozen=True)
class Autosaved:
    report: Report
    unsaved: list[str]  # the parts left as they were, each named (a picked highlight with no wording...)


NARRATIVE = (("summary", "Summary"), ("analysis", "Analysis"), ("next_steps", "Actions / next steps"))


def _locked_draft(report: Report) -> Report:
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.state != Report.State.DRAFT:
        raise ValidationError(NOT_A_DRAFT.format(state=report.get_state_display().lower()))
    return report


def highlight_name(highlight: Highlight) -> str:
    """How the page and the messages name a highlight: its kind, case reference and service area."""
    case = getattr(highlight, "case_reference", None)
    source = f" from case {case}" if case else ""
    return f"{highlight.get_kind_display()}{source} ({highlight.service_area.code})"


def _highlights_by_id(report: Report, ids) -> dict[int, Highlight]:
    rows = report.highlights.filter(pk__in=list(ids)).select_related("service_area")
    return {h.pk: h for h in rows.annotate(case_reference=F("audit__case_reference"))}


def _point_texts(points: list[PointChange]) -> list[str]:
    return [change.text.strip() for change in points if not change.remove and change.text.strip()]


def _differences(report: Report, changes: DraftChanges) -> list[str]:
    """The parts where the saved draft differs from what this page sent."""
    differ = [label for name, label in NARRATIVE if getattr(report, name) != getattr(changes, name).strip()]
    rows = _highlights_by_id(report, changes.highlights)
    for pk, (included, text) in changes.highlights.items():
        row = rows.get(pk)
        if row is not None and (row.included, row.text) != (included, text.strip() or row.source_text):
            differ.append(highlight_name(row))
    saved_points = list(report.improvement_points.values_list("text", flat=True))
    if changes.points is not None and saved_points != _point_texts(changes.points):
        differ.append("Improvement points")
    saved_progress = {p.point_id: (p.status, p.note) for p in report.improvement_progress.all()}
    if any(saved_progress.get(pk, ("not_started", "")) != (s, n.strip()) for pk, (s, n) in changes.progress.items()):
        differ.append("Progress on earlier improvement points")
    return differ


def _already_saved(report: Report, revision: int | None, changes: DraftChanges) -> bool:
    """Is this save based on an older revision? Refused as a conflict when it would change what was saved
    since; when the saved draft already holds exactly what was sent (this page's own autosave or
    page-leave beacon got there first), nothing would be lost: True, and there is nothing to do.
    `revision` None: a save from no page (the demo data), never out of date."""
    if revision is None or revision == report.revision:
        return False
    differences = _differences(report, changes)
    if differences:
        raise ReportConflict(report, differences)
    return True


def _refused(report: Report, changes: DraftChanges) -> tuple[list[Highlight], list[int]]:
    """The picked highlights with no wording, and the saved points emptied without ticking Remove."""
    rows = _highlights_by_id(report, changes.highlights)
    highlights = [
        rows[pk] for pk, (included, text) in changes.highlights.items() if pk in rows and included and not text.strip()
    ]
    points = [
        change.point_id
        for change in changes.points or []
        if change.point_id and not change.remove and not change.text.strip()
    ]
    return highlights, points


def _write(actor, report: Report, changes: DraftChanges, *, keep_highlights=(), keep_points=()) -> Report:
    """Save the changes, leaving the highlights and points in `keep_*` as they were; bump the revision."""
    report.summary, report.analysis, report.next_steps = (getattr(changes, name).strip() for name, _ in NARRATIVE)
    report.revision += 1
    report.save()

    rows = _highlights_by_id(report, set(changes.highlights) - set(keep_highlights))
    for pk, row in rows.items():
        included, text = changes.highlights[pk]
        row.included, row.text = included, text.strip() or row.source_text
    Highlight.objects.bulk_update(rows.values(), ["included", "text"])

    if changes.points is not None:
        _replace_points(report, changes.points, set(keep_points))

    allowed = set(selectors.earlier_points(report).values_list("pk", flat=True))
    for point_id, (status, note) in changes.progress.items():
        if point_id in allowed:
            ImprovementProgress.objects.update_or_create(
                report=report, point_id=point_id, defaults={"status": status, "note": note.strip()}
            )
    change_record(actor=actor, target=report, action="report.edit", summary=f"Draft edited: {report_title(report)}")
    return report


def _replace_points(report: Report, points: list[PointChange], keep: set[int]) -> None:
    """Make the draft's points those of the list, in its order (a point in `keep` stays as it was)."""
    existing = {p.pk: p for p in report.improvement_points.all()}
    ordered = []
    for change in points:
        point = existing.get(change.point_id) if change.point_id else None
        if point is not None and point.pk in keep:
            ordered.append(point)
        elif not change.remove and change.text.strip():
            point = point or ImprovementPoint(report=report)
            point.text = change.text.strip()
            ordered.append(point)
    for order, point in enumerate(ordered, start=1):
        point.order = order
    changed, new = [p for p in ordered if p.pk], [p for p in ordered if not p.pk]
    # A draft's points have no progress yet (only published reports' points do): safe to delete.
    report.improvement_points.exclude(pk__in=[p.pk for p in changed]).delete()
    ImprovementPoint.objects.bulk_update(changed, ["text", "order"])
    ImprovementPoint.objects.bulk_create(new)


def _changes(summary, analysis, next_steps, highlights, points, progress) -> DraftChanges:
    return DraftChanges(summary, analysis, next_steps, highlights or {}, points, progress or {})


@transaction.atomic
def report_edit(
    *,
    actor,
    report: Report,
    summary: str,
    analysis: str,
    next_steps: str,
    highlights: dict[int, tuple[bool, str]] | None = None,
    points: list[PointChange] | None = None,
    progress: dict[int, tuple[str, str]] | None = None,
    revision: int | None = None,
) -> Report:
    """Save the draft's narrative, which highlights go in (and their wording), its improvement points
    and (quarterly and annual) the progress on earlier reports' points: all of it, or nothing if any
    part is wrong. A save based on an older revision that would change what was saved since raises
    ReportConflict."""
    report = _locked_draft(report)
    changes = _changes(summary, analysis, next_steps, highlights, points, progress)
    if _already_saved(report, revision, changes):
        return report
    bad_highlights, bad_points = _refused(report, changes)
    errors: dict[str, list[str]] = {}
    if bad_highlights:
        errors["highlights"] = [HIGHLIGHT_TEXT_REQUIRED]
    if bad_points:
        errors["points"] = [POINT_TEXT_REQUIRED]
    if errors:
        raise ValidationError(errors)
    return _write(actor, report, changes)


@transaction.atomic
def report_autosave(
    *,
    actor,
    report: Report,
    revision: int,
    summary: str,
    analysis: str,
    next_steps: str,
    highlights: dict[int, tuple[bool, str]] | None = None,
    points: list[PointChange] | None = None,
    progress: dict[int, tuple[str, str]] | None = None,
) -> Autosaved:
    """Save what the QA lead has typed so far: every part that is right; a picked highlight with no
    wording and a saved point emptied stay as they were, named in `unsaved`. A save based on an older
    revision that would change what was saved since raises ReportConflict and saves nothing."""
    report = _locked_draft(report)
    changes = _changes(summary, analysis, next_steps, highlights, points, progress)
    if _already_saved(report, revision, changes):
        return Autosaved(report, [])
    bad_highlights, bad_points = _refused(report, changes)
    _write(actor, report, changes, keep_highlights=[h.pk for h in bad_highlights], keep_points=bad_points)
    numbers = {change.point_id: index for index, change in enumerate(changes.points or [], start=1)}
    unsaved = [f"the wording of {highlight_name(h)}" for h in bad_highlights] + [
        f"improvement point {numbers[pk]} (write it, or tick Remove)" for pk in bad_points
    ]
    return Autosaved(report, unsaved)


# -- publishing, correcting --


@transaction.atomic
def report_publish(*, actor, report: Report) -> Report:
    """Publish the draft: freeze it (figures as taken, narrative, highlights, points and progress) and
    e-mail the subscribers. A correction's publication marks the report it corrects superseded."""
    report = _locked_draft(report)
    if report.figures is None:
        raise ValidationError(NO_FIGURES)
    # Progress on every earlier point as it stands now: the published page shows exactly these rows.
    recorded = set(report.improvement_progress.values_list("point_id", flat=True))
    ImprovementProgress.objects.bulk_create(
        ImprovementProgress(report=report, point=point)
        for point in selectors.earlier_points(report)
        if point.pk not in recorded
    )
    if report.supersedes_id:
        old = Report.objects.select_for_update().get(pk=report.supersedes_id)
        if old.state == Report.State.PUBLISHED:
            old.state = Report.State.SUPERSEDED
            old.save()  # first: one published report per period
            change_record(
                actor=actor,
                target=old,
                action="report.supersede",
                summary=f"Superseded by report {report.pk}",
                reason=report.correction_reason,
            )
    report.state, report.published_by, report.published_at = Report.State.PUBLISHED, _person(actor), _now()
    report.save()
    change_record(
        actor=actor,
        target=report,
        action="report.publish",
        summary=f"Published: {report_title(report)}",
        reason=report.correction_reason,
    )
    notify(
        users=selectors.subscribers_of(report.kind),
        subject=f"Published: {report_title(report)}",
        body=(
            f"A correction: {report.correction_reason}"
            if report.supersedes_id
            else "A new audit analysis is published."
        ),
        url=report.get_absolute_url(),
    )
    return report


@transaction.atomic
def report_correct(*, actor, report: Report, reason: str) -> Report:
    """Start a correction of a published report: a new report of the same period, generated from the
    current data, with the narrative, chosen highlights, improvement points and progress copied.
    Publishing it supersedes this one; until then this one stays the published report."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": CORRECTION_REASON_REQUIRED})
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.state != Report.State.PUBLISHED:
        raise ValidationError(NOT_PUBLISHED.format(state=report.get_state_display().lower()))
    open_one = selectors.open_report_for(report.kind, report.period, report.year_to_date)
    if open_one is not None:
        raise ValidationError(CORRECTION_OPEN.format(title=report_title(open_one)))
    Report.objects.filter(supersedes=report, state=Report.State.FAILED).update(supersedes=None)
    correction = Report.objects.create(
        kind=report.kind,
        period=report.period,
        year_to_date=report.year_to_date,
        period_start=report.period_start,
        period_end=report.period_end,
        summary=report.summary,
        analysis=report.analysis,
        next_steps=report.next_steps,
        requested_by=actor,
        supersedes=report,
        correction_reason=reason,
        progress_note="A correction, asked for",
    )
    Highlight.objects.bulk_create(
        Highlight(
            report=correction,
            service_area_id=h.service_area_id,
            kind=h.kind,
            audit_id=h.audit_id,
            source_text=h.source_text,
            text=h.text,
            included=True,
            order=h.order,
        )
        for h in report.highlights.filter(included=True)
    )
    ImprovementPoint.objects.bulk_create(
        ImprovementPoint(report=correction, text=p.text, order=p.order) for p in report.improvement_points.all()
    )
    ImprovementProgress.objects.bulk_create(
        ImprovementProgress(report=correction, point_id=p.point_id, status=p.status, note=p.note)
        for p in report.improvement_progress.all()
    )
    change_record(
        actor=actor,
        target=correction,
        action="report.correct",
        summary=f"Correction of report {report.pk}",
        reason=reason,
    )
    from .tasks import generate_report

    enqueue_on_commit(generate_report, correction.pk)
    return correction


# -- subscriptions --


@transaction.atomic
def subscription_set(*, person, kinds: list[str]) -> ReportSubscription | None:
    """E-mail `person` when a report of one of `kinds` is published; no kinds: stop e-mailing them."""
    kinds = [kind for kind in Report.Kind.values if kind in kinds]
    if not kinds:
        ReportSubscription.objects.filter(person=person).delete()
        return None
    subscription, _ = ReportSubscription.objects.update_or_create(person=person, defaults={"kinds": kinds})
    return subscription
