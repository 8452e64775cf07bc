"""Recording complaints and compliments by hand: each service checks the log's rules, saves atomically and
leaves a ChangeRecord (quality.org: who, when, what, why), as the organisation's changes do."""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from quality.org.models import ServiceArea, Team
from quality.org.services import change_record

from .models import COMPLAINT_OUTCOMES, Entry, Kind, Outcome, Source

# Messages people see next to the field (the import words its own per row). Tests assert on these.
TEAM_OUTSIDE_AREA = "{team} is not a team of {area}: choose one of the area's teams, or none."
OUTCOME_FOR_COMPLIMENT = "A compliment has no outcome: choose 'Not applicable (a compliment)'."
OUTCOME_FOR_COMPLAINT = "Give the complaint's outcome, or 'Open' while it is being investigated."
RECEIVED_IN_FUTURE = "The day it was received cannot be in the future."
REFERENCE_TAKEN = "The log already holds {reference}: open that entry to change it."
REFERENCE_INVALID = "Use the complaints system's reference only (letters, digits, - / and _), never a name."
REASON_REQUIRED = "Say why you are changing it: the change history keeps the reason."
NOTHING_CHANGED = "Nothing was changed."

# A complaints system reference: letters, digits and - / _ . (no spaces, so no name fits in it by accident).
REFERENCE = re.compile(r"^[A-Z0-9][A-Z0-9/_.-]{0,63}$")
# The fields a person sets, in the order a change is described.
FIELDS = ("received_on", "service_area", "team", "kind", "theme", "outcome", "learning", "source_reference")


def reference_key(text: str) -> str:
    """A reference as stored: without surrounding spaces, in capitals (CMP-1 and cmp-1 are one)."""
    return text.strip().upper()


def check_entry(*, received_on: date, service_area: ServiceArea, team: Team | None, kind: str, outcome: str) -> None:
    """The rules a typed-in entry must keep (ValidationError by field); the import checks the same per row."""
    errors = {}
    if received_on > timezone.localdate():
        errors["received_on"] = RECEIVED_IN_FUTURE
    if team is not None and team.service_area_id != service_area.pk:
        errors["team"] = TEAM_OUTSIDE_AREA.format(team=team.name, area=service_area.code)
    if kind == Kind.COMPLIMENT and outcome != Outcome.NOT_APPLICABLE:
        errors["outcome"] = OUTCOME_FOR_COMPLIMENT
    elif kind == Kind.COMPLAINT and outcome not in COMPLAINT_OUTCOMES:
        errors["outcome"] = OUTCOME_FOR_COMPLAINT
    if errors:
        raise ValidationError(errors)


def _checked_reference(reference: str, *, exclude_pk: int | None = None) -> str:
    reference = reference_key(reference)
    if not reference:
        return ""
    if not REFERENCE.match(reference):
        raise ValidationError({"source_reference": REFERENCE_INVALID})
    taken = Entry.objects.filter(source_reference=reference)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"source_reference": REFERENCE_TAKEN.format(reference=reference)})
    return reference


def _described(entry: Entry) -> str:
    where = entry.team.name if entry.team_id else entry.service_area.code
    return f"{entry.get_kind_display()} received {entry.received_on:%d/%m/%Y}, {where}, {entry.get_theme_display()}"


@transaction.atomic
def entry_create(
    *,
    actor,
    received_on: date,
    service_area: ServiceArea,
    team: Team | None,
    kind: str,
    theme: str,
    outcome: str,
    learning: str = "",
    source_reference: str = "",
) -> Entry:
    check_entry(received_on=received_on, service_area=service_area, team=team, kind=kind, outcome=outcome)
    entry = Entry.objects.create(
        received_on=received_on,
        service_area=service_area,
        team=team,
        kind=kind,
        theme=theme,
        outcome=outcome,
        learning=learning.strip(),
        source_reference=_checked_reference(source_reference),
        source=Source.TYPED,
        recorded_by=actor,
    )
    change_record(actor=actor, target=entry, action="complaints_entry.create", summary=f"Recorded: {_described(entry)}")
    return entry


def _shown(entry: Entry, name: str) -> str:
    value = getattr(entry, name)
    if name in ("kind", "theme", "outcome"):
        return getattr(entry, f"get_{name}_display")()
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if name == "learning":
        return "(changed)"  # the learning may be long: the record says it changed, the entry shows it
    return str(value) if value not in (None, "") else "none"


@transaction.atomic
def entry_update(*, actor, entry: Entry, reason: str, **values) -> Entry:
    """Change an entry; the change record names each field changed (old and new) and the reason."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": REASON_REQUIRED})
    values["learning"] = values.get("learning", entry.learning).strip()
    values["source_reference"] = _checked_reference(
        values.get("source_reference", entry.source_reference), exclude_pk=entry.pk
    )
    check_entry(
        received_on=values["received_on"],
        service_area=values["service_area"],
        team=values["team"],
        kind=values["kind"],
        outcome=values["outcome"],
    )
    before = {name: _shown(entry, name) for name in FIELDS}
    changed = [name for name in FIELDS if getattr(entry, name) != values[name]]
    if not changed:
        raise ValidationError(NOTHING_CHANGED)
    for name in changed:
        setattr(entry, name, values[name])
    entry.save(update_fields=changed)
    labels = {name: Entry._meta.get_field(name).verbose_name for name in FIELDS}
    summary = "; ".join(
        f"{labels[name]}: {before[name]} -> {_shown(entry, name)}" if name != "learning" else "learning changed"
        for name in changed
    )
    change_record(actor=actor, target=entry, action="complaints_entry.update", summary=summary, reason=reason)
    return entry
