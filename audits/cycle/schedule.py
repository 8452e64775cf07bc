"""The audit schedule: the QA unit's year of monthly themes, thematic and partnership audits,
moderation panels, practice weeks, surveys and report dates, and each person's calendar feed.

Services (writes: keyword-only, atomic, validating first, each leaving a ChangeRecord with who and
when) and selectors (reads shared by the pages, the feed and allocation) of ScheduleEntry and
CalendarSubscription. The schedule holds nothing about children, so every internal role reads it.

Allocation reads the month's theme through `theme_for_month`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from quality.access import Action, can, get_for, visible
from quality.months import month_end, month_start, next_month
from quality.org.models import Person, ServiceArea
from quality.org.services import change_record

from ..models import Audit, CalendarSubscription, LegalStatus, ScheduleEntry
from .dates import cycle_dates

Kind = ScheduleEntry.Kind

# Messages people see next to the field they typed. Tests assert on these.
TITLE_REQUIRED = "Give the entry a title."
KIND_INVALID = "Choose what kind of entry this is."
STARTS_ON_REQUIRED = "Give the date the entry starts on."
ENDS_BEFORE_STARTS = "The end date is before the start date."
END_TIME_WITHOUT_START = "Give the start time too, or leave both times empty."
END_TIME_BEFORE_START = "The end time must be after the start time."
TIMES_ON_ONE_DAY = "A meeting with times is on one day: leave the end date empty, or the same as the start date."
LEGAL_STATUS_INVALID = (
    "Choose legal statuses from the list: " + ", ".join(label for _, label in LegalStatus.choices) + "."
)
AUDIT_KIND_INVALID = "Choose which audits this applies to from the list."
THEME_NEEDS_AUDIT_KIND = "Say which audits this theme applies to: allocation uses it."

# The feed carries the past year and everything ahead: enough for Outlook, small enough to fetch often.
FEED_DAYS_BACK = 365
TOKEN_BYTES = 32

_FIELDS = (
    "kind",
    "title",
    "starts_on",
    "ends_on",
    "starts_at",
    "ends_at",
    "audit_kind",
    "completed_by",
    "legal_statuses",
    "prefers_disability",
    "notes",
)


# -- validation and the words a change record uses --------------------------------------------


def _cleaned(
    *,
    kind: str,
    title: str,
    starts_on: date | None,
    ends_on: date | None = None,
    starts_at: time | None = None,
    ends_at: time | None = None,
    audit_kind: str = "",
    completed_by: str = "",
    legal_statuses: Iterable[str] = (),
    prefers_disability: bool = False,
    notes: str = "",
) -> dict:
    """The entry's fields, tidied, or a ValidationError naming every field that is wrong."""
    errors: dict[str, list[str]] = {}
    title, completed_by, notes = (title or "").strip(), (completed_by or "").strip(), (notes or "").strip()
    audit_kind = audit_kind or ""
    statuses = list(dict.fromkeys(str(status) for status in legal_statuses or ()))  # keep the order given, drop repeats
    if kind not in Kind.values:
        errors.setdefault("kind", []).append(KIND_INVALID)
    if not title:
        errors.setdefault("title", []).append(TITLE_REQUIRED)
    if starts_on is None:
        errors.setdefault("starts_on", []).append(STARTS_ON_REQUIRED)
    if ends_on is not None and starts_on is not None:
        if ends_on < starts_on:
            errors.setdefault("ends_on", []).append(ENDS_BEFORE_STARTS)
        elif ends_on == starts_on:
            ends_on = None  # one day: stored the one way
    if ends_at is not None and starts_at is None:
        errors.setdefault("starts_at", []).append(END_TIME_WITHOUT_START)
    elif starts_at is not None and ends_at is not None and ends_at <= starts_at:
        errors.setdefault("ends_at", []).append(END_TIME_BEFORE_START)
    if starts_at is not None and ends_on is not None and "ends_on" not in errors:
        errors.setdefault("ends_on", []).append(TIMES_ON_ONE_DAY)
    if any(status not in LegalStatus.values for status in statuses):
        errors.setdefault("legal_statuses", []).append(LEGAL_STATUS_INVALID)
    if audit_kind and audit_kind not in Audit.Kind.values:
        errors.setdefault("audit_kind", []).append(AUDIT_KIND_INVALID)
    elif kind == Kind.THEME and not audit_kind:
        errors.setdefault("audit_kind", []).append(THEME_NEEDS_AUDIT_KIND)
    if errors:
        raise ValidationError(errors)
    return {
        "kind": kind,
        "title": title,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "audit_kind": audit_kind,
        "completed_by": completed_by,
        "legal_statuses": statuses,
        "prefers_disability": bool(prefers_disability),
        "notes": notes,
    }


