"""Demo data for the monthly cycle that is moderation's, loaded by moderation/demo.py after
audits' demo (audits/cycle/demo.py): last year's audit history from a generated QA spreadsheet
(through the real import, its moderated grades becoming decisions), and QA's reviews that move
some of the Inadequate escalations on. Idempotent: each part is skipped once it is there.

Everything is synthetic and deterministic (a seeded random generator): no real children.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.utils import timezone

from audits.cycle.demo import SEED, area_people, demo_csv
from audits.cycle.escalations import escalation_deadlines_run, escalation_record_update
from audits.models import Audit, Escalation
from quality.months import add_months
from quality.org.models import Person, Role, ServiceArea

from . import history_import
from .history_import import audit_history_import
from .qa_review import Decision, escalation_review

HISTORY_YEAR_AUDITS = 240


def load() -> None:
    today = timezone.localdate()
    if not Audit.objects.filter(import_reference__isnull=False).exists():
        load_history(today)
    load_escalations(today)


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
    auditors = {area.pk: [m.person.user.email for m in area_people(area, Role.PRACTICE_MANAGER)] for area in areas}
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
    audit_history_import(actor=None, content=demo_csv(header, rows), file_name=f"qa-audit-history-{year}.csv")


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
        lead = area_people(escalation.audit.service_area, Role.SERVICE_LEAD)[0].person
        for step in updates:
            escalation_record_update(
                actor=lead.user,
                escalation=escalation,
                step=step,
                text="Strategy discussion held; the plan is being rewritten with the family and partners.",
            )
    escalation_deadlines_run(today=today)
