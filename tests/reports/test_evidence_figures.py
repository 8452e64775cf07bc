"""A report's figures from the other sources of evidence (quality/reports/evidence_figures.py): an empty
period, one record of each source, coverage at the end of the period on a hand-built team, the
suppression of survey counts at four and five responses, practice themes in observations and survey
answers, and a fixed number of queries whatever the number of records.

The suite's today is frozen (16 November 2026); the reports are November's, generated on 1 December.
"""

import io
import json
from datetime import date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from evidence.complaints.models import Kind, Outcome, Theme
from evidence.complaints.services import entry_create
from evidence.observations.demo import observation_tool_version
from evidence.observations.models import Observation
from evidence.observations.services import ActionItemDraft, action_item_done, observation_plan, observation_record
from quality.months import start_of_day
from quality.org.models import Role
from quality.reports.evidence_figures import evidence
from quality.reports.figures import compute
from quality.reports.models import PracticeTheme
from quality.reports.themes import ensure_default_themes
from tests.evidence.families_helpers import record
from tests.evidence.survey_helpers import open_survey, responses, tokens
from tests.factories import MembershipFactory, PersonFactory, TeamFactory, person_with_role
from tests.reports.test_figures import auditor, make_audit, version  # noqa: F401 (fixtures)
from tests.reports.test_outputs import pdf_text, squash

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

NOVEMBER = ("monthly", "2026-11")
GENERATED_ON = date(2026, 12, 1)
ANSWERS = {"relationship": "good", "child-voice": "yes"}


def november() -> dict:
    return compute(*NOVEMBER, today=GENERATED_ON)["evidence"]


def at(day: date) -> datetime:
    return start_of_day(day) + timedelta(hours=9)


def practitioner(team, name: str, *, since: date = date(2024, 1, 1), until: date | None = None):
    person = PersonFactory(full_name=name)
    MembershipFactory(
        person=person,
        role=Role.PRACTITIONER,
        service_area=team.service_area,
        team=team,
        started_at=at(since),
        ended_at=at(until) if until else None,
    )
    return person


def observed(person, observer, on: date, *, kind="direct_work", strengths="Warm", items=()) -> Observation:
    observation = observation_plan(
        actor=observer.user,
        practitioner=person,
        observer=observer,
        kind=kind,
        planned_on=on,
        tool_version=observation_tool_version(),
    )
    return observation_record(
        actor=observer.user,
        observation=observation,
        observed_on=on,
        answers=ANSWERS,
        strengths=strengths,
        areas_for_development="Record sooner",
        action_items=list(items),
    )


def logged(recorder, day: date, area, kind: str, theme: str, outcome: str) -> None:
    """A complaint or compliment typed into the log."""
    entry_create(
        actor=recorder.user, received_on=day, service_area=area, team=None, kind=kind, theme=theme, outcome=outcome
    )


def theme_row(rows: list[dict], name: str) -> dict:
    return next(row for row in rows if row["name"] == name)


# --- an empty period ---------------------------------------------------------------------------


def test_an_empty_period_has_every_section_at_nought():
    ensure_default_themes()

    figures = november()

    observations = figures["observations"]
    assert (observations["recorded"], observations["in_practice_week"]) == (0, 0)
    assert [row["count"] for row in observations["by_kind"]] == [0] * len(Observation.Kind)
    assert observations["action_items"] == {"set": 0, "done": 0, "overdue": 0}
    assert observations["coverage"] == {
        "as_of": "2026-11-30",
        "practitioners": 0,
        "observed": 0,
        "due": 0,
        "overdue": 0,
        "observed_pct": None,
    }
    assert observations["by_service_area"] == []
    assert len(observations["themes"]) == PracticeTheme.objects.filter(is_active=True).count()
    voices = figures["voices"]
    assert (voices["responses"], voices["surveys"], voices["audits_with_views_pct"]) == (0, [], None)
    assert {row["count"] for row in voices["themes"]} == {0}
    assert figures["benchmarking"]["forms"] == 0 and len(figures["benchmarking"]["concerns"]) == 10
    assert figures["benchmarking"]["by_service_area"] == []
    complaints = figures["complaints"]
    assert (complaints["complaints"], complaints["compliments"], complaints["themes"]) == (0, 0, [])
    assert {row["count"] for row in complaints["outcomes"]} == {0}


