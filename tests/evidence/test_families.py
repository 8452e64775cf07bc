"""Supporting Families benchmarking: the form's rules, its change records and the summary's figures.

Dates are written out, so the tests run at the suite's today (frozen_today: 16 November 2026).
"""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from evidence.families import demo, messages
from evidence.families.models import BenchmarkingForm, Concern, ConcernOutcome
from evidence.families.selectors import forms_in, summary
from evidence.families.services import ConcernAnswer, benchmarking_form_create, benchmarking_form_update
from quality.org import demo as org_demo
from quality.org.models import ChangeRecord
from quality.org.selectors import changes_to

from .families_helpers import answers, many, record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

NOVEMBER = date(2026, 11, 10)
Q4 = (date(2026, 10, 1), date(2026, 12, 31))


def _create(practice_manager, own_area, own_team, **changes):
    fields = {
        "actor": practice_manager.user,
        "case_reference": "c-2041",
        "service_area": own_area,
        "team": own_team,
        "completed_by": practice_manager,
        "completed_on": NOVEMBER,
        "concerns": answers(3, 2),
    } | changes
    return benchmarking_form_create(**fields)


# --- the rules ---------------------------------------------------------------------------------------


def test_a_form_keeps_a_row_for_each_of_the_ten_concerns_in_the_frameworks_order(practice_manager, own_area, own_team):
    form = _create(practice_manager, own_area, own_team)

    rows = list(form.concerns.all())
    assert [row.concern for row in rows] == Concern.values
    assert len(rows) == 10
    assert [row.positive_outcome for row in rows].count(True) == 2
    assert form.case_reference == "C-2041"  # kept as the case system writes it


def test_a_positive_outcome_for_a_concern_never_identified_is_refused_at_that_concern(
    practice_manager, own_area, own_team
):
    concerns = answers(2, 1) | {Concern.HOUSING: ConcernAnswer(positive_outcome=True)}

    with pytest.raises(ValidationError) as refused:
        _create(practice_manager, own_area, own_team, concerns=concerns)

    assert refused.value.message_dict == {"housing_positive": [messages.POSITIVE_NEEDS_CONCERN]}
    assert not BenchmarkingForm.objects.exists()


def test_a_positive_outcome_for_a_concern_identified_only_at_the_end_is_accepted(practice_manager, own_area, own_team):
    concerns = {Concern.HOUSING: ConcernAnswer(identified_at_end=True, positive_outcome=True)}

    form = _create(practice_manager, own_area, own_team, concerns=concerns)

    assert form.concerns.get(concern=Concern.HOUSING).positive_outcome


def test_the_database_refuses_a_positive_outcome_for_an_unidentified_concern_from_any_writer(
    practice_manager, own_area, own_team
):
    row = _create(practice_manager, own_area, own_team).concerns.get(concern=Concern.HOUSING)

    with pytest.raises(IntegrityError), transaction.atomic():
        ConcernOutcome.objects.filter(pk=row.pk).update(positive_outcome=True)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"case_reference": "Jane Smith"}, "case_reference", messages.CASE_REFERENCE_INVALID),
        ({"completed_on": date(2026, 11, 17)}, "completed_on", messages.COMPLETED_IN_FUTURE),
        ({"concerns": {}}, "__all__", messages.CONCERN_NEEDED),
    ],
    ids=["a name for a reference", "completed tomorrow", "no concern identified"],
)
def test_a_form_is_refused_with_the_reason_next_to_its_field(
    practice_manager, own_area, own_team, changes, field, message
):
    with pytest.raises(ValidationError) as refused:
        _create(practice_manager, own_area, own_team, **changes)

    assert refused.value.message_dict[field] == [message]


def test_a_team_of_another_area_is_refused(practice_manager, own_area, other_team):
    with pytest.raises(ValidationError) as refused:
        _create(practice_manager, own_area, other_team)

    assert refused.value.message_dict == {"team": [messages.TEAM_OUTSIDE_AREA]}


# --- the change record -------------------------------------------------------------------------------


def test_recording_and_changing_a_form_say_who_when_and_what(practice_manager, qa_officer, own_area, own_team):
    form = _create(practice_manager, own_area, own_team)
    concerns = answers(3, 2) | {Concern.EDUCATION: ConcernAnswer(identified_at_start=True, identified_at_end=True)}

    benchmarking_form_update(
        actor=qa_officer.user,
        instance=form,
        case_reference="C-2041",
        service_area=own_area,
        team=own_team,
        completed_by=practice_manager,
        completed_on=date(2026, 11, 12),
        concerns=concerns,
    )

    created, changed = reversed(list(changes_to(form)))
    assert (created.actor, created.action) == (practice_manager.user, "benchmarking_form.create")
    assert created.summary == "Recorded the benchmarking form of case C-2041 (2 positive outcomes)"
    assert (changed.actor, changed.action) == (qa_officer.user, "benchmarking_form.update")
    assert changed.summary == (
        "Changed the benchmarking form of case C-2041: date completed from 10/11/2026 to 12/11/2026; "
        "Getting a good education, identified at the end: no to yes; "
        "Getting a good education, positive outcome: yes to no"
    )
    row = form.concerns.get(concern=Concern.EDUCATION)
    assert (row.identified_at_end, row.positive_outcome) == (True, False)
    form.refresh_from_db()
    assert form.completed_on == date(2026, 11, 12)