def dates_text(entry: ScheduleEntry) -> str:
    """'Thu 19 Jan 2023, 15:00 to 17:00' or '6 Mar 2023 to 10 Mar 2023': how the schedule says when."""
    text = f"{entry.starts_on:%a} {entry.starts_on.day} {entry.starts_on:%b %Y}"
    if entry.ends_on:
        text += f" to {entry.ends_on:%a} {entry.ends_on.day} {entry.ends_on:%b %Y}"
    if entry.starts_at:
        text += f", {entry.starts_at:%H:%M}" + (f" to {entry.ends_at:%H:%M}" if entry.ends_at else "")
    return text


def _described(entry: ScheduleEntry, area_codes: list[str]) -> dict[str, str]:
    """The entry in words, field by field, so a change record can say what changed."""
    statuses = dict(LegalStatus.choices)
    return {
        "kind": entry.get_kind_display(),
        "title": entry.title,
        "when": dates_text(entry),
        "applies to": entry.get_audit_kind_display() or "nothing",
        "completed by": entry.completed_by or "nobody named",
        "service areas": ", ".join(sorted(area_codes)) or "every area",
        "legal statuses preferred": ", ".join(statuses[s] for s in entry.legal_statuses) or "none",
        "prefers cases with a disability": "yes" if entry.prefers_disability else "no",
        "notes": entry.notes or "none",
    }


def legal_status_labels(entry: ScheduleEntry) -> list[str]:
    labels = dict(LegalStatus.choices)
    return [labels.get(status, status) for status in entry.legal_statuses]


def _area_list(service_areas: Iterable[ServiceArea] | None) -> list[ServiceArea]:
    return list(dict.fromkeys(service_areas or ()))


# -- services: the schedule ----------------------------------------------------------------------


@transaction.atomic
def schedule_entry_create(*, actor, service_areas: Iterable[ServiceArea] = (), **fields) -> ScheduleEntry:
    """Add an entry to the schedule. `fields` are ScheduleEntry's own (see _FIELDS)."""
    values = _cleaned(**fields)
    areas = _area_list(service_areas)
    entry = ScheduleEntry.objects.create(created_by=actor, **values)
    entry.service_areas.set(areas)
    change_record(
        actor=actor,
        target=entry,
        action="schedule_entry.create",
        summary=f"Added {entry.get_kind_display().lower()} '{entry.title}', {dates_text(entry)}",
    )
    return entry


@transaction.atomic
def schedule_entry_update(
    *, actor, entry: ScheduleEntry, service_areas: Iterable[ServiceArea] = (), **fields
) -> ScheduleEntry:
    """Change an entry; the change record lists each thing that changed, from what to what."""
    values = _cleaned(**fields)
    areas = _area_list(service_areas)
    before = _described(entry, [area.code for area in entry.service_areas.all()])
    for name, value in values.items():
        setattr(entry, name, value)
    entry.save()
    entry.service_areas.set(areas)
    after = _described(entry, [area.code for area in areas])
    changes = [
        f"{name} changed from '{before[name]}' to '{after[name]}'" for name in before if before[name] != after[name]
    ]
    if changes:
        change_record(actor=actor, target=entry, action="schedule_entry.update", summary="; ".join(changes))
    return entry


@transaction.atomic
def schedule_entry_delete(*, actor, entry: ScheduleEntry, reason: str = "") -> None:
    """Remove an entry. The change record stays, naming what it was (its id no longer leads anywhere)."""
    change_record(
        actor=actor,
        target=entry,
        action="schedule_entry.delete",
        summary=f"Removed {entry.get_kind_display().lower()} '{entry.title}', {dates_text(entry)}",
        reason=reason.strip(),
    )
    entry.delete()


