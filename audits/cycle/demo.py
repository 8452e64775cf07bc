"""Demo data for the monthly cycle, so `make run` shows it working: the schedule for this year and
next, a case list for every service area (loaded through the real import), and the last months'
allocations, deadlines and escalations awaiting QA's review. Idempotent: each part is skipped once
it is there. What is moderation's (last year's audit history with its moderated grades, and QA's
reviews that move some escalations on) is in moderation/cycle_demo.py, loaded after this.

Everything is synthetic and deterministic (a seeded random generator): no real children.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from quality import append_only
from quality.months import add_months, month_start
from quality.org.models import Membership, Person, Role, ServiceArea

from ..models import Allocation, Audit, AuditEvent, Case, LegalStatus
from . import case_import
from .allocation import allocation_distribute, allocation_propose
from .case_import import case_list_import
from .dates import ALLOCATION_DAY
from .schedule import demo_schedule

CASES_PER_AREA = 36
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
    load_allocations(today)


def demo_csv(header: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def area_people(area: ServiceArea, role: Role) -> list[Membership]:
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
        workers = area_people(area, Role.PRACTITIONER)
        managers = area_people(area, Role.PRACTICE_MANAGER)
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
    case_list_import(actor=None, content=demo_csv(header, rows), file_name="demo-case-list.csv")


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
    from ..demo import GRADE_MIX, work_on_demo_audit  # demo.py loads this module: import on use

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