# --- observations ------------------------------------------------------------------------------


@pytest.fixture
def team(own_area):
    return TeamFactory(service_area=own_area, name="SWF East")


@pytest.fixture
def manager(team):
    person = PersonFactory(full_name="Erin Manager")
    MembershipFactory(person=person, role=Role.PRACTICE_MANAGER, service_area=team.service_area, team=team)
    return person


def test_coverage_is_counted_as_it_was_at_the_end_of_the_period(own_area, team, manager):
    other_team = TeamFactory(service_area=own_area, name="SWF West")
    ann, ben, cat = (practitioner(team, name) for name in ("Ann", "Ben", "Cat"))
    practitioner(team, "Dan")  # never observed: overdue
    left = practitioner(team, "Fay", until=date(2026, 11, 12))  # left before the end of November
    practitioner(team, "Gil", since=date(2026, 12, 5))  # joins after it
    mover = practitioner(other_team, "Gus", until=date(2026, 11, 1))
    MembershipFactory(
        person=mover, role=Role.PRACTITIONER, service_area=own_area, team=team, started_at=at(date(2026, 11, 1))
    )
    observed(ann, manager, date(2026, 11, 10))
    observed(ben, manager, date(2025, 12, 15))  # 11 to 12 months before 30 November: due
    observed(cat, manager, date(2025, 10, 1))  # more than a year: overdue
    observed(mover, manager, date(2026, 6, 1))  # observed in the team he has left: coverage follows him
    assert left.memberships.get().ended_at is not None

    observations = november()["observations"]

    assert observations["coverage"] == {
        "as_of": "2026-11-30",
        "practitioners": 5,
        "observed": 2,
        "due": 1,
        "overdue": 2,
        "observed_pct": 40.0,
    }
    assert observations["recorded"] == 1
    assert observations["by_service_area"] == [
        {
            "code": own_area.code,
            "name": own_area.name,
            "recorded": 1,
            "practitioners": 5,
            "observed": 2,
            "due": 1,
            "overdue": 2,
            "observed_pct": 40.0,
        }
    ]


def test_one_observation_with_its_action_plan_and_a_theme_from_a_senior_managers_visit(own_area, team, manager):
    ensure_default_themes()
    ann, ben = practitioner(team, "Ann"), practitioner(team, "Ben")
    head = person_with_role(Role.HEAD_OF_SERVICE, own_area, full_name="Hana Head")
    plan = [
        ActionItemDraft(text="Update the chronology", owner=ann, review_on=date(2026, 11, 25)),
        ActionItemDraft(text="Plan direct work", owner=ann, review_on=date(2026, 12, 10)),
        ActionItemDraft(text="Genogram", owner=ann, review_on=date(2026, 11, 20)),
    ]
    observation = observed(ann, manager, date(2026, 11, 3), strengths="A clear chronology", items=plan)
    action_item_done(actor=manager.user, item=observation.action_items.get(text="Genogram"), done_on=date(2026, 11, 16))
    observed(ben, head, date(2026, 11, 12), kind="walk_the_floor", strengths="Chronology kept up to date")
    observed(ben, manager, date(2026, 10, 30), strengths="Chronology")  # October's: not counted

    observations = november()["observations"]

    assert observations["recorded"] == 2
    kinds = {row["kind"]: row["count"] for row in observations["by_kind"]}
    assert kinds == {"direct_work": 1, "parent_interview": 0, "meeting": 0, "walk_the_floor": 1}
    # Set on November's observations: one done, one past its review day on 30 November, one not yet due.
    assert observations["action_items"] == {"set": 3, "done": 1, "overdue": 1}
    assert theme_row(observations["themes"], "Chronology") | {"theme_id": None} == {
        "theme_id": None,
        "name": "Chronology",
        "count": 2,
        "visits": 1,
    }
    assert theme_row(observations["themes"], "Supervision")["count"] == 0