# -- services: calendar feed addresses -----------------------------------------------------------


def _new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def subscription_of(person: Person) -> CalendarSubscription | None:
    return CalendarSubscription.objects.filter(person=person).first()


@transaction.atomic
def calendar_subscription_create(*, person: Person) -> CalendarSubscription:
    """The person's feed address, made now if they have none (asking twice gives the same one)."""
    subscription, created = CalendarSubscription.objects.get_or_create(person=person, defaults={"token": _new_token()})
    if created:
        # The record never holds the token: it is a password for the calendar.
        change_record(
            actor=person.user,
            target=subscription,
            action="calendar_subscription.create",
            summary="Calendar feed address made",
        )
    return subscription


@transaction.atomic
def calendar_subscription_replace(*, person: Person) -> CalendarSubscription:
    """A new feed address for the person; the old one stops working at once."""
    subscription = CalendarSubscription.objects.select_for_update().filter(person=person).first()
    if subscription is None:
        return calendar_subscription_create(person=person)
    subscription.token = _new_token()
    subscription.created_at = timezone.now()
    subscription.save(update_fields=["token", "created_at"])
    change_record(
        actor=person.user,
        target=subscription,
        action="calendar_subscription.replace",
        summary="Calendar feed address replaced; the old address no longer works",
    )
    return subscription


def feed_person(token: str) -> Person | None:
    """Whose feed `token` opens: None for an unknown token, or a person no longer active or with no
    role that reads the schedule (the feed has no session, so this is its whole access check)."""
    if not token or len(token) > CalendarSubscription._meta.get_field("token").max_length:
        return None
    subscription = CalendarSubscription.objects.select_related("person__user").filter(token=token).first()
    if subscription is None or not can(subscription.person.user, Action.VIEW_SCHEDULE):
        return None
    return subscription.person


# -- selectors ----------------------------------------------------------------------------------


def _with_areas(queryset: QuerySet[ScheduleEntry]) -> QuerySet[ScheduleEntry]:
    return queryset.prefetch_related(
        Prefetch("service_areas", queryset=ServiceArea.objects.order_by("code").only("code", "name"))
    )


def entries_between(user, first: date, last: date, kind: str | None = None) -> QuerySet[ScheduleEntry]:
    """Entries the person may see that fall on any day from `first` to `last` (both included)."""
    entries = ScheduleEntry.objects.annotate(last_day=Coalesce("ends_on", "starts_on")).filter(
        starts_on__lte=last, last_day__gte=first
    )
    if kind:
        entries = entries.filter(kind=kind)
    return _with_areas(visible(user, entries)).order_by("starts_on", "starts_at", "pk")


def entry_for_page(user, action: Action, pk: int) -> ScheduleEntry:
    return get_for(user, action, _with_areas(ScheduleEntry.objects.select_related("created_by__person")), pk=pk)


def theme_for_month(month: date, audit_kinds: Iterable[str] | None = None) -> ScheduleEntry | None:
    """The month's audit theme, for allocation.

    `month` is any day of the month. Returns the THEME entry whose `starts_on` falls in that month
    (a theme that started the month before does not count), the first by date (then time, then
    id) when the QA unit scheduled several, or None when the month has no theme. `audit_kinds`
    keeps only the themes applying to those audits (a month may have one theme for the monthly
    audits and another for themed ones). Allocation reads the theme's `legal_statuses`
    (LegalStatus values to prefer), `prefers_disability`, `audit_kind` and `service_areas`
    (empty: every area) from the entry it returns.
    """
    first = month_start(month)
    themes = ScheduleEntry.objects.filter(kind=Kind.THEME, starts_on__gte=first, starts_on__lt=next_month(first))
    if audit_kinds is not None:
        themes = themes.filter(audit_kind__in=list(audit_kinds))
    return themes.order_by("starts_on", "starts_at", "pk").first()


