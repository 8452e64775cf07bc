"""Demo data for the monthly cycle, so `make run` shows it working: the schedule for this year and
next, a case list for every service area (loaded through the real import), last year's audit
history from a generated QA spreadsheet (through the real import), and the last months'
allocations, deadlines and escalations. Idempotent: each part is skipped once it is there.

Everything is synthetic and deterministic (a seeded random generator): no real children.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from quality import append_only
from quality.org.models import Membership, Person, Role, ServiceArea

from . import case_import, history_import
from .allocation import allocation_distribute, allocation_propose
from .case_import import case_list_import
from .cycle import ALLOCATION_DAY, add_months, month_start
from .escalations import Decision, escalation_deadlines_run, escalation_record_update, escalation_review
from .history_import import audit_history_import
from .models import Allocation, Audit, AuditEvent, Case, Escalation, LegalStatus
from .schedule import demo_schedule

CASES_PER_AREA = 36
HISTORY_YEAR_AUDITS = 240
SEED = 20261123

# The legal statuses an area's cases have, by the area's kind of work (others get a mix).
AREA_STATUSES = {
    "PTC": [LegalStatus.CLA, LegalStatus.CARE_LEAVER],
    "FOST": [LegalStatus.CLA],
    "ADOPT": [LegalStatus.CLA],
    "C&FF": [LegalStatus.EARLY_HELP],
    "I&P": [LegalStatus.EARLY_HELP, LegalStatus.CIN],
    "PACT": [LegalStatus.CP, LegalStatus.CLA],
    "JIG": [LegalStatus.CIN, LegalStatus.CP],
}
MIXED_STATUSES = [LegalStatus.CIN, LegalStatus.CIN, LegalStatus.CP, LegalStatus.CP, LegalStatus.CLA]
AGE_BANDS = ["0-4", "5-9", "10-15", "16-17", "18+"]
GENDERS = ["Female", "Male"]
ETHNICITIES = ["White British", "Mixed heritage", "Asian British", "Black British", "Other white background"]


def load() -> None:
    today = timezone.localdate()
    for year in (today.year, today.year + 1):
        demo_schedule(year)
    if not Case.objects.exists():
        load_case_list(today)
    if not Audit.objects.filter(import_reference__isnull=False).exists():
        load_history(today)
    load_allocations(today)
    load_escalations(today)


def _csv(header: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def _area_people(area: ServiceArea, role: Role) -> list[Membership]:
    return list(
        area.memberships.current()
        .filter(role=role, person__user__is_active=True)
        .select_related("person__user", "team")
        .order_by("person__full_name")
    )


def load_case_list(today: date) -> None:
    """About three dozen open cases per area, held by the area's practitioners."""
    rng = random.Random(SEED)
    rows = []
    for area in ServiceArea.objects.filter(is_active=True).order_by("code"):
        workers = _area_people(area, Role.PRACTITIONER)
        managers = _area_people(area, Role.PRACTICE_MANAGER)
        statuses = AREA_STATUSES.get(area.code, MIXED_STATUSES)
        for number in range(CASES_PER_AREA):
            worker = workers[number % len(workers)] if workers else None
            manager = managers[number % len(managers)] if managers else None
            status = statuses[number % len(statuses)]
            rows.append(
                [
                    f"{area.code.replace('&', '')[:3]}{400000 + len(rows)}",
                    area.code,
                    worker.team.name if worker and worker.team else "",
                    worker.person.user.email if worker else "",
                    manager.person.user.email if manager else "",
                    status.value,
                    (today - timedelta(days=rng.randint(30, 900))).isoformat(),
                    "18+" if status == LegalStatus.CARE_LEAVER else rng.choice(AGE_BANDS[:4]),
                    rng.choice(GENDERS),
                    rng.choice(ETHNICITIES),
                    "yes" if area.code == "JIG" or rng.random() < 0.08 else "no",
                ]
            )
    header = [*case_import.REQUIRED_COLUMNS, *case_import.OPTIONAL_COLUMNS]
    case_list_import(actor=None, content=_csv(header, rows), file_name="demo-case-list.csv")


