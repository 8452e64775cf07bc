"""Demo data for the log of complaints and compliments, run by `manage.py load_demo` after the
organisation's demo: a quarter's worth (the 13 weeks to today) across the demo's service areas.

Loaded through the real import (imports.complaints_import) from a generated export, as the QA officer,
so the demo obeys the same rules as a real file. Idempotent: loaded once (by its file name); its
references are fixed too, and a row whose reference the log already holds is left as it is.
Synthetic and deterministic: a seeded generator.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from quality.org.models import ServiceArea, Team

from .imports import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, complaints_import
from .models import EntryLoad, Kind, Outcome, Theme

QA_OFFICER_EMAIL = "qa.officer@council.example"
ENTRIES = 48
DAYS = 91  # a quarter
FILE_NAME = "demo-complaints-export.csv"

# What was learnt, by theme: the kind of line a complaints investigation closes with. No names.
LEARNING = {
    Theme.COMMUNICATION: "Worker to confirm the plan in writing after each visit; manager to check letters go out.",
    Theme.TIMELINESS: "Assessment started late after the referral sat in a shared inbox: the team now triages daily.",
    Theme.ASSESSMENT_OR_PLAN: "The plan did not say who does what by when: plans are checked at the first review.",
    Theme.WORKER_CHANGES: "Three workers in six months: a handover visit is now made with the new worker.",
    Theme.CHILDS_VOICE: "The young person's wishes were not in the review record: an advocate was offered.",
    Theme.FAMILY_TIME: "Family time was cancelled twice at short notice: the contact centre now rings the parent.",
    Theme.CONDUCT: "Practice manager met the worker to reflect on tone in a core group meeting.",
    Theme.SUPPORT: "Short-break support was agreed but not started: the service lead now tracks start dates.",
    Theme.OTHER: "Signposted to the right service; no change to practice needed.",
}
COMPLIMENT_NOTES = {
    Theme.COMMUNICATION: "Parent thanked the worker for always returning calls and explaining each step.",
    Theme.CHILDS_VOICE: "Young person said their worker listened and that the plan was written with them.",
    Theme.SUPPORT: "Foster carer praised the support given through a difficult placement.",
    Theme.WORKER_CHANGES: "Family thanked the team for keeping the same worker through the proceedings.",
}
COMPLAINT_OUTCOMES = [
    Outcome.UPHELD,
    Outcome.PARTLY_UPHELD,
    Outcome.PARTLY_UPHELD,
    Outcome.NOT_UPHELD,
    Outcome.NOT_UPHELD,
    Outcome.WITHDRAWN,
    Outcome.OPEN,
]


def demo_rows(today) -> list[dict[str, str]]:
    """The generated export's rows, oldest first: about two complaints to each compliment."""
    generator = random.Random(18)
    areas = list(ServiceArea.objects.filter(is_active=True).order_by("code"))
    if not areas:
        return []
    teams: dict[int, list[Team]] = {}
    for team in Team.objects.filter(is_active=True, service_area__in=areas).order_by("name"):
        teams.setdefault(team.service_area_id, []).append(team)
    rows = []
    for number in range(1, ENTRIES + 1):
        area = generator.choice(areas)
        area_teams = teams.get(area.pk, [])
        team = generator.choice(area_teams) if area_teams and generator.random() < 0.8 else None
        received = today - timedelta(days=DAYS - 1 - (number - 1) * (DAYS - 1) // (ENTRIES - 1))
        if generator.random() < 0.35:
            theme = generator.choice(list(COMPLIMENT_NOTES))
            kind, outcome, learning = Kind.COMPLIMENT, "", COMPLIMENT_NOTES[theme]
        else:
            theme = generator.choice(list(LEARNING))
            # Complaints received in the last fortnight are still being investigated.
            outcome = Outcome.OPEN if (today - received).days < 14 else generator.choice(COMPLAINT_OUTCOMES)
            kind = Kind.COMPLAINT
            learning = "" if outcome in (Outcome.OPEN, Outcome.WITHDRAWN) else LEARNING[theme]
        rows.append(
            {
                "reference": f"DEMO-CMP-{number:04d}",
                "received_on": f"{received:%d/%m/%Y}",
                "service_area": area.code,
                "team": team.name if team else "",
                "kind": kind.value,
                "theme": theme.value,
                "outcome": outcome,
                "learning": learning,
            }
        )
    return rows


def demo_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def load() -> None:
    if EntryLoad.objects.filter(file_name=FILE_NAME).exists():
        return  # loaded before: the quarter stays where it was, as a real log would
    actor = get_user_model().objects.filter(email=QA_OFFICER_EMAIL).first()
    rows = demo_rows(timezone.localdate())
    if rows:
        complaints_import(actor=actor, content=demo_csv(rows), file_name=FILE_NAME)