def feed_entries(today: date | None = None) -> QuerySet[ScheduleEntry]:
    """What the calendar feed carries: entries of the last year and everything ahead."""
    today = today or timezone.localdate()
    since = today - timedelta(days=FEED_DAYS_BACK)
    entries = ScheduleEntry.objects.annotate(last_day=Coalesce("ends_on", "starts_on")).filter(last_day__gte=since)
    return _with_areas(entries).order_by("starts_on", "starts_at", "pk")


@dataclass
class MonthBlock:
    """One month of the year view: its entries grouped by kind, in the order of ScheduleEntry.Kind."""

    month: date
    groups: list[tuple[str, str, list[ScheduleEntry]]] = field(default_factory=list)  # (kind, label, entries)

    @property
    def count(self) -> int:
        return sum(len(entries) for _, _, entries in self.groups)


def _last_day(entry: ScheduleEntry) -> date:
    return entry.ends_on or entry.starts_on


def _grouped(entries: Iterable[ScheduleEntry]) -> list[tuple[str, str, list[ScheduleEntry]]]:
    by_kind: dict[str, list[ScheduleEntry]] = {}
    for entry in entries:
        by_kind.setdefault(entry.kind, []).append(entry)
    return [(value, label, by_kind[value]) for value, label in Kind.choices if value in by_kind]


def year_calendar(user, year: int, kind: str | None = None) -> list[MonthBlock]:
    """Twelve months of the year; an entry running over two months shows in both. One query (and its
    prefetch of areas) whatever the number of entries."""
    entries = list(entries_between(user, date(year, 1, 1), date(year, 12, 31), kind))
    blocks = []
    for number in range(1, 13):
        first = date(year, number, 1)
        last = month_end(first)
        in_month = [e for e in entries if e.starts_on <= last and _last_day(e) >= first]
        blocks.append(MonthBlock(month=first, groups=_grouped(in_month)))
    return blocks


@dataclass
class Day:
    day: date
    entries: list[ScheduleEntry]
    deadlines: list[str]

    @property
    def is_weekend(self) -> bool:
        return self.day.weekday() >= 5


@dataclass
class MonthCalendar:
    month: date
    running: list[ScheduleEntry]  # entries of more than one day that overlap the month
    days: list[Day]


def cycle_deadlines(month: date) -> dict[date, list[str]]:
    """The monthly cycle's own dates that fall in `month` (audits.cycle.dates): not entries, always there."""
    this, last = cycle_dates(month), cycle_dates(month_start(month) - timedelta(days=1))
    deadlines: dict[date, list[str]] = {}
    for day, label in (
        (this.allocation_on, "Allocation list goes out"),
        (this.audit_due, "This month's audits due"),
        (last.oversight_due, "Service leads' oversight of last month's audits due"),
        (last.record_due, "Last month's audits due on the child's record"),
    ):
        deadlines.setdefault(day, []).append(label)
    return deadlines


def month_calendar(user, month: date, kind: str | None = None) -> MonthCalendar:
    """Every day of the month with its one-day entries and the cycle's deadlines; longer entries
    (themes, practice weeks, surveys...) listed once as running in the month."""
    first = month_start(month)
    last = month_end(first)
    entries = list(entries_between(user, first, last, kind))
    running = [entry for entry in entries if entry.ends_on]
    by_day: dict[date, list[ScheduleEntry]] = {}
    for entry in entries:
        if not entry.ends_on:
            by_day.setdefault(entry.starts_on, []).append(entry)
    deadlines = cycle_deadlines(first)
    days = [
        Day(day=day, entries=by_day.get(day, []), deadlines=deadlines.get(day, []))
        for day in (first + timedelta(days=n) for n in range((last - first).days + 1))
    ]
    return MonthCalendar(month=first, running=running, days=days)


# -- demo data: a year in the shape of the 2023 schedule -----------------------------------------

MANAGERS = "Managers across social work teams and Early Help"
QA = "QA unit"
THRESHOLD_PARTNERS = "QA unit, CRS, Housing, Education, Health, Police"
SEND_PANEL = "Head of SEND, SEND manager, CWD manager, educational psychologist, safeguarding service lead, health"

