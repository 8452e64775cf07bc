"""People, tools and submitted audits for the panel tests. Audits for sampling are made in bulk
(the sampling rules read only kind, grade, area and submission); audits a panel re-grades are
answered and submitted through the audit services, so they carry area grades and events."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

from django.utils import timezone

from audits import services
from audits.models import Audit, ScheduleEntry
from moderation import panels
from quality.org.models import Role

_references = itertools.count(1)

PASSWORDS = {
    "qa_lead": "quinn-the-qa-lead-2026",
    "moderator": "mo-moderates-swf-2026",
    "auditor": "priya-manages-audits-2026",
}


def make_people(make_person, own_area, other_area):
    """Everyone the panel tests need; the ones who sign in in browser tests get a password."""
    people = {
        "qa_lead": make_person(Role.QA_LEAD, full_name="Quinn QA"),
        "qa_officer": make_person(Role.QA_OFFICER, full_name="Olu Officer"),
        "moderator": make_person(Role.MODERATOR, own_area, full_name="Mo Moderator"),
        "other_moderator": make_person(Role.MODERATOR, other_area, full_name="Omar Moderator"),
        "auditor": make_person(Role.PRACTICE_MANAGER, own_area, full_name="Priya Manager"),
        "other_auditor": make_person(Role.PRACTICE_MANAGER, other_area, full_name="Otto Manager"),
        "lead": make_person(Role.SERVICE_LEAD, own_area, full_name="Sam Lead"),
        "other_lead": make_person(Role.SERVICE_LEAD, other_area, full_name="Olga Lead"),
        "worker": make_person(Role.PRACTITIONER, own_area, full_name="Wendy Worker"),
        "head": make_person(Role.HEAD_OF_SERVICE, full_name="Hana Head"),
    }
    for who, password in PASSWORDS.items():
        people[who].user.set_password(password)
        people[who].user.save()
    return people


def published_version(area):
    tool = services.tool_create(actor=None, name=f"{area.code} case audit", service_area=area, purpose="case_audit")
    return services.version_publish(actor=None, version=tool.versions.get())


def make_versions(own_area, other_area):
    return {own_area.pk: published_version(own_area), other_area.pk: published_version(other_area)}


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
    area = version.tool.service_area
    audit = services.audit_create(
        actor=None,
        case_reference=f"C-{next(_references):05d}",
        service_area=area,
        auditor=auditor,
        case_holder=case_holder,
        tool_version=version,
        period_end=date(2026, 10, 31),
    )
    audit = services.audit_save_draft(
        actor=auditor.user,
        audit=audit,
        revision=audit.revision,
        answers=services.seven_area_answers(area_grade or grade, "Seen in the chronology and the plan."),
        fields={"overall_grade": grade, "discussion_held": True, "discussion_on": date(2026, 11, 2)},
    )
    return services.audit_submit(actor=auditor.user, audit=audit)


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
    panel = drawn_by_hand(people, planned_panel(people, blind=blind, members=members), audits)
    return panels.panel_open(actor=people["qa_lead"].user, panel=panel)


def drawn_by_hand(people, panel, audits):
    """Mark the sample drawn with nothing at random, then add `audits` by hand."""
    from moderation.models import Panel

    Panel.objects.filter(pk=panel.pk).update(
        state=Panel.State.SAMPLE_DRAWN,
        sample_drawn_at=timezone.now(),
        sample_drawn_by=people["qa_lead"].user,
        sample_from=timezone.localdate(),
        seed=1,
        sample_random_count=0,
    )
    panel.refresh_from_db()
    for audit in audits:
        panels.sample_add(actor=people["qa_lead"].user, panel=panel, audit=audit, reason="Chosen for the test")
    return panel


def all_areas(decision_grade: str) -> dict[str, str]:
    from audits.models import AnalysisArea

    return {area: decision_grade for area in AnalysisArea.values}


def schedule_panel(on: date) -> ScheduleEntry:
    from datetime import time

    return ScheduleEntry.objects.create(
        kind=ScheduleEntry.Kind.PANEL, title="Moderation panel", starts_on=on, starts_at=time(15), ends_at=time(17)
    )
