"""The portal at scale (issue 15): generate N audits with a fixed seed, then measure, in one run, each
piece of work beside a same-run reference, and print their ratio.

    .venv/bin/python bench/scale.py --audits 100000 [--seed 15] [--keep] [--reuse]
        [--only figures,moderation,json,pages,import,pdf] [--runs 5] [--json FILE]

It runs on the configured database (DATABASE_URL; the settings module defaults to
quality.settings.local). It refuses a database that already holds audits unless --reuse is given, and
then measures those audits instead of generating any. Everything (generated rows, the report it
generates) is one transaction, rolled back at the end unless --keep: the database is left as it was.

The data: 12 service areas of 3 teams (a service lead, a practice manager per team, practitioners), a
published case-audit tool per area and a shared themed tool, the default practice themes, and N audits
over 2023-2025 (a third each; the report year is 2025), mostly closed, a few drafts (the last weeks of
2025), the last quarter's still overseen, submitted or disputed (older ones a few stragglers); mostly
monthly, some themed and ungraded reviews; the seven area grades of each completed graded audit; a
quarter of those moderated (with a decision each); a few learning actions, open disputes and allocations.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quality.settings.local")

import django  # noqa: E402
from django.apps import apps  # noqa: E402

if not apps.ready:
    django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from audits import services as audit_services  # noqa: E402
from audits.cycle.dates import audit_period_start, cycle_dates  # noqa: E402
from audits.models import (  # noqa: E402
    Allocation,
    AllocationItem,
    AnalysisArea,
    AreaGrade,
    Audit,
    AuditTool,
    Case,
    Dispute,
    Grade,
    LearningAction,
    LegalStatus,
)
from moderation.models import ModerationDecision  # noqa: E402
from moderation.selectors import decisions_in, summary  # noqa: E402
from quality.months import month_end  # noqa: E402
from quality.org.models import Membership, Person, Role, ServiceArea, ServiceAreaName, Team  # noqa: E402
from quality.pagination import COUNT_CAP, PER_PAGE  # noqa: E402
from quality.reports import figures, outputs  # noqa: E402
from quality.reports import services as report_services  # noqa: E402
from quality.reports.models import Report  # noqa: E402
from quality.reports.themes import ensure_default_themes  # noqa: E402

YEARS = (2023, 2024, 2025)
REPORT_YEAR = YEARS[-1]
MONTHLY_PERIOD = f"{REPORT_YEAR}-11"
AREAS, TEAMS_PER_AREA, PRACTITIONERS_PER_TEAM = 12, 3, 6
BATCH = 10_000
SECTIONS = ("figures", "moderation", "json", "pages", "import", "pdf")
ALIASES = {"lists": "pages", "history": "import"}
IMPORT_TARGET_ROWS_PER_SECOND = 10_000

DRAFT_SHARE = 0.03  # all in the last weeks of the report year: only they are not completed
# The completed audits' states: the last quarter's are still moving through oversight and disputes,
# older ones are nearly all on the child's record (a few stragglers, which the overdue list shows).
RECENT_FROM = date(REPORT_YEAR, 10, 1)
RECENT_STATE_WEIGHTS = {
    Audit.State.CLOSED: 40,
    Audit.State.OVERSEEN: 30,
    Audit.State.SUBMITTED: 20,
    Audit.State.DISPUTED: 10,
}
OLDER_STATE_WEIGHTS = {
    Audit.State.CLOSED: 90,
    Audit.State.OVERSEEN: 8,
    Audit.State.SUBMITTED: 1,
    Audit.State.DISPUTED: 1,
}
KIND_WEIGHTS = {Audit.Kind.MONTHLY: 85, Audit.Kind.THEMED: 10, Audit.Kind.REVIEW: 5}
AUDIT_THEMES = ("Neglect", "Exploitation", "Domestic abuse", "Disabled children")
GRADE_WEIGHTS = {Grade.OUTSTANDING: 10, Grade.GOOD: 45, Grade.REQUIRES_IMPROVEMENT: 35, Grade.INADEQUATE: 10}
GRADE_ORDER = [Grade.OUTSTANDING, Grade.GOOD, Grade.REQUIRES_IMPROVEMENT, Grade.INADEQUATE]
MODERATED_SHARE = 0.25  # of the completed graded audits, exactly (rounded)
# Narratives: sometimes a practice theme's phrase (quality/reports/themes.py), sometimes none.
STRENGTHS = (
    "A clear chronology that the plan follows.",
    "Regular visits; the child's voice is evident throughout.",
    "Good direct work and life story work with the child.",
    "Multi-agency working with the school is strong.",
    "The record is up to date and well written.",
    "Purposeful work that the family understands.",
)
IMPROVEMENTS = (
    "Drift and delay between the assessment and the plan.",
    "Supervision records little reflection.",
    "No contingency plan was recorded.",
    "The genogram has not been completed.",
    "Targets in the plan are vague.",
    "The case summary is out of date.",
)


@dataclass
class Measurement:
    section: str
    work: str
    seconds: float | None
    reference: str
    reference_seconds: float | None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.seconds is None or not self.reference_seconds:
            return None
        return self.seconds / self.reference_seconds


@dataclass
class World:
    """What generation made (or what --reuse found) that the measurements need."""

    qa_lead: Person
    audits: int
    generation_seconds: float | None = None
    shape: dict = field(default_factory=dict)
    report: Report | None = None


FAILED = "failed: "


def failed(section: str, work: str, error: Exception) -> Measurement:
    """A measurement whose work raised: the table says so (and why), the traceback goes to stderr."""
    traceback.print_exception(error, file=sys.stderr)
    return Measurement(section, work, None, "", None, note=f"{FAILED}{type(error).__name__}: {error}"[:200])


# -- Timing -----------------------------------------------------------------------------------------


def seconds_of(work: Callable[[], object], *, runs: int = 1, warmup: int = 0) -> float:
    """The median wall time of `runs` runs of `work`, after `warmup` runs not counted."""
    for _ in range(warmup):
        work()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def seconds_in_rounds(works: dict[str, Callable[[], object]], *, runs: int) -> dict[str, float]:
    """The median wall time of each work, timed in `runs` rounds that each run every work once (after
    a warm-up round): a slow moment of the machine slows the reference of a round as much as the
    work beside it, where timing one work's runs and then the next would charge it to one of them."""
    for work in works.values():
        work()
    times = {label: [] for label in works}
    for _ in range(runs):
        for label, work in works.items():
            started = time.perf_counter()
            work()
            times[label].append(time.perf_counter() - started)
    return {label: statistics.median(each) for label, each in times.items()}


