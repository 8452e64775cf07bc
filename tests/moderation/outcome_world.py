"""Audits and moderation decisions for the outcome tests, made in bulk where there are many."""

from __future__ import annotations

from datetime import date

from audits.models import Audit
from moderation.models import ModerationDecision
from moderation.statistics import GRADES
from quality.org.models import Person, ServiceArea
from tests.factories import published_tool_version

Source = ModerationDecision.Source


def published_version(actor=None):
    """The shared case-audit tool ("Shared case audit"), published by `actor` (a user), else by nobody."""
    return published_tool_version(actor=actor.person if actor else None)


def audit(version, area: ServiceArea, auditor: Person, reference: str, grade: str = "good", **fields) -> Audit:
    return Audit.objects.create(
        case_reference=reference,
        service_area=area,
        auditor=auditor,
        tool_version=version,
        period_start=date(2026, 4, 1),
        period_end=date(2026, 9, 30),
        state=Audit.State.OVERSEEN,
        overall_grade=grade,
        **fields,
    )


def decide(
    audit: Audit, original: str, moderated: str, on: date, source: str = Source.PANEL, **fields
) -> ModerationDecision:
    return ModerationDecision.objects.create(
        audit=audit, source=source, original_grade=original, moderated_grade=moderated, decided_on=on, **fields
    )


def table(
    version, area: ServiceArea, auditor: Person, rows: list[list[int]], on: date, prefix: str, source=Source.PANEL
):
    """One audit and one decision per count of a 4 x 4 table (rows auditor's grade, columns moderated)."""
    audits = Audit.objects.bulk_create(
        Audit(
            case_reference=f"{prefix}-{i}{j}-{k}",
            service_area=area,
            auditor=auditor,
            tool_version=version,
            period_start=date(2026, 4, 1),
            period_end=date(2026, 9, 30),
            state=Audit.State.OVERSEEN,
            overall_grade=GRADES[i],
        )
        for i, row in enumerate(rows)
        for j, count in enumerate(row)
        for k in range(count)
    )
    pairs = [(i, j) for i, row in enumerate(rows) for j, count in enumerate(row) for _ in range(count)]
    ModerationDecision.objects.bulk_create(
        ModerationDecision(
            audit=made, source=source, original_grade=GRADES[i], moderated_grade=GRADES[j], decided_on=on
        )
        for made, (i, j) in zip(audits, pairs, strict=True)
    )
    return audits