# Last year's grades drift towards Requires Improvement after moderation, as in the seeds' 2022 figures.
HISTORY_GRADES = ["outstanding"] * 2 + ["good"] * 9 + ["requires_improvement"] * 6 + ["inadequate"] * 2 + ["ungraded"]
MODERATED_DOWN = {"outstanding": "good", "good": "requires_improvement", "requires_improvement": "inadequate"}
HISTORY_KINDS = ["monthly"] * 8 + ["themed", "partnership", "qa_thematic", "review"]
HISTORY_THEMES = [
    "Contextual safeguarding",
    "Neglect",
    "Physical abuse",
    "Sexual abuse",
    "Emotional abuse",
    "Education",
]
HISTORY_STRENGTHS = [
    "Clear, up-to-date chronology and a child's voice that comes through in every visit.",
    "Strong multi-agency working; the plan is understood by the family.",
    "Reflective supervision that sets direction.",
]
HISTORY_IMPROVEMENTS = [
    "The plan is not SMART; contingency planning is missing.",
    "Supervision is infrequent and does not record reflection.",
    "No cultural genogram; identity needs are not explored.",
]


def load_history(today: date) -> None:
    """Last calendar year's audits as the QA spreadsheet held them, a quarter of them moderated."""
    rng = random.Random(SEED + 1)
    year = today.year - 1
    areas = list(ServiceArea.objects.filter(is_active=True).order_by("code"))
    auditors = {area.pk: [m.person.user.email for m in _area_people(area, Role.PRACTICE_MANAGER)] for area in areas}
    rows = []
    for number in range(HISTORY_YEAR_AUDITS):
        area = areas[number % len(areas)]
        if not auditors[area.pk]:
            continue
        kind = rng.choice(HISTORY_KINDS)
        grade = "ungraded" if kind == "review" else rng.choice(HISTORY_GRADES[:-1])
        completed = date(year, 1 + number % 12, min(28, 3 + rng.randint(0, 24)))
        moderated, moderated_on = "", ""
        if grade != "ungraded" and number % 4 == 0:
            moderated = MODERATED_DOWN.get(grade, grade) if rng.random() < 0.35 else grade
            moderated_on = min(completed + timedelta(days=21), date(year, 12, 31)).isoformat()
        rows.append(
            [
                f"QA-{year}-{number + 1:04d}",
                f"H{700000 + number}",
                area.code,
                kind,
                HISTORY_THEMES[(completed.month - 1) % len(HISTORY_THEMES)] if kind != "review" else "",
                rng.choice(auditors[area.pk]),
                completed.isoformat(),
                grade,
                rng.choice(["yes", "yes", "yes", "no", ""]),
                moderated,
                moderated_on,
                HISTORY_STRENGTHS[number % 3],
                HISTORY_IMPROVEMENTS[number % 3],
            ]
        )
    header = [*history_import.REQUIRED_COLUMNS, *history_import.OPTIONAL_COLUMNS]
    audit_history_import(actor=None, content=_csv(header, rows), file_name=f"qa-audit-history-{year}.csv")


# Where each past month's allocated audits stand now, by the audit's id: the month before last all
# done; last month mostly done, a few audits and oversights now late.
PAST_MONTH_STATES = {
    2: ["closed"],
    1: ["closed", "closed", "submitted", "closed", "draft", "closed", "submitted", "closed"],
}


