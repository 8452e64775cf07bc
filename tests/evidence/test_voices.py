"""Surveys: one-time links (only their hash kept), one response per link, the small-number rule.

Dates are written out, so the tests run at the suite's today (frozen_today: 16 November 2026).
"""

import hashlib
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from evidence.voices import demo
from evidence.voices.models import Response, ResponseAnswer, Survey, SurveyLink
from evidence.voices.selectors import FEWER_THAN, breakdown_allowed, shown, survey_results
from evidence.voices.services import (
    LinkUsed,
    case_references_from,
    links_make,
    response_submit,
    survey_create,
)
from quality.org import demo as org_demo
from quality.org.models import ChangeRecord

from .survey_helpers import answers, open_survey, responses, tokens

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]


def _result(results, key):
    return next(r for _, questions in results.sections for r in questions if r.question.key == key)


def test_the_small_number_rule_hides_one_to_four_and_shows_nought_and_five():
    assert [shown(n) for n in (0, 1, 4, 5, 12)] == ["0", FEWER_THAN, FEWER_THAN, "5", "12"]
    assert (breakdown_allowed(4), breakdown_allowed(5)) == (False, True)


def test_only_the_hash_of_a_token_is_stored_and_the_token_is_long_and_random(qa_lead):
    survey = open_survey(qa_lead.user)
    made = links_make(actor=qa_lead.user, survey=survey, count=2, case_references=["C-1001"])

    stored = list(SurveyLink.objects.filter(survey=survey).order_by("pk"))
    assert [link.token_hash for link in stored] == [hashlib.sha256(m.token.encode()).hexdigest() for m in made]
    assert [link.case_reference for link in stored] == ["", "", "C-1001"]
    assert len({m.token for m in made}) == 3 and all(len(m.token) >= 32 for m in made)
    every_value = " ".join(str(v) for row in SurveyLink.objects.values_list() for v in row)
    assert not any(m.token in every_value for m in made)
    record = ChangeRecord.objects.filter(action="survey.links").get()
    assert record.summary == "Made 3 one-time links, 1 of them about a case"
    assert not any(m.token in record.summary for m in made)


def test_a_link_takes_one_response_and_refuses_the_second(qa_lead):
    survey = open_survey(qa_lead.user)
    [token] = tokens(qa_lead.user, survey)

    response_submit(token=token, answers=answers("Sometimes", "Meetings moved a lot"))
    with pytest.raises(LinkUsed):
        response_submit(token=token, answers=answers("Never"))

    response = Response.objects.get()
    assert response.submitted_on == date(2026, 11, 16)
    assert dict(response.answers.values_list("question__key", "value")) == {
        "listened": "Sometimes",
        "anything_else": "Meetings moved a lot",
    }
    assert SurveyLink.objects.get().used_at is not None


def test_an_unknown_token_saves_nothing(qa_lead):
    open_survey(qa_lead.user)
    with pytest.raises(LinkUsed):
        response_submit(token="not-a-token-anyone-was-sent-0000", answers=answers())
    assert not Response.objects.exists()


def test_nothing_identifying_is_stored_with_a_response(qa_lead):
    """A response holds its survey and day and nothing else: no link (so no case reference), no moment,
    address or browser; its answers hold only the question and the value."""
    assert {f.name for f in Response._meta.concrete_fields} == {"id", "survey", "submitted_on"}
    assert {f.name for f in ResponseAnswer._meta.concrete_fields} == {"id", "response", "question", "value"}
    assert {f.name for f in SurveyLink._meta.concrete_fields} == {
        "id",
        "survey",
        "token_hash",
        "case_reference",
        "created_at",
        "used_at",
    }


def test_a_survey_needs_a_published_survey_tool_and_a_window_the_right_way_round(qa_lead, tool_version):
    with pytest.raises(ValidationError) as refused:
        survey_create(
            actor=qa_lead.user,
            title="Wrong tool",
            tool_version=tool_version,  # an audit tool
            audience=Survey.Audience.CHILDREN,
            easy_read=True,
            service_area=None,
            opens_on=date(2026, 11, 20),
            closes_on=date(2026, 11, 10),
        )
    assert set(refused.value.error_dict) == {"tool_version", "closes_on"}
    assert not Survey.objects.exists()