def test_saving_a_form_unchanged_records_nothing(practice_manager, own_area, own_team):
    form = _create(practice_manager, own_area, own_team)

    benchmarking_form_update(
        actor=practice_manager.user,
        instance=form,
        case_reference="C-2041",
        service_area=own_area,
        team=own_team,
        completed_by=practice_manager,
        completed_on=NOVEMBER,
        concerns=answers(3, 2),
    )

    assert ChangeRecord.objects.filter(action="benchmarking_form.update").count() == 0


# --- the summary -------------------------------------------------------------------------------------


def _figures(user, start=Q4[0], end=Q4[1], area=None):
    return summary(forms_in(user, start, end, area))


def test_the_summary_of_an_empty_period_is_all_zeros_for_every_concern(qa_lead, practice_manager, own_area, own_team):
    record(practice_manager, own_area, own_team, on=date(2026, 9, 30), positive=3)  # the quarter before

    figures = _figures(qa_lead.user)

    assert (figures.forms, figures.three_or_more, figures.one_or_two, figures.none) == (0, 0, 0, 0)
    assert [row.label for row in figures.concerns] == Concern.labels
    assert {(row.identified_at_start, row.identified_at_end, row.positive_outcomes) for row in figures.concerns} == {
        (0, 0, 0)
    }


def test_the_summary_of_one_form(qa_lead, practice_manager, own_area, own_team):
    record(practice_manager, own_area, own_team, on=NOVEMBER, identified=4, positive=3)

    figures = _figures(qa_lead.user)

    assert (figures.forms, figures.three_or_more, figures.one_or_two, figures.none) == (1, 1, 0, 0)
    by_concern = {row.concern: row for row in figures.concerns}
    assert [by_concern[c].positive_outcomes for c in Concern.values] == [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    assert [by_concern[c].identified_at_start for c in Concern.values] == [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    assert by_concern[Concern.SUBSTANCE_USE].identified_at_end == 1  # no positive outcome: still there
    assert figures.positive_outcomes == 3


def test_the_summary_reproduces_the_councils_2023_benchmarking(qa_lead, practice_manager, own_area, own_team):
    """The seed: 147 forms, 74 with three or more positive outcomes, 59 with one or two (so 14 with none)."""
    positives = [3] * 30 + [4] * 30 + [5] * 14 + [1] * 35 + [2] * 24 + [0] * 14
    many(practice_manager, own_area, own_team, on=NOVEMBER, positives=positives)

    figures = _figures(qa_lead.user)

    assert (figures.forms, figures.three_or_more, figures.one_or_two, figures.none) == (147, 74, 59, 14)
    assert figures.positive_outcomes == sum(positives)
    # Every form identified the first five concerns; each concern's positive outcomes, counted per form.
    expected = [sum(1 for count in positives if count > index) for index in range(10)]
    assert [row.positive_outcomes for row in figures.concerns] == expected


def test_the_summary_counts_a_form_in_the_period_and_area_it_belongs_to(
    qa_lead, practice_manager, other_manager, own_area, other_area, own_team, other_team
):
    record(practice_manager, own_area, own_team, on=date(2026, 10, 1), positive=1, reference="C-1")
    record(practice_manager, own_area, own_team, on=date(2026, 11, 16), positive=0, reference="C-2")
    record(other_manager, other_area, other_team, on=NOVEMBER, positive=4, reference="C-3")
    record(practice_manager, own_area, own_team, on=date(2026, 9, 30), positive=2, reference="C-4")

    own = _figures(qa_lead.user, area=own_area)
    october = _figures(qa_lead.user, date(2026, 10, 1), date(2026, 10, 31))

    assert (own.forms, own.three_or_more, own.one_or_two, own.none) == (2, 0, 1, 1)
    assert (october.forms, october.one_or_two) == (1, 1)
    assert _figures(qa_lead.user).forms == 3


def test_a_practice_managers_summary_counts_only_their_areas_forms(
    practice_manager, other_manager, own_area, other_area, own_team, other_team
):
    record(practice_manager, own_area, own_team, on=NOVEMBER, positive=1, reference="C-1")
    record(other_manager, other_area, other_team, on=NOVEMBER, positive=4, reference="C-2")

    figures = _figures(practice_manager.user)

    assert (figures.forms, figures.one_or_two, figures.three_or_more) == (1, 1, 0)


def test_the_summary_takes_two_queries_however_many_forms(
    qa_lead, practice_manager, own_area, own_team, django_assert_num_queries
):
    many(practice_manager, own_area, own_team, on=NOVEMBER, positives=[0, 1, 3] * 20)
    _figures(qa_lead.user)  # the person's roles are read once, on first use

    with django_assert_num_queries(2):
        _figures(qa_lead.user)


# --- the demo ----------------------------------------------------------------------------------------


def test_the_demo_fills_this_quarter_with_forms_of_every_kind_once(qa_lead):
    org_demo.load()
    demo.load()
    demo.load()  # again: adds nothing

    forms = BenchmarkingForm.objects.all()
    assert forms.count() == demo.FORMS
    assert forms.values("service_area").distinct().count() == len(demo.AREA_CODES)
    figures = _figures(qa_lead.user, date(2026, 8, 17), date(2026, 11, 16))
    assert figures.forms == demo.FORMS
    assert figures.three_or_more > 40 and figures.one_or_two > 40 and figures.none > 0
    assert all(row.positive_outcomes for row in figures.concerns)