def raw(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# -- Generation -------------------------------------------------------------------------------------


def _weighted(rng: random.Random, weights: dict) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _near(rng: random.Random, grade: str) -> str:
    """A grade next to `grade` (an area's grade, or a moderator's), or the same."""
    index = GRADE_ORDER.index(grade) + rng.choice((-1, 0, 0, 0, 1))
    return GRADE_ORDER[min(max(index, 0), len(GRADE_ORDER) - 1)]


def _narrative(rng: random.Random, phrases: tuple[str, ...]) -> str:
    return " ".join(rng.sample(phrases, rng.choice((0, 1, 1, 2))))


def _people(seed: int) -> dict:
    """Areas with teams, a service lead, practice managers and practitioners, and a QA lead (made directly:
    generated people need no invitations nor change records)."""
    user_model = get_user_model()
    unusable = make_password(None)
    tag = f"bench{seed}"
    areas = ServiceArea.objects.bulk_create(
        [ServiceArea(code=f"B{seed % 100:02d}A{k:02d}", name=f"Bench service area {k:02d}") for k in range(AREAS)]
    )
    named_from = datetime(YEARS[0] - 1, 1, 1, tzinfo=UTC)
    ServiceAreaName.objects.bulk_create(
        [ServiceAreaName(service_area=area, name=area.name, valid_from=named_from) for area in areas]
    )
    teams = Team.objects.bulk_create(
        [Team(service_area=area, name=f"{area.code} team {t}") for area in areas for t in range(TEAMS_PER_AREA)]
    )
    wanted: list[tuple[str, Role, ServiceArea | None, Team | None]] = [("QA lead", Role.QA_LEAD, None, None)]
    for area in areas:
        wanted.append(("Service lead", Role.SERVICE_LEAD, area, None))
    for team in teams:
        wanted.append(("Practice manager", Role.PRACTICE_MANAGER, team.service_area, team))
        wanted += [("Social worker", Role.PRACTITIONER, team.service_area, team)] * PRACTITIONERS_PER_TEAM
    users = user_model.objects.bulk_create(
        [
            user_model(username=f"{tag}-{n}@bench.example", email=f"{tag}-{n}@bench.example", password=unusable)
            for n in range(len(wanted))
        ]
    )
    people = Person.objects.bulk_create(
        [
            Person(user=user, full_name=f"Bench person {n}", job_title=title)
            for n, (user, (title, *_)) in enumerate(zip(users, wanted, strict=True))
        ]
    )
    started = datetime(YEARS[0] - 1, 1, 1, tzinfo=UTC)
    Membership.objects.bulk_create(
        [
            Membership(person=person, role=role, service_area=area, team=team, started_at=started)
            for person, (_, role, area, team) in zip(people, wanted, strict=True)
        ]
    )
    by_team = {team.pk: {"manager": None, "practitioners": []} for team in teams}
    leads = {}
    for person, (_, role, area, team) in zip(people, wanted, strict=True):
        if role == Role.PRACTICE_MANAGER:
            by_team[team.pk]["manager"] = person
        elif role == Role.PRACTITIONER:
            by_team[team.pk]["practitioners"].append(person)
        elif role == Role.SERVICE_LEAD:
            leads[area.pk] = person
    return {"qa_lead": people[0], "areas": areas, "teams": teams, "by_team": by_team, "leads": leads}


def _tools(areas: list[ServiceArea]) -> tuple[dict, object]:
    """A published case-audit tool per area and a shared themed tool, through the audits services."""
    versions = {}
    for area in areas:
        tool = audit_services.tool_create(
            actor=None, name=f"{area.code} case audit", service_area=area, purpose=AuditTool.Purpose.CASE_AUDIT
        )
        versions[area.pk] = audit_services.version_publish(actor=None, version=tool.versions.get())
    themed = audit_services.tool_create(
        actor=None, name=f"{areas[0].code} themed audit", service_area=None, purpose=AuditTool.Purpose.THEMED
    )
    return versions, audit_services.version_publish(actor=None, version=themed.versions.get())


def _submitted_moments(rng: random.Random, count: int) -> list[datetime]:
    """`count` moments: a third in each of YEARS (exactly, by position), at 10:00 UTC (the same day in London)."""
    moments = []
    for index in range(count):
        year = YEARS[index * len(YEARS) // count]
        day = date(year, 1, 1) + timedelta(days=rng.randrange(365))
        moments.append(datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC))
    return moments


def _copy_or_bulk(model, columns: list[str], rows: list[tuple]) -> None:
    """Many small rows: COPY on PostgreSQL, bulk_create in batches elsewhere."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            names = ", ".join(columns)
            with cursor.cursor.copy(f"COPY {model._meta.db_table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    model.objects.bulk_create([model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=BATCH)


def _plain(value):
    return str(value) if isinstance(value, str) else value


def insert_models(model, objects: list) -> None:
    """Insert model instances, setting their pk: COPY on PostgreSQL (ids drawn from the table's sequence
    first), bulk_create in batches elsewhere. auto_now(_add) fields are taken as set on the instance."""
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, batch_size=BATCH)
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(objects)]
        )
        for obj, (pk,) in zip(objects, cursor.fetchall(), strict=True):
            obj.pk = pk
    fields = [f for f in model._meta.concrete_fields if not f.generated]
    # Plain values as they are (choices as their str: psycopg would write an Enum's name).
    rows = [tuple(_plain(getattr(obj, f.attname)) for f in fields) for obj in objects]
    _copy_or_bulk(model, [f.column for f in fields], rows)


def generate(count: int, seed: int) -> World:
    rng = random.Random(seed)
    started = time.perf_counter()
    org = _people(seed)
    versions, themed_version = _tools(org["areas"])
    ensure_default_themes()
    teams = org["teams"]
    moments = _submitted_moments(rng, count)
    drafts = round(count * DRAFT_SHARE)
    draft_indexes = set(range(count - drafts, count))  # the latest positions: the report year's end
    audits = []
    for index, moment in enumerate(moments):
        team = teams[rng.randrange(len(teams))]
        staff = org["by_team"][team.pk]
        kind = _weighted(rng, KIND_WEIGHTS)
        is_draft = index in draft_indexes
        if is_draft:
            moment = datetime(REPORT_YEAR, 12, 1 + rng.randrange(20), 10, 0, tzinfo=UTC)
        weights = RECENT_STATE_WEIGHTS if moment.date() >= RECENT_FROM else OLDER_STATE_WEIGHTS
        state = Audit.State.DRAFT if is_draft else _weighted(rng, weights)
        grade = "" if kind == Audit.Kind.REVIEW else _weighted(rng, GRADE_WEIGHTS)
        period_end = month_end(date(moment.year, moment.month, 1) - timedelta(days=1))
        cycle = cycle_dates(moment.date())
        day = moment.date()
        audits.append(
            Audit(
                case_reference=f"B{seed % 100:02d}-{index:07d}",
                service_area=team.service_area,
                team=team,
                case_holder=rng.choice(staff["practitioners"]),
                auditor=staff["manager"],
                kind=kind,
                theme=rng.choice(AUDIT_THEMES) if kind == Audit.Kind.THEMED else "",
                period_start=audit_period_start(period_end),
                period_end=period_end,
                tool_version=themed_version if kind == Audit.Kind.THEMED else versions[team.service_area_id],
                state=state,
                overall_grade="" if is_draft else grade,
                discussion_held=None if is_draft else rng.random() < 0.85,
                discussion_on=None if is_draft else day - timedelta(days=rng.randrange(1, 10)),
                child_contacted=None if is_draft else rng.random() < 0.6,
                family_contacted=None if is_draft else rng.random() < 0.7,
                strengths=_narrative(rng, STRENGTHS),
                areas_for_improvement=_narrative(rng, IMPROVEMENTS),
                due_on=cycle.audit_due,
                oversight_due_on=cycle.oversight_due,
                record_due_on=cycle.record_due,
                submitted_at=None if is_draft else moment,
                oversight_by=staff["manager"] if state in (Audit.State.OVERSEEN, Audit.State.CLOSED) else None,
                oversight_at=moment + timedelta(days=2)
                if state in (Audit.State.OVERSEEN, Audit.State.CLOSED)
                else None,
                on_record_by=staff["manager"] if state == Audit.State.CLOSED else None,
                on_record_at=moment + timedelta(days=4) if state == Audit.State.CLOSED else None,
                # Started a week before they were submitted (the lists sort by it); drafts this month.
                created_at=moment - timedelta(days=7),
                updated_at=moment,
            )
        )
    # A quarter of the completed graded audits moderated: their grade set before they are written.
    completed_graded = [a for a in audits if a.state != Audit.State.DRAFT and a.overall_grade]
    moderated = rng.sample(completed_graded, round(len(completed_graded) * MODERATED_SHARE))
    for audit in moderated:
        audit.moderated_grade = _near(rng, audit.overall_grade)
    insert_models(Audit, audits)

    area_rows = [
        (audit.pk, area, _near(rng, audit.overall_grade)) for audit in completed_graded for area in AnalysisArea.values
    ]
    _copy_or_bulk(AreaGrade, ["audit_id", "area", "grade"], area_rows)
    ModerationDecision.objects.bulk_create(
        [
            ModerationDecision(
                audit=audit,
                source=ModerationDecision.Source.IMPORTED,
                original_grade=audit.overall_grade,
                moderated_grade=audit.moderated_grade,
                decided_on=audit.submitted_at.date() + timedelta(days=rng.randrange(7, 35)),
                decided_by=org["qa_lead"],
            )
            for audit in moderated
        ],
        batch_size=BATCH,
    )

    completed = [a for a in audits if a.state != Audit.State.DRAFT]
    LearningAction.objects.bulk_create(
        [
            LearningAction(
                audit=audit,
                description="Update the chronology and the plan.",
                owner=audit.case_holder,
                due_on=audit.submitted_at.date() + timedelta(days=30),
                status=rng.choice((LearningAction.Status.OPEN, LearningAction.Status.DONE)),
            )
            for audit in completed[:: max(1, len(completed) // max(1, count // 20))]
        ],
        batch_size=BATCH,
    )
    Dispute.objects.bulk_create(
        [
            Dispute(
                audit=audit,
                raised_by=org["leads"][audit.service_area_id],
                proposed_grade=GRADE_ORDER[max(0, GRADE_ORDER.index(audit.overall_grade) - 1)],
                original_grade=audit.overall_grade,
                reason="The evidence in the plan supports a better grade.",
            )
            for audit in completed
            if audit.state == Audit.State.DISPUTED and audit.overall_grade
        ],
        batch_size=BATCH,
    )
    _allocations(rng, org, seed)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    seconds = time.perf_counter() - started
    shape = {
        "areas": len(org["areas"]),
        "teams": len(teams),
        "completed_by_year": {year: sum(1 for a in completed if a.submitted_at.year == year) for year in YEARS},
        "drafts": drafts,
        "moderated": len(moderated),
        "area_grades": len(area_rows),
    }
    return World(qa_lead=org["qa_lead"], audits=count, generation_seconds=seconds, shape=shape)


def _allocations(rng: random.Random, org: dict, seed: int) -> None:
    """The report year's twelve monthly allocations, distributed, of ten cases each."""
    teams = org["teams"]
    cases = Case.objects.bulk_create(
        [
            Case(
                child_ref=f"B{seed % 100:02d}-K{n:05d}",
                service_area=(team := teams[n % len(teams)]).service_area,
                team=team,
                worker=org["by_team"][team.pk]["practitioners"][0],
                manager=org["by_team"][team.pk]["manager"],
                legal_status=rng.choice(LegalStatus.values),
                open_since=date(YEARS[0], 1, 1),
            )
            for n in range(120)
        ]
    )
    for month in range(1, 13):
        allocation = Allocation.objects.create(
            month=date(REPORT_YEAR, month, 1),
            state=Allocation.State.DISTRIBUTED,
            distributed_at=datetime(REPORT_YEAR, month, 4, 9, 0, tzinfo=UTC),
        )
        AllocationItem.objects.bulk_create(
            [
                AllocationItem(
                    allocation=allocation,
                    case=case,
                    auditor=org["by_team"][case.team_id]["manager"],
                    reason="Chosen for the month's theme",
                )
                for case in cases[(month - 1) * 10 : month * 10]
            ]
        )


def existing_world(count: int) -> World:
    """--reuse: measure the audits already there, as a QA lead (made if there is none)."""
    qa_lead = Person.objects.filter(memberships__role=Role.QA_LEAD, memberships__ended_at__isnull=True).first()
    if qa_lead is None:
        user = get_user_model().objects.create(username="bench-qa@bench.example", email="bench-qa@bench.example")
        qa_lead = Person.objects.create(user=user, full_name="Bench QA lead", job_title="QA lead")
        Membership.objects.create(person=qa_lead, role=Role.QA_LEAD)
    return World(qa_lead=qa_lead, audits=count)


# -- Measurements -----------------------------------------------------------------------------------


def _year() -> tuple[date, date]:
    return date(REPORT_YEAR, 1, 1), date(REPORT_YEAR, 12, 31)


AREA_GRADE_SQL = """
    SELECT service_area_id, overall_grade, count(*) FROM audits_audit
    WHERE state <> 'draft' AND completed_day BETWEEN %s AND %s
    GROUP BY service_area_id, overall_grade
"""
MODERATION_MATRIX_SQL = """
    SELECT original_grade, moderated_grade, count(*) FROM moderation_moderationdecision
    WHERE decided_on BETWEEN %s AND %s
    GROUP BY original_grade, moderated_grade
"""


def _area_table_seconds(start: date, end: date, runs: int) -> float:
    return seconds_of(lambda: raw(AREA_GRADE_SQL, [start, end]), runs=runs, warmup=1)


def measure_figures(world: World, runs: int) -> list[Measurement]:
    results = []
    for kind, period, start, end in (
        ("annual", str(REPORT_YEAR), *_year()),
        ("monthly", MONTHLY_PERIOD, date(REPORT_YEAR, 11, 1), date(REPORT_YEAR, 11, 30)),
    ):
        timed = seconds_in_rounds(
            {
                "reference": lambda start=start, end=end: raw(AREA_GRADE_SQL, [start, end]),
                "figures": lambda kind=kind, period=period: figures.compute(kind, period),
            },
            runs=runs,
        )
        results.append(
            Measurement(
                "figures",
                f"figures.compute({kind!r}, {period!r})",
                timed["figures"],
                f"raw SQL area x grade, {period}",
                timed["reference"],
            )
        )
    return results


def measure_moderation(world: World, runs: int) -> list[Measurement]:
    start, end = _year()
    timed = seconds_in_rounds(
        {
            "reference": lambda: raw(MODERATION_MATRIX_SQL, [start, end]),
            "summary": lambda: summary(decisions_in(start, end)),
        },
        runs=runs,
    )
    return [
        Measurement(
            "moderation",
            f"moderation summary {REPORT_YEAR}",
            timed["summary"],
            "raw SQL original x moderated grade",
            timed["reference"],
        )
    ]


def measure_json(world: World, runs: int) -> list[Measurement]:
    start, end = _year()
    reference = _area_table_seconds(start, end, runs)
    out = StringIO()

    def build():
        out.seek(0)
        out.truncate()
        call_command("build_report", kind="annual", period=str(REPORT_YEAR), file_format="json", stdout=out)

    seconds = seconds_of(build, warmup=1)
    size = len(out.getvalue().encode("utf-8"))
    return [
        Measurement(
            "json",
            f"build_report --format json, annual {REPORT_YEAR}",
            seconds,
            f"raw SQL area x grade, {REPORT_YEAR}",
            reference,
            note=f"{size:,} bytes",
        )
    ]


def annual_report(world: World) -> tuple[Report, float]:
    """The annual report generated as the worker does (reports.tasks.generate_report calls report_generate)."""
    start, end = _year()
    report = Report.objects.create(
        kind=Report.Kind.ANNUAL,
        period=str(REPORT_YEAR),
        period_start=start,
        period_end=end,
        requested_by=world.qa_lead.user,
    )
    started = time.perf_counter()
    generated = report_services.report_generate(report_id=report.pk)
    seconds = time.perf_counter() - started
    if generated is None or generated.state != Report.State.DRAFT:
        raise RuntimeError(f"report {report.pk} was not generated")
    world.report = generated
    return generated, seconds


def _report(world: World) -> Report:
    return world.report or annual_report(world)[0]


def signed_in_client(person: Person) -> Client:
    """A client signed in with the password and the second factor, as tests/second_factor.py does it."""
    client = Client()
    client.force_login(person.user)
    device = TOTPDevice.objects.filter(user_id=person.user_id, confirmed=True).first()
    device = device or TOTPDevice.objects.create(user_id=person.user_id, name="Authenticator app", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _getter(client: Client, url: str) -> Callable[[], None]:
    def get():
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")

    return get


def _row_at(fraction: float) -> int:
    """The key of the row `fraction` of the way down the audit list's default order (not timed)."""
    audits = Audit.objects.order_by("-listed_at", "-pk").values_list("pk", flat=True)
    return audits[int(Audit.objects.count() * fraction)]


def measure_pages(world: World, runs: int) -> list[Measurement]:
    results = []
    if world.report is None:
        report, generation = annual_report(world)
        start, end = _year()
        results.append(
            Measurement(
                "pages",
                f"report generation (worker), annual {REPORT_YEAR}",
                generation,
                f"raw SQL area x grade, {REPORT_YEAR}",
                _area_table_seconds(start, end, runs),
            )
        )
    client = signed_in_client(world.qa_lead)
    audit_list = reverse("audits:audit_list_all")
    pages = [
        ("home page", reverse("home")),
        ("audit list, all, page 1", audit_list),
        ("audit list, all, the last numbered page", f"{audit_list}?page={COUNT_CAP // PER_PAGE}"),
        # Past the rows counted a list pages on from the last row seen (?after=, keyset pagination):
        # the page that follows the row 80% of the way through, as its "next" link asks for it.
        ("audit list, all, the page after 80% of the rows", f"{audit_list}?after={_row_at(0.8)}"),
        ("overdue list", reverse("escalations:overdue_list")),
        # A month of the generated years: its quality section counts that year's audits.
        (f"scorecard, {REPORT_YEAR}-11", f"{reverse('performance:scorecard')}?month={REPORT_YEAR}-11"),
        (f"report page, annual {REPORT_YEAR}", reverse("reports:report_detail", args=[_report(world).pk])),
    ]
    login = "log-in page (signed out)"
    gets = {login: _getter(Client(), reverse("login"))}
    for label, url in pages:
        get = _getter(client, url)
        try:
            with transaction.atomic():
                get()
        except Exception as error:  # one broken page does not hide the others
            results.append(failed("pages", label, error))
            continue
        gets[label] = get
    seconds = seconds_in_rounds(gets, runs=runs)
    reference = seconds.pop(login)
    results += [Measurement("pages", label, each, login, reference) for label, each in seconds.items()]
    return results


def measure_import(world: World, runs: int, rows: int) -> list[Measurement]:
    work = f"history import, {rows:,} rows"
    reference = f"target {IMPORT_TARGET_ROWS_PER_SECOND:,} rows/s"
    try:
        from bench.history_import import measure_import as history_import
    except ImportError:
        return [Measurement("import", work, None, reference, None, note="not available")]
    result = history_import(rows)
    return [
        Measurement(
            "import",
            f"history import, {result['rows']:,} rows",
            result["seconds"],
            reference,
            result["rows"] / IMPORT_TARGET_ROWS_PER_SECOND,
            note=f"{result['rows_per_second']:,.0f} rows/s, process peak {result['peak_mb']:,.0f} MB",
        )
    ]


def pdf_pages(data: bytes) -> int:
    """The pages of a PDF: pdfinfo's count, else the page objects in the file."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(data)
        file.flush()
        try:
            info = subprocess.run(["pdfinfo", file.name], capture_output=True, text=True, check=True)  # noqa: S603, S607
            return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.MULTILINE).group(1))
        except (OSError, subprocess.CalledProcessError, AttributeError):
            return len(re.findall(rb"/Type\s*/Page(?!s)", data))


def trivial_pdf(rows: int) -> bytes:
    from weasyprint import HTML

    body = "".join(f"<tr><td>{n}</td><td>Row {n}</td><td>{n * 7 % 100}%</td></tr>" for n in range(rows))
    return HTML(string=f"<table><tr><th>#</th><th>Row</th><th>%</th></tr>{body}</table>").write_pdf()


def measure_pdf(world: World, runs: int) -> list[Measurement]:
    content = outputs.report_content(_report(world))
    made_at = datetime.now(UTC)
    data = b""

    def report_pdf():
        nonlocal data
        data = outputs.pdf_bytes(content, made_at=made_at)

    seconds = seconds_of(report_pdf)
    pages = pdf_pages(data)
    # A table as long: rows per page from a sample, then the same number of pages, timed.
    sample = 200
    rows = max(1, round(sample / pdf_pages(trivial_pdf(sample)) * pages))
    trivial = b""

    def table_pdf():
        nonlocal trivial
        trivial = trivial_pdf(rows)

    table_seconds = seconds_of(table_pdf)
    table_pages = pdf_pages(trivial)
    return [
        Measurement(
            "pdf",
            f"annual report PDF, seconds a page ({pages} pages)",
            seconds / pages,
            f"trivial WeasyPrint table, seconds a page ({table_pages} pages)",
            table_seconds / table_pages,
        )
    ]


# -- The table --------------------------------------------------------------------------------------


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}" if value < 1 else f"{value:.2f}"


def print_table(measurements: list[Measurement], out=None) -> None:
    out = out or sys.stdout
    header = ("work", "seconds", "reference", "ref seconds", "ratio", "note")
    rows = [
        (
            m.work,
            _seconds(m.seconds),
            m.reference,
            _seconds(m.reference_seconds),
            "-" if m.ratio is None else f"{m.ratio:.1f}x",
            m.note,
        )
        for m in measurements
    ]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip(), file=out)


# -- Main -------------------------------------------------------------------------------------------


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--audits", type=int, default=100_000, help="how many audits to generate")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="commit the generated data (else rolled back)")
    parser.add_argument("--reuse", action="store_true", help="measure the audits already in the database")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"sections, comma-separated: {', '.join(SECTIONS)}")
    parser.add_argument("--runs", type=int, default=5, help="runs of each page and reference (median; one warm-up)")
    parser.add_argument("--import-rows", type=int, default=None, help="rows of the history import (default N/2)")
    parser.add_argument("--json", dest="json_path", help="also write the results as JSON to this file")
    args = parser.parse_args(argv)
    args.only = [ALIASES.get(name.strip(), name.strip()) for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(args.only) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections: {', '.join(unknown)} (known: {', '.join(SECTIONS)})")
    return args


def run(args: argparse.Namespace) -> dict:
    existing = Audit.objects.count()
    if existing:
        world = existing_world(existing)
        print(f"Reusing the {existing:,} audits in the database.")
    else:
        world = generate(args.audits, args.seed)
        print(f"Generated {args.audits:,} audits (seed {args.seed}) in {world.generation_seconds:.1f} s: {world.shape}")
    import_rows = args.import_rows or min(50_000, max(100, world.audits // 2))
    measures = {
        "figures": measure_figures,
        "moderation": measure_moderation,
        "json": measure_json,
        "pages": measure_pages,
        "pdf": measure_pdf,
        # Last: it adds audits of its own.
        "import": lambda world, runs: measure_import(world, runs, import_rows),
    }
    measurements = []
    for section, measure in measures.items():
        if section not in args.only:
            continue
        report = world.report
        try:
            with transaction.atomic():  # a failure rolls back to here, and the run goes on
                measurements += measure(world, args.runs)
        except Exception as error:
            world.report = report
            measurements.append(failed(section, f"{section}: every measurement", error))
    print()
    print_table(measurements)
    return {
        "audits": world.audits,
        "seed": args.seed,
        "database": connection.vendor,
        "generation_seconds": world.generation_seconds,
        "shape": world.shape,
        "measurements": [asdict(m) | {"ratio": m.ratio} for m in measurements],
        "failed": sum(1 for m in measurements if m.note.startswith(FAILED)),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if Audit.objects.exists() and not args.reuse:
        print(
            "The database already holds audits: give --reuse to measure them, or point DATABASE_URL at an empty one.",
            file=sys.stderr,
        )
        return 2
    # The client needs the test server's host; the local or production settings' secure cookies and
    # redirects would sign nobody in over the test client's plain http.
    with (
        override_settings(
            DEBUG=False,
            ALLOWED_HOSTS=["testserver", "localhost", "127.0.0.1"],
            SECURE_SSL_REDIRECT=False,
            SESSION_COOKIE_SECURE=False,
            CSRF_COOKIE_SECURE=False,
        ),
        transaction.atomic(),
    ):
        results = run(args)
        if not args.keep:
            transaction.set_rollback(True)
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