# --- voices ------------------------------------------------------------------------------------


@pytest.fixture
def qa_lead(db):
    return person_with_role(Role.QA_LEAD, full_name="Quinn Lead")


@pytest.mark.parametrize("made, shown", [(4, None), (5, 5)])
def test_survey_counts_under_five_are_suppressed(qa_lead, made, shown):
    ensure_default_themes()
    survey = open_survey(qa_lead.user)
    tokens(qa_lead.user, survey, 5)  # five more links nobody used
    responses(qa_lead.user, survey, *["Always"] * made, said="They never visit the school")

    voices = november()["voices"]

    assert voices["responses"] == shown
    assert voices["surveys"] == [
        {
            "survey_id": survey.pk,
            "title": survey.title,
            "audience": "parents",
            "audience_label": "Parents and carers",
            "opens_on": "2026-11-01",
            "closes_on": "2026-11-30",
            "links_sent": made + 5,
            "responses": shown,
            "rate_pct": None if shown is None else 50.0,
        }
    ]
    # Every response mentions visiting and school: the theme counts follow the same rule.
    assert theme_row(voices["themes"], "Visiting")["count"] == shown
    assert theme_row(voices["themes"], "Education")["count"] == shown
    assert theme_row(voices["themes"], "Chronology")["count"] == (None if shown is None else 0)


def test_a_survey_of_another_period_is_not_counted(qa_lead):
    survey = open_survey(qa_lead.user)
    responses(qa_lead.user, survey, *["Always"] * 5)

    figures = compute("monthly", "2026-10", today=GENERATED_ON)["evidence"]

    assert figures["voices"]["responses"] == 0 and figures["voices"]["surveys"] == []


def test_audits_recording_what_the_child_or_family_said(make_audit):  # noqa: F811 (the fixture)
    make_audit(date(2026, 11, 2), child_family_views="She wants to stay")
    make_audit(date(2026, 11, 3))
    make_audit(state="draft", child_family_views="Not yet submitted")

    voices = november()["voices"]

    assert (voices["audits_with_views"], voices["audits_completed"], voices["audits_with_views_pct"]) == (1, 2, 50.0)


# --- benchmarking and complaints ---------------------------------------------------------------


def test_benchmarking_forms_by_the_seeds_groups_in_all_and_per_area(own_area, other_area, team, manager):
    other_team = TeamFactory(service_area=other_area, name="Early Help North")
    for positive, area, where in ((3, own_area, team), (1, own_area, team), (0, other_area, other_team)):
        record(manager, area, where, on=date(2026, 11, 5), positive=positive, reference=f"C-{positive}")
    record(manager, own_area, team, on=date(2026, 10, 30), positive=4, reference="C-9")  # October's

    figures = november()["benchmarking"]

    assert (figures["forms"], figures["three_or_more"], figures["one_or_two"], figures["none"]) == (3, 1, 1, 1)
    first = figures["concerns"][0]
    assert (first["identified_at_start"], first["positive_outcomes"]) == (3, 2)
    assert {
        row["code"]: (row["forms"], row["three_or_more"], row["one_or_two"], row["none"])
        for row in figures["by_service_area"]
    } == {
        own_area.code: (2, 1, 1, 0),
        other_area.code: (1, 0, 0, 1),
    }


