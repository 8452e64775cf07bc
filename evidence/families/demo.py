"""Demo data for Supporting Families benchmarking, run by `manage.py load_demo`.

About 150 forms completed over the last quarter (the 92 days to today) in the family-facing demo
areas, by their practice managers and the QA officer, so the summary and its chart have something to
show for this quarter after `make run`. About half the families have three or more positive outcomes
and most of the rest one or two, as in the council's 2023 benchmarking. Everything goes through the
real service (its rules and change records). Synthetic and deterministic (a seeded generator);
idempotent: nothing is added once the demo's forms exist.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from quality.org.models import Membership, Role, ServiceArea

from .models import BenchmarkingForm, Concern
from .services import ConcernAnswer, benchmarking_form_create

FORMS = 150
DAYS = 92
REFERENCE_PREFIX = "SF-"
AREA_CODES = ("SWF", "C&FF", "BIT", "YPS", "I&P")
QA_OFFICER_EMAIL = "qa.officer@council.example"


def _answers(rng: random.Random) -> dict[str, ConcernAnswer]:
    identified = rng.sample(Concern.values, rng.randint(3, 6))
    answers = {}
    for concern in identified:
        positive = rng.random() < 0.55
        answers[concern] = ConcernAnswer(
            identified_at_start=True, identified_at_end=not positive or rng.random() < 0.2, positive_outcome=positive
        )
    # Now and then a concern that came to light during the work, identified at the end only.
    if rng.random() < 0.2:
        emerged = rng.choice([concern for concern in Concern.values if concern not in answers])
        answers[emerged] = ConcernAnswer(identified_at_end=True)
    return answers


def load() -> None:
    if BenchmarkingForm.objects.filter(case_reference__startswith=REFERENCE_PREFIX).exists():
        return
    areas = list(ServiceArea.objects.filter(code__in=AREA_CODES, is_active=True).prefetch_related("teams"))
    managers = {
        area.pk: list(
            Membership.objects.current()
            .filter(service_area=area, role=Role.PRACTICE_MANAGER)
            .select_related("person__user", "team")
            .order_by("pk")
        )
        for area in areas
    }
    qa_officer = Membership.objects.current().filter(role=Role.QA_OFFICER, person__user__email=QA_OFFICER_EMAIL).first()
    areas = [area for area in areas if managers[area.pk]]
    if not areas:
        return
    rng = random.Random(18)
    today = timezone.localdate()
    for number in range(1, FORMS + 1):
        area = rng.choice(areas)
        manager = rng.choice(managers[area.pk])
        # One form in eight by the QA officer, whose audit time went to benchmarking too.
        recorder = qa_officer.person if qa_officer and rng.random() < 0.125 else manager.person
        team = manager.team or area.teams.first()
        benchmarking_form_create(
            actor=recorder.user,
            case_reference=f"{REFERENCE_PREFIX}{number:05d}",
            service_area=area,
            team=team,
            completed_by=recorder,
            completed_on=today - timedelta(days=rng.randrange(DAYS)),
            concerns=_answers(rng),
        )