def test_case_references_are_checked_line_by_line():
    assert case_references_from("c-1\n\n  C-2 \n") == ["C-1", "C-2"]
    with pytest.raises(ValidationError) as refused:
        case_references_from("C-1\nJane Smith\n")
    assert refused.value.error_dict["case_references"][0].messages == [
        "Line 2: use the case number only (letters, digits and -), never a name."
    ]


def test_links_are_asked_for_in_a_sensible_number(qa_lead):
    survey = open_survey(qa_lead.user)
    for count in (0, 501):
        with pytest.raises(ValidationError):
            links_make(actor=qa_lead.user, survey=survey, count=count)
    assert not SurveyLink.objects.exists()


def test_four_responses_show_no_breakdown_and_five_do(qa_lead, head_of_service):
    survey = open_survey(qa_lead.user)
    responses(qa_lead.user, survey, "Always", "Always", "Always", "Never", said="Kind worker")

    four = survey_results(qa_lead.user, survey)
    assert (four.responses_shown, four.breakdown, four.sections, four.rate) == (FEWER_THAN, False, [], None)

    responses(qa_lead.user, survey, "Always", said="Kind worker")
    five = survey_results(qa_lead.user, survey)
    assert (five.responses_shown, five.breakdown, five.rate) == ("5", True, "100%")
    assert _result(five, "listened").counts == [
        ("Always", FEWER_THAN),  # four people said Always: under five
        ("Most of the time", "0"),
        ("Sometimes", "0"),
        ("Never", FEWER_THAN),
    ]


def test_a_choice_chosen_by_five_is_shown_and_by_four_is_not(qa_lead):
    survey = open_survey(qa_lead.user)
    responses(qa_lead.user, survey, *["Always"] * 5, *["Sometimes"] * 4)

    counts = dict(_result(survey_results(qa_lead.user, survey), "listened").counts)

    assert (counts["Always"], counts["Sometimes"], counts["Never"]) == ("5", FEWER_THAN, "0")


def test_free_text_is_listed_for_the_qa_unit_and_only_counted_for_a_head_of_service(qa_lead, head_of_service):
    survey = open_survey(qa_lead.user)
    responses(qa_lead.user, survey, *["Always"] * 5, said="The worker was kind")

    assert _result(survey_results(qa_lead.user, survey), "anything_else").texts == ["The worker was kind"] * 5
    theirs = _result(survey_results(head_of_service.user, survey), "anything_else")
    assert (theirs.texts, theirs.answered) == (None, "5")


def test_the_response_rate_is_responses_over_links_sent(qa_lead):
    survey = open_survey(qa_lead.user)
    responses(qa_lead.user, survey, *["Always"] * 6)
    tokens(qa_lead.user, survey, 9)  # sent, never answered

    results = survey_results(qa_lead.user, survey)

    assert (results.links_sent, results.responses, results.rate) == (15, 6, "40%")


def test_the_demo_round_has_twenty_responses_and_unused_links(db):
    org_demo.load()
    demo.load()
    demo.load()  # idempotent

    survey = Survey.objects.get(title=demo.SURVEY_TITLE)
    assert survey.responses.count() == demo.RESPONSES
    assert survey.links.filter(used_at__isnull=True).count() == demo.LINKS + demo.CASE_LINKS - demo.RESPONSES
    assert ResponseAnswer.objects.filter(question__key="anything_else").exists()


def test_free_text_is_tagged_with_the_practice_themes_it_mentions(qa_lead, client):
    from quality.reports.themes import ensure_default_themes

    ensure_default_themes()
    survey = open_survey(qa_lead.user)
    responses(qa_lead.user, survey, *["Always"] * 4, said="She never VISITS; school is ignored")
    responses(qa_lead.user, survey, "Always", said="Kind & patient <b>")

    tagged = _result(survey_results(qa_lead.user, survey), "anything_else").tagged_texts

    assert tagged == [("She never VISITS; school is ignored", ["Visiting", "Education"])] * 4 + [
        ("Kind & patient <b>", [])
    ]
    client.force_login(qa_lead.user)
    page = client.get(survey.get_absolute_url()).content.decode()
    assert page.count("(practice themes: Visiting, Education)") == 4
    assert "Kind &amp; patient &lt;b&gt;" in page