def test_complaints_and_compliments_received_in_the_period(own_area, other_area, qa_lead):
    logged(qa_lead, date(2026, 11, 2), own_area, Kind.COMPLAINT, Theme.TIMELINESS, Outcome.UPHELD)
    logged(qa_lead, date(2026, 11, 9), own_area, Kind.COMPLAINT, Theme.TIMELINESS, Outcome.OPEN)
    logged(qa_lead, date(2026, 11, 9), other_area, Kind.COMPLIMENT, Theme.COMMUNICATION, Outcome.NOT_APPLICABLE)
    logged(qa_lead, date(2026, 10, 31), own_area, Kind.COMPLAINT, Theme.CONDUCT, Outcome.UPHELD)  # October's

    figures = november()["complaints"]

    assert (figures["complaints"], figures["compliments"]) == (2, 1)
    assert [(row["theme"], row["complaints"], row["compliments"]) for row in figures["themes"]] == [
        ("communication", 0, 1),
        ("timeliness", 2, 0),
    ]
    outcomes = {row["outcome"]: row["count"] for row in figures["outcomes"]}
    assert outcomes == {"open": 1, "upheld": 1, "partly_upheld": 0, "not_upheld": 0, "withdrawn": 0}
    assert {row["code"]: (row["complaints"], row["compliments"]) for row in figures["by_service_area"]} == {
        own_area.code: (2, 0),
        other_area.code: (0, 1),
    }


# --- cost --------------------------------------------------------------------------------------


def _queries(as_of: datetime) -> int:
    themes = list(PracticeTheme.objects.filter(is_active=True))
    with CaptureQueriesContext(connection) as captured:
        evidence(date(2026, 11, 1), date(2026, 11, 30), as_of, themes)
    return len(captured)


def test_the_sections_run_the_same_queries_however_many_records(own_area, team, manager, qa_lead):
    ensure_default_themes()
    as_of = start_of_day(GENERATED_ON)
    empty = _queries(as_of)

    for index in range(3):
        person = practitioner(team, f"P{index}")
        observed(person, manager, date(2026, 11, 2 + index), items=[ActionItemDraft("Act", person, date(2026, 12, 1))])
        record(manager, own_area, team, on=date(2026, 11, 5), positive=index, reference=f"C-{index}")
    for _ in range(2):
        responses(qa_lead.user, open_survey(qa_lead.user), *["Always"] * 5, said="Visits")

    assert _queries(as_of) == empty
    assert timezone.localdate(as_of) == GENERATED_ON


def test_build_reports_json_carries_the_sections(own_area, qa_lead):
    logged(qa_lead, date(2026, 11, 2), own_area, Kind.COMPLIMENT, Theme.SUPPORT, Outcome.NOT_APPLICABLE)
    out = io.StringIO()

    call_command("build_report", "--kind", "monthly", "--period", "2026-11", "--format", "json", stdout=out)

    data = json.loads(out.getvalue())
    assert set(data["evidence"]) == {"observations", "voices", "benchmarking", "complaints"}
    assert (data["evidence"]["complaints"]["compliments"], data["evidence"]["voices"]["smallest_group"]) == (1, 5)


def test_the_computed_sections_are_written_into_the_pdf_and_the_workbook(own_area, qa_lead, tmp_path):
    """The outputs' own tests read hand-built figures; these are the computed ones, end to end."""
    logged(qa_lead, date(2026, 11, 2), own_area, Kind.COMPLAINT, Theme.TIMELINESS, Outcome.UPHELD)
    responses(qa_lead.user, open_survey(qa_lead.user), *["Always"] * 3)
    pdf, xlsx = tmp_path / "november.pdf", tmp_path / "november.xlsx"
    period = ("--kind", "monthly", "--period", "2026-11")

    call_command("build_report", *period, "--format", "pdf", "--output", str(pdf), stdout=io.StringIO())
    call_command("build_report", *period, "--format", "xlsx", "--output", str(xlsx), stdout=io.StringIO())

    text = squash(pdf_text(pdf.read_bytes()))
    for heading in ("Observations of practice", "Voices of children and families", "Supporting Families benchmarking"):
        assert heading in text
    assert "Survey responses submitted fewer than 5" in text
    assert f"{own_area.name} ({own_area.code}) 1 0" in text
    sheets = load_workbook(xlsx, read_only=True)
    responses_row = next(
        row for row in sheets["Voices in surveys and audits"].values if row[0] == "Survey responses submitted"
    )
    assert responses_row[1] == "fewer than 5"
