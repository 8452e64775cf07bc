"""Recording benchmarking forms. Each service validates, saves atomically and leaves a ChangeRecord
(quality.org: who, when, what), as every change of a record that matters does.

A form's concerns come as {concern: ConcernAnswer}, one for each of the ten (a concern left out is
recorded as not identified). A refusal is a ValidationError keyed by the form field it is about
(`concern_field`), so the page shows it next to that concern's control.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audits.services import CASE_REFERENCE
from quality.org.models import Person, ServiceArea, Team
from quality.org.services import change_record

from .messages import (
    CASE_REFERENCE_INVALID,
    COMPLETED_IN_FUTURE,
    CONCERN_NEEDED,
    POSITIVE_NEEDS_CONCERN,
    TEAM_OUTSIDE_AREA,
)
from .models import BenchmarkingForm, Concern, ConcernOutcome

START, END, POSITIVE = "start", "end", "positive"
PARTS = {START: "identified at the start", END: "identified at the end", POSITIVE: "positive outcome"}
_PART_FIELDS = {START: "identified_at_start", END: "identified_at_end", POSITIVE: "positive_outcome"}


def concern_field(concern: str, part: str) -> str:
    """The name of the form field (and the error key) of one answer about one concern."""
    return f"{concern}_{part}"


@dataclass(frozen=True)
class ConcernAnswer:
    identified_at_start: bool = False
    identified_at_end: bool = False
    positive_outcome: bool = False


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _checked(
    *, case_reference: str, service_area: ServiceArea, team: Team, completed_on: date, concerns: dict
) -> tuple[str, dict[str, ConcernAnswer]]:
    """The case reference as stored and the answers for all ten concerns, once they pass the form's rules;
    else a ValidationError naming each field that does not."""
    case_reference = case_reference.strip().upper()
    concerns = _all_ten(concerns)
    errors: dict[str, str] = {}
    if not CASE_REFERENCE.match(case_reference):
        errors["case_reference"] = CASE_REFERENCE_INVALID
    if team.service_area_id != service_area.pk:
        errors["team"] = TEAM_OUTSIDE_AREA
    if completed_on > timezone.localdate():
        errors["completed_on"] = COMPLETED_IN_FUTURE
    for concern, answer in concerns.items():
        if answer.positive_outcome and not (answer.identified_at_start or answer.identified_at_end):
            errors[concern_field(concern, POSITIVE)] = POSITIVE_NEEDS_CONCERN
    if not any(answer.identified_at_start or answer.identified_at_end for answer in concerns.values()):
        errors["__all__"] = CONCERN_NEEDED
    if errors:
        raise ValidationError(errors)
    return case_reference, concerns


def _all_ten(concerns: dict) -> dict[str, ConcernAnswer]:
    unknown = set(concerns) - set(Concern.values)
    if unknown:
        raise ValueError(f"Not one of the ten concerns: {sorted(unknown)}")
    return {concern: concerns.get(concern, ConcernAnswer()) for concern in Concern.values}


@transaction.atomic
def benchmarking_form_create(
    *,
    actor,
    case_reference: str,
    service_area: ServiceArea,
    team: Team,
    completed_by: Person,
    completed_on: date,
    concerns: dict[str, ConcernAnswer],
) -> BenchmarkingForm:
    case_reference, concerns = _checked(
        case_reference=case_reference,
        service_area=service_area,
        team=team,
        completed_on=completed_on,
        concerns=concerns,
    )
    form = BenchmarkingForm.objects.create(
        case_reference=case_reference,
        service_area=service_area,
        team=team,
        completed_by=completed_by,
        completed_on=completed_on,
        created_by=actor,
    )
    ConcernOutcome.objects.bulk_create(
        ConcernOutcome(form=form, concern=concern, **vars(answer)) for concern, answer in concerns.items()
    )
    positives = sum(answer.positive_outcome for answer in concerns.values())
    change_record(
        actor=actor,
        target=form,
        action="benchmarking_form.create",
        summary=f"Recorded the benchmarking form of case {form.case_reference} "
        + (f"({positives} positive outcomes)" if positives != 1 else "(1 positive outcome)"),
    )
    return form


def _field_changes(form: BenchmarkingForm, new: dict) -> list[str]:
    labels = {
        "case_reference": "case reference",
        "service_area": "service area",
        "team": "team",
        "completed_by": "completed by",
        "completed_on": "date completed",
    }
    changes = []
    for name, label in labels.items():
        old_value, new_value = getattr(form, name), new[name]
        if old_value != new_value:
            shown = [f"{value:%d/%m/%Y}" if isinstance(value, date) else str(value) for value in (old_value, new_value)]
            changes.append(f"{label} from {shown[0]} to {shown[1]}")
    return changes


def _concern_changes(saved: dict[str, ConcernOutcome], concerns: dict[str, ConcernAnswer]) -> list[str]:
    changes = []
    for concern, answer in concerns.items():
        row = saved[concern]
        for part, field in _PART_FIELDS.items():
            old_value, new_value = getattr(row, field), getattr(answer, field)
            if old_value != new_value:
                changes.append(f"{Concern(concern).label}, {PARTS[part]}: {_yes_no(old_value)} to {_yes_no(new_value)}")
    return changes


@transaction.atomic
def benchmarking_form_update(
    *,
    actor,
    instance: BenchmarkingForm,
    case_reference: str,
    service_area: ServiceArea,
    team: Team,
    completed_by: Person,
    completed_on: date,
    concerns: dict[str, ConcernAnswer],
) -> BenchmarkingForm:
    """Change a form; records what changed (nothing recorded, nothing saved, when nothing did)."""
    case_reference, concerns = _checked(
        case_reference=case_reference,
        service_area=service_area,
        team=team,
        completed_on=completed_on,
        concerns=concerns,
    )
    form = BenchmarkingForm.objects.select_for_update().get(pk=instance.pk)
    new = {
        "case_reference": case_reference,
        "service_area": service_area,
        "team": team,
        "completed_by": completed_by,
        "completed_on": completed_on,
    }
    saved = {row.concern: row for row in form.concerns.all()}
    changes = _field_changes(form, new) + _concern_changes(saved, concerns)
    if not changes:
        return form
    for name, value in new.items():
        setattr(form, name, value)
    form.save()
    changed_rows = []
    for concern, answer in concerns.items():
        row = saved[concern]
        if vars(answer) != {field: getattr(row, field) for field in _PART_FIELDS.values()}:
            for field, value in vars(answer).items():
                setattr(row, field, value)
            changed_rows.append(row)
    ConcernOutcome.objects.bulk_update(changed_rows, list(_PART_FIELDS.values()))
    change_record(
        actor=actor,
        target=form,
        action="benchmarking_form.update",
        summary=f"Changed the benchmarking form of case {form.case_reference}: " + "; ".join(changes),
    )
    return form