def load_allocations(today: date) -> None:
    """The allocations of the last two months, distributed and worked through in their month, and
    this month's, distributed on the 3rd and in progress."""
    qa_lead = Person.objects.get(user__email="qa.lead@council.example")
    this_month = month_start(today)
    months = [add_months(this_month, -2), add_months(this_month, -1)]
    months += [this_month] if today.day >= ALLOCATION_DAY else []
    for month in months:
        if not Allocation.objects.filter(month=month).exists():
            allocation = allocation_propose(month=month, actor=qa_lead.user)
            allocation_distribute(actor=qa_lead.user, allocation=allocation)
    for months_ago, states in PAST_MONTH_STATES.items():
        _work_through(add_months(this_month, -months_ago), states)


def _work_through(month: date, states: list[str]) -> None:
    """Take the month's allocated drafts to the states listed, dated inside that month as they happened."""
    from .demo import GRADE_MIX, work_on_demo_audit  # demo.py loads this module: import on use

    drafts = Audit.objects.filter(allocation_item__allocation__month=month, state=Audit.State.DRAFT)
    for audit in drafts.select_related("auditor__user", "case_holder", "service_area").order_by("pk"):
        state = states[audit.pk % len(states)]
        if state == "draft":
            continue
        work_on_demo_audit(audit, audit.pk, state, GRADE_MIX[audit.pk % len(GRADE_MIX)])
        _date_in_month(audit, month)


def _date_in_month(audit: Audit, month: date) -> None:
    """Move the audit's own dates (and its history's) to when, in the demo's story, it happened."""
    submitted = timezone.make_aware(datetime.combine(month.replace(day=10 + audit.pk % 17), time(11)))
    moved = {"submitted_at": submitted}
    audit.refresh_from_db()
    if audit.oversight_at:
        moved["oversight_at"] = submitted + timedelta(days=4)
    if audit.on_record_at:
        moved["on_record_at"] = submitted + timedelta(days=6)
    Audit.objects.filter(pk=audit.pk).update(**moved)
    # History is append-only; the demo's made-up audits are the one place it may be re-dated.
    with append_only.rewriting_history(AuditEvent):
        audit.events.update(at=submitted)


# How long ago QA confirmed each demo escalation, and the updates its service lead has recorded since.
ESCALATION_STORIES = [
    (10, ["first"]),  # the 3-day update came; the one-week update is now late
    (32, ["first", "second"]),  # both updates came; the re-audit fell due: the daily job allocates it
    (0, []),  # confirmed today: the 3-day update is due in 3 days
]


def load_escalations(today: date) -> None:
    """Inadequate audits at each step of the chain, and the daily job run once so re-audits appear.
    The rest of the demo's Inadequate audits stay awaiting QA's review, for the QA lead to try."""
    if Escalation.objects.filter(kind=Escalation.Kind.INADEQUATE, confirmed_at__isnull=False).exists():
        return
    qa_lead = Person.objects.get(user__email="qa.lead@council.example")
    waiting = Escalation.objects.filter(
        kind=Escalation.Kind.INADEQUATE, stage=Escalation.Stage.AWAITING_MODERATION
    ).select_related("audit__service_area")
    for escalation, (days_ago, updates) in zip(waiting.order_by("pk"), ESCALATION_STORIES, strict=False):
        escalation_review(
            actor=qa_lead.user,
            escalation=escalation,
            decision=Decision.CONFIRM,
            rationale="The risks to the child were not recognised or acted on; the grade stands.",
        )
        confirmed = today - timedelta(days=days_ago)
        Escalation.objects.filter(pk=escalation.pk).update(
            confirmed_at=timezone.now() - timedelta(days=days_ago),
            first_update_due=confirmed + timedelta(days=3),
            second_update_due=confirmed + timedelta(days=7),
            reaudit_due_on=add_months(confirmed, 1),
        )
        lead = _area_people(escalation.audit.service_area, Role.SERVICE_LEAD)[0].person
        for step in updates:
            escalation_record_update(
                actor=lead.user,
                escalation=escalation,
                step=step,
                text="Strategy discussion held; the plan is being rewritten with the family and partners.",
            )
    escalation_deadlines_run(today=today)