# Per month (1-12): the theme (title, legal statuses preferred, prefers disability, who completes it),
# then other audits (kind, title, who completes them, audit kind, service area codes).
THEMES = {
    1: ("Contextual safeguarding", ["cin", "cp", "cla"], False, MANAGERS),
    2: ("Neglect", ["cin", "cp"], False, MANAGERS),
    3: ("Physical abuse", ["cp", "cin"], False, MANAGERS),
    4: ("Sexual abuse", ["cp", "cla"], False, MANAGERS),
    5: ("Emotional abuse", ["cin", "cp"], False, MANAGERS),
    6: ("Cases stepped down to Children & Families First", ["early_help", "cin"], False, MANAGERS),
    7: ("Reunification", ["cla"], False, "Managers across social work teams"),
    8: ("Education", ["cla", "cin", "care_leaver"], False, MANAGERS),
    9: ("Repeat child protection plans", ["cp"], False, MANAGERS),
    10: ("Missing children", ["cla", "cp"], False, MANAGERS),
    11: ("Children with disabilities", [], True, MANAGERS),
    12: ("Radicalisation", ["cin", "cp"], False, MANAGERS),
}
SUPERVISION = (Kind.THEMATIC, "Supervision audits", QA, Audit.Kind.QA_THEMATIC, [])
THRESHOLD = (Kind.PARTNERSHIP, "Application of threshold audits", THRESHOLD_PARTNERS, Audit.Kind.PARTNERSHIP, ["CRS"])
OTHER_AUDITS = {
    1: [THRESHOLD, (Kind.THEMATIC, "YOS education audits", "YOS and QA unit", Audit.Kind.THEMED, [])],
    2: [
        SUPERVISION,
        (
            Kind.THEMATIC,
            "Care leavers audits: direct work, accommodation, EET, local offer, young people in pathway plans",
            "QA unit and PTC managers",
            Audit.Kind.THEMED,
            ["PTC"],
        ),
    ],
    3: [
        (Kind.THEMATIC, "SEND audits", SEND_PANEL, Audit.Kind.THEMED, []),
        (Kind.THEMATIC, "Stability audits", QA, Audit.Kind.QA_THEMATIC, []),
    ],
    4: [THRESHOLD, SUPERVISION],
    5: [(Kind.THEMATIC, "Section 47 audits", "Service leads across social work teams", Audit.Kind.THEMED, [])],
    6: [
        (
            Kind.PARTNERSHIP,
            "Domestic abuse partnership audit",
            "QA unit, IDVA, Education, Health, Housing, Police, children's social care, C&FF",
            Audit.Kind.PARTNERSHIP,
            [],
        ),
        SUPERVISION,
    ],
    7: [(Kind.PARTNERSHIP, "Application of threshold audits", "QA unit, CRS", Audit.Kind.PARTNERSHIP, ["CRS"])],
    8: [
        (Kind.THEMATIC, "Elective home education audits", "Inclusion service", Audit.Kind.THEMED, ["I&P"]),
        SUPERVISION,
    ],
    9: [(Kind.THEMATIC, "SEND audits", SEND_PANEL, Audit.Kind.THEMED, [])],
    10: [
        (Kind.PARTNERSHIP, "Application of threshold audits", "CRS partners", Audit.Kind.PARTNERSHIP, ["CRS"]),
        SUPERVISION,
    ],
    11: [(Kind.PARTNERSHIP, "Impact of locality working", "Partner agencies", Audit.Kind.PARTNERSHIP, [])],
    12: [
        (
            Kind.THEMATIC,
            "Annual fostering audits",
            "QA unit, Fostering and external partners",
            Audit.Kind.THEMED,
            ["FOST"],
        ),
        SUPERVISION,
    ],
}
PARTNERSHIP_THEMATICS = {
    3: "Safeguarding children partnership thematic: MET / CCE / CSE",
    7: "Safeguarding children partnership thematic: multi-agency safeguarding arrangements",
    11: "Safeguarding children partnership thematic: neglect",
}
PRACTICE_WEEKS = ((3, 6), (6, 6), (9, 26), (12, 5))  # Monday to Friday of the week holding this day (or the next)
CRH_AUDITS = ((3, 23), (6, 22), (9, 22), (12, 13))  # 13:30 to 16:30, on the next weekday if a weekend
SURVEYS = {4: "Children and families survey 1", 10: "Children and families survey 2"}
QUARTERLY_REPORT_MONTHS = (1, 4, 7, 10)  # on the 6th: the quarter just ended
MONTHLY_REPORT_DAY = 9
QUARTERLY_REPORT_DAY = 6
PANEL_FROM, PANEL_TO = time(15, 0), time(17, 0)


