"""Tools, submitted audits and panels for the panel tests, on the shared factories (tests/factories.py);
the people are the shared cast (tests/moderation/conftest.py names them by their part). Audits for
sampling are made in bulk (the sampling rules read only kind, grade, area and submission); audits a
panel re-grades are answered and submitted through the audit services, so they carry area grades and
events."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

from django.utils import timezone

from audits.models import Audit, ScheduleEntry
from moderation import panels
from tests import factories

_references = itertools.count(1)


def make_versions(own_area, other_area):
    return {area.pk: factories.published_tool_version(area=area) for area in (own_area, other_area)}


def days_ago(days: int) -> datetime:
    return timezone.now() - timedelta(days=days)


def bulk_submitted(version, auditor, grades: dict[str, int], *, submitted_at=None, kind=Audit.Kind.MONTHLY):
    """Submitted audits in `version`'s area: `grades` maps a grade to how many."""
    area = version.tool.service_area
    return Audit.objects.bulk_create(
        Audit(
            case_reference=f"B-{area.code}-{next(_references)}",
            service_area=area,
            auditor=auditor,
            kind=kind,
            period_start=date(2026, 4, 1),
            period_end=date(2026, 9, 30),
            tool_version=version,
            state=Audit.State.SUBMITTED,
            overall_grade=grade,
            submitted_at=submitted_at or days_ago(3),
        )
        for grade, count in grades.items()
        for _ in range(count)
    )


def graded_audit(version, auditor, grade: str, *, area_grade: str | None = None, case_holder=None) -> Audit:
    """An audit answered on the seven areas (each graded `area_grade`, else `grade`) and submitted."""
    return factories.audit_submitted(version, auditor, grade, area_grade=area_grade or "", case_holder=case_holder)


def planned_panel(people, *, held_on=None, blind=False, members=("moderator", "qa_lead")):
    return panels.panel_create(
        actor=people["qa_lead"].user,
        kind="monthly",
        held_on=held_on or timezone.localdate() + timedelta(days=7),
        members=[people[who] for who in members],
        blind=blind,
    )


def panel_in_session(people, audits, *, blind=False, members=("moderator", "qa_lead")):
    """A panel whose sample is exactly `audits` (added by hand), with its session open."""
    return factories.panel_in_session(people["qa_lead"], audits, members=[people[who] for who in members], blind=blind)


def drawn_by_hand(people, panel, audits):
    """Mark the sample drawn with nothing at random, then add `audits` by hand."""
    return factories.sample_by_hand(people["qa_lead"], panel, audits)


def all_areas(decision_grade: str) -> dict[str, str]:
    from audits.models import AnalysisArea

    return {area: decision_grade for area in AnalysisArea.values}


def schedule_panel(on: date) -> ScheduleEntry:
    from datetime import time

    return ScheduleEntry.objects.create(
        kind=ScheduleEntry.Kind.PANEL, title="Moderation panel", starts_on=on, starts_at=time(15), ends_at=time(17)
    )
