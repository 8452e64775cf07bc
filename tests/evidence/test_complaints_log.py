"""The log's rules on real PostgreSQL: a team must be of the entry's area, a reference is logged once,
a compliment has no outcome, and every change is recorded (who, when, what, why)."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from evidence.complaints import services
from evidence.complaints.models import Entry, Kind, Outcome, Theme
from quality.org.selectors import changes_to

pytestmark = pytest.mark.usefixtures("frozen_today")

RECEIVED = date(2026, 11, 2)


def entry(actor, area, **fields):
    values = {
        "received_on": RECEIVED,
        "service_area": area,
        "team": None,
        "kind": Kind.COMPLAINT,
        "theme": Theme.TIMELINESS,
        "outcome": Outcome.OPEN,
        "learning": "",
        "source_reference": "",
    }
    return services.entry_create(actor=actor, **{**values, **fields})


def test_an_entry_is_recorded_with_who_recorded_it_and_a_change_record(qa_officer, own_area, own_team):
    saved = entry(qa_officer.user, own_area, team=own_team, source_reference=" cmp-7 ")

    assert saved.recorded_by == qa_officer.user
    assert saved.source_reference == "CMP-7"  # stored in capitals, as the import compares it
    [record] = changes_to(saved)
    assert record.actor == qa_officer.user
    assert record.summary == "Recorded: Complaint received 02/11/2026, SWF East, Timeliness and delay"


def test_a_team_of_another_area_is_refused_next_to_the_team(qa_officer, own_area, other_team):
    with pytest.raises(ValidationError) as refused:
        entry(qa_officer.user, own_area, team=other_team)

    assert refused.value.message_dict == {"team": [services.TEAM_OUTSIDE_AREA.format(team="Care Leavers", area="SWF")]}
    assert not Entry.objects.exists()


def test_a_compliment_with_an_outcome_and_a_complaint_without_one_are_refused(qa_officer, own_area):
    with pytest.raises(ValidationError) as compliment:
        entry(qa_officer.user, own_area, kind=Kind.COMPLIMENT, outcome=Outcome.UPHELD)
    with pytest.raises(ValidationError) as complaint:
        entry(qa_officer.user, own_area, outcome=Outcome.NOT_APPLICABLE)

    assert compliment.value.message_dict == {"outcome": [services.OUTCOME_FOR_COMPLIMENT]}
    assert complaint.value.message_dict == {"outcome": [services.OUTCOME_FOR_COMPLAINT]}


def test_the_database_refuses_an_outcome_that_does_not_fit_the_kind(own_area):
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.create(
            received_on=RECEIVED, service_area=own_area, kind=Kind.COMPLIMENT, theme=Theme.OTHER, outcome=Outcome.UPHELD
        )


def test_a_day_in_the_future_is_refused(qa_officer, own_area):
    with pytest.raises(ValidationError) as refused:
        entry(qa_officer.user, own_area, received_on=date(2026, 11, 17))

    assert refused.value.message_dict == {"received_on": [services.RECEIVED_IN_FUTURE]}


def test_a_reference_is_logged_once_by_the_service_and_by_the_database(qa_officer, own_area):
    entry(qa_officer.user, own_area, source_reference="CMP-7")

    with pytest.raises(ValidationError) as refused:
        entry(qa_officer.user, own_area, source_reference="cmp-7")
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.create(
            received_on=RECEIVED,
            service_area=own_area,
            kind=Kind.COMPLAINT,
            theme=Theme.OTHER,
            outcome=Outcome.OPEN,
            source_reference="CMP-7",
        )

    assert refused.value.message_dict == {"source_reference": [services.REFERENCE_TAKEN.format(reference="CMP-7")]}


def test_entries_without_a_reference_may_be_many(qa_officer, own_area):
    entry(qa_officer.user, own_area)
    entry(qa_officer.user, own_area)

    assert Entry.objects.filter(source_reference="").count() == 2


def test_a_reference_that_could_hold_a_name_is_refused(qa_officer, own_area):
    with pytest.raises(ValidationError) as refused:
        entry(qa_officer.user, own_area, source_reference="Jane Smith")

    assert refused.value.message_dict == {"source_reference": [services.REFERENCE_INVALID]}


def test_a_change_records_each_field_old_and_new_who_and_why(qa_officer, qa_lead, own_area, own_team):
    saved = entry(qa_officer.user, own_area)
    values = {
        "received_on": RECEIVED,
        "service_area": own_area,
        "team": own_team,
        "kind": Kind.COMPLAINT,
        "theme": Theme.TIMELINESS,
        "outcome": Outcome.PARTLY_UPHELD,
        "learning": "Referrals are triaged daily.",
        "source_reference": "",
    }

    services.entry_update(actor=qa_lead.user, entry=saved, reason="Investigation finished", **values)

    saved.refresh_from_db()
    assert (saved.outcome, saved.team, saved.learning) == (
        Outcome.PARTLY_UPHELD,
        own_team,
        "Referrals are triaged daily.",
    )
    latest = changes_to(saved).first()
    assert latest.actor == qa_lead.user
    assert latest.reason == "Investigation finished"
    assert (
        latest.summary == "team: none -> SWF East; outcome: Open (not yet decided) -> Partly upheld; learning changed"
    )


def test_a_change_needs_a_reason_and_a_change(qa_officer, own_area):
    saved = entry(qa_officer.user, own_area)
    same = {name: getattr(saved, name) for name in services.FIELDS}

    with pytest.raises(ValidationError) as no_reason:
        services.entry_update(actor=qa_officer.user, entry=saved, reason=" ", **same)
    with pytest.raises(ValidationError) as no_change:
        services.entry_update(actor=qa_officer.user, entry=saved, reason="Checked", **same)

    assert no_reason.value.message_dict == {"reason": [services.REASON_REQUIRED]}
    assert no_change.value.messages == [services.NOTHING_CHANGED]
    assert changes_to(saved).count() == 1  # the creation only


def test_a_change_may_not_move_the_team_out_of_the_area(qa_officer, own_area, other_area, own_team):
    saved = entry(qa_officer.user, own_area, team=own_team)
    values = {name: getattr(saved, name) for name in services.FIELDS} | {"service_area": other_area}

    with pytest.raises(ValidationError) as refused:
        services.entry_update(actor=qa_officer.user, entry=saved, reason="Moved", **values)

    assert "team" in refused.value.message_dict
    saved.refresh_from_db()
    assert saved.service_area == own_area