def _third_thursday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 14)


def _weekday_from(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)


def _month_span(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    return first, month_end(first)


def demo_entries(year: int) -> list[dict]:
    """The year's entries as service arguments (service areas as codes), in the 2023 schedule's shape."""
    rows: list[dict] = []

    def add(kind, title, starts_on, ends_on=None, **more):
        rows.append({"kind": kind, "title": title, "starts_on": starts_on, "ends_on": ends_on, **more})

    for month in range(1, 13):
        first, last = _month_span(year, month)
        title, statuses, disability, who = THEMES[month]
        add(
            Kind.THEME,
            f"{title} audits",
            first,
            last,
            audit_kind=Audit.Kind.MONTHLY,
            completed_by=who,
            legal_statuses=statuses,
            prefers_disability=disability,
            notes="Each manager completes at least one audit for the service area, with the case holder.",
        )
        for kind, other_title, other_who, audit_kind, codes in OTHER_AUDITS[month]:
            add(kind, other_title, first, last, audit_kind=audit_kind, completed_by=other_who, area_codes=codes)
        if month in PARTNERSHIP_THEMATICS:
            add(
                Kind.PARTNERSHIP,
                PARTNERSHIP_THEMATICS[month],
                first,
                last,
                audit_kind=Audit.Kind.PARTNERSHIP,
                completed_by="Safeguarding children partnership",
            )
        if month in SURVEYS:
            add(Kind.SURVEY, SURVEYS[month], first, last)
        add(
            Kind.PANEL,
            "Moderation panel",
            _third_thursday(year, month),
            starts_at=PANEL_FROM,
            ends_at=PANEL_TO,
            completed_by="Heads of service, QA unit manager and nominated leads",
        )
        add(Kind.REPORT, "Monthly audit analysis report", date(year, month, MONTHLY_REPORT_DAY), completed_by=QA)
        if month in QUARTERLY_REPORT_MONTHS:
            add(
                Kind.REPORT, "Quarterly audit analysis report", date(year, month, QUARTERLY_REPORT_DAY), completed_by=QA
            )
    for month, day in PRACTICE_WEEKS:
        weekday = _weekday_from(date(year, month, day))
        monday = weekday - timedelta(days=weekday.weekday())
        add(Kind.PRACTICE_WEEK, "Practice week", monday, monday + timedelta(days=4))
    for month, day in CRH_AUDITS:
        add(
            Kind.OTHER,
            "CRH audits",
            _weekday_from(date(year, month, day)),
            starts_at=time(13, 30),
            ends_at=time(16, 30),
        )
    add(Kind.REPORT, "Annual audit report", *_month_span(year, 12), completed_by=QA)
    return rows


def demo_schedule(year: int, actor=None) -> int:
    """Fill `year` with a schedule in the shape of the 2023 one in the seeds; return how many entries
    it added. Idempotent: an entry of the same kind, title and start date already there is left alone."""
    existing = set(
        ScheduleEntry.objects.filter(starts_on__year=year)
        .annotate(lower_title=Lower("title"))
        .values_list("kind", "lower_title", "starts_on")
    )
    areas = {area.code.upper(): area for area in ServiceArea.objects.filter(is_active=True)}
    added = 0
    for row in demo_entries(year):
        codes = row.pop("area_codes", [])
        if (row["kind"], row["title"].lower(), row["starts_on"]) in existing:
            continue
        schedule_entry_create(actor=actor, service_areas=[areas[c] for c in codes if c in areas], **row)
        added += 1
    return added
