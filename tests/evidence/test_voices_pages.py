"""The survey pages: the public one-time link (CSRF, replay, window, throttle) and the QA unit's pages.

Dates are written out, so the tests run at the suite's today (frozen_today: 16 November 2026).
"""

import csv
import io
import logging
import re
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from evidence.voices.forms import EVERY_AREA, SurveyFilter
from evidence.voices.logs import SurveyTokenLogFilter
from evidence.voices.messages import OPEN_TO_BEFORE_FROM, PERIOD_AND_DATES
from evidence.voices.models import Response, Survey, SurveyLink
from evidence.voices.services import token_hash
from moderation.outcome_forms import PERIOD_INVALID
from quality.forms import DATE_INVALID
from quality.idempotency import ALREADY_SAVED, TOKEN_FIELD
from quality.org.selectors import changes_to
from quality.security.models import SignInThrottle

from .survey_helpers import open_survey, responses, tokens

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

UNAVAILABLE = "This link cannot be used"


@pytest.fixture
def family():
    """A member of the public: no sign-in, and CSRF checked as a real browser's form post is."""
    return Client(enforce_csrf_checks=True)


def _open(family, token, **extra):
    return family.get(reverse("voices:respond", args=[token]), **extra)


def _send(family, token, data, **extra):
    """Open the page (as a browser does, for its CSRF cookie and token), then post the answers."""
    page = _open(family, token, **extra)
    assert page.status_code == 200
    form = {"csrfmiddlewaretoken": page.context["csrf_token"], **data}
    return family.post(reverse("voices:respond", args=[token]), form, **extra)


def test_a_family_answers_once_and_the_link_then_refuses(family, qa_lead, settings):
    survey = open_survey(qa_lead.user)
    [token] = tokens(qa_lead.user, survey)

    page = _open(family, token)
    assert page.status_code == 200
    assert "Did your social worker listen to you?" in page.content.decode()
    sent = _send(
        family, token, {"q-listened": "Sometimes", "q-anything_else": "Kind", "q-what_helped": ["Help at home"]}
    )
    assert sent.status_code == 302 and sent.url == reverse("voices:thanks")
    assert "Thank you" in family.get(sent.url).content.decode()
    assert settings.SESSION_COOKIE_NAME not in family.cookies  # no session: the link is the only key

    again = family.post(reverse("voices:respond", args=[token]), {"q-listened": "Never"})  # the back button
    reload = _open(family, token)

    assert Response.objects.count() == 1
    assert dict(Response.objects.get().answers.values_list("question__key", "value")) == {
        "listened": "Sometimes",
        "anything_else": "Kind",
        "what_helped": ["Help at home"],
    }
    for refused in (reload,):
        assert refused.status_code == 404 and UNAVAILABLE in refused.content.decode()
    assert again.status_code in (403, 404)  # refused: a stale CSRF token or the used link, never saved


def test_a_second_post_with_a_valid_csrf_token_is_refused_as_used(qa_lead):
    survey = open_survey(qa_lead.user)
    [token] = tokens(qa_lead.user, survey)
    client = Client()  # CSRF not checked: the replay itself is what is tested here
    url = reverse("voices:respond", args=[token])

    first = client.post(url, {"q-listened": "Always"})
    second = client.post(url, {"q-listened": "Never"})

    assert first.status_code == 302
    assert second.status_code == 404 and UNAVAILABLE in second.content.decode()
    assert list(Response.objects.values_list("answers__value", flat=True)) == ["Always"]


def test_a_post_without_the_csrf_token_is_refused(family, qa_lead):
    survey = open_survey(qa_lead.user)
    [token] = tokens(qa_lead.user, survey)

    response = family.post(reverse("voices:respond", args=[token]), {"q-listened": "Always"})

    assert response.status_code == 403
    assert not Response.objects.exists() and SurveyLink.objects.get().used_at is None


def test_an_unknown_token_reads_like_a_used_one(family, qa_lead):
    open_survey(qa_lead.user)

    response = _open(family, "a" * 32)

    assert response.status_code == 404 and UNAVAILABLE in response.content.decode()


@pytest.mark.parametrize(
    ("opens_on", "closes_on"), [(date(2026, 11, 17), date(2026, 11, 30)), (date(2026, 11, 1), date(2026, 11, 15))]
)
def test_a_link_outside_its_surveys_window_says_it_is_not_open(family, qa_lead, opens_on, closes_on):
    survey = open_survey(qa_lead.user, opens_on=opens_on, closes_on=closes_on)
    [token] = tokens(qa_lead.user, survey)

    response = Client().post(reverse("voices:respond", args=[token]), {"q-listened": "Always"})

    assert response.status_code == 404 and "This survey is not open" in response.content.decode()
    assert not Response.objects.exists() and SurveyLink.objects.get().used_at is None


def test_a_required_question_left_out_is_asked_for_and_nothing_is_saved(family, qa_lead):
    survey = open_survey(qa_lead.user)
    [token] = tokens(qa_lead.user, survey)

    response = _send(family, token, {"q-anything_else": "Fine"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Please check your answers" in page and "Answer this question, please." in page
    assert 'href="#id_q-listened_0"' in page  # the summary links to the group's first choice
    assert not Response.objects.exists() and SurveyLink.objects.get().used_at is None


def test_the_page_never_shows_another_answer(family, qa_lead):
    survey = open_survey(qa_lead.user)
    responses(qa_lead.user, survey, "Always", said="Our worker Sam was brilliant")
    [token] = tokens(qa_lead.user, survey)

    page = _open(family, token).content.decode()

    assert "Sam was brilliant" not in page
    assert "<script" not in page  # a plain form: nothing needs JavaScript


def test_many_requests_from_one_address_are_refused_with_429(family, qa_lead, settings):
    settings.SURVEY_ADDRESS_LIMIT = 3
    survey = open_survey(qa_lead.user)
    [token] = tokens(qa_lead.user, survey)
    guesses = [_open(family, f"guess-{n:028d}", REMOTE_ADDR="203.0.113.9").status_code for n in range(3)]

    refused = _open(family, token, REMOTE_ADDR="203.0.113.9")
    # (A post without its CSRF token is refused before it is counted: Client() posts as if it had one.)
    posted = Client().post(reverse("voices:respond", args=[token]), {"q-listened": "Always"}, REMOTE_ADDR="203.0.113.9")
    elsewhere = _open(family, token, REMOTE_ADDR="198.51.100.7")

    assert guesses == [404, 404, 404]
    assert refused.status_code == 429 and "Too many tries" in refused.content.decode()
    assert posted.status_code == 429
    assert elsewhere.status_code == 200
    assert SignInThrottle.objects.get(key="203.0.113.9").attempts == 5
    assert not Response.objects.exists()


def test_the_throttle_reads_the_address_our_proxy_saw(family, qa_lead, settings):
    settings.SURVEY_ADDRESS_LIMIT, settings.TRUSTED_PROXY_COUNT = 1, 1
    proxied = {"REMOTE_ADDR": "10.0.0.2"}

    first = _open(family, "x" * 32, HTTP_X_FORWARDED_FOR="203.0.113.9", **proxied)
    second = _open(family, "x" * 32, HTTP_X_FORWARDED_FOR="203.0.113.9", **proxied)
    other = _open(family, "x" * 32, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxied)

    assert (first.status_code, second.status_code, other.status_code) == (404, 429, 404)


# -- the QA unit's pages --


def test_the_qa_unit_opens_a_survey_and_gets_its_links_once(client, qa_lead):
    client.force_login(qa_lead.user)
    version = open_survey(qa_lead.user).tool_version  # the demo tool, published
    created = client.post(
        reverse("voices:survey_create"),
        {
            "title": "Young people's survey",
            "tool_version": version.pk,
            "audience": "children",
            "easy_read": "on",
            "opens_on": "1/11/2026",
            "closes_on": "30/11/2026",
        },
    )
    survey = Survey.objects.get(title="Young people's survey")
    assert created.status_code == 302 and created.url == survey.get_absolute_url()
    assert survey.easy_read and survey.audience == "children"

    shown = client.post(
        reverse("voices:links_make", args=[survey.pk]), {"count": 2, "case_references": "c-77\n", "as": "page"}
    )
    page = shown.content.decode()
    assert shown.status_code == 200 and "Your new links: copy them now" in page
    urls = re.findall(r"<code>(http[^<]+)</code>", page)
    assert len(urls) == 3
    assert {token_hash(url.rstrip("/").rsplit("/", 1)[1]) for url in urls} == set(
        SurveyLink.objects.filter(survey=survey).values_list("token_hash", flat=True)
    )
    assert "Your new links" not in client.get(survey.get_absolute_url()).content.decode()


def test_the_links_come_as_a_csv_file(client, qa_officer, qa_lead):
    survey = open_survey(qa_lead.user)
    client.force_login(qa_officer.user)

    response = client.post(
        reverse("voices:links_make", args=[survey.pk]), {"count": 1, "case_references": "C-1\nC-2", "as": "csv"}
    )

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["Case reference", "Link"]
    assert [row[0] for row in rows[1:]] == ["", "C-1", "C-2"]
    assert all(row[1].startswith("http://testserver/s/") for row in rows[1:])
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_name_among_the_case_references_is_refused_with_its_line(client, qa_lead):
    survey = open_survey(qa_lead.user)
    client.force_login(qa_lead.user)

    response = client.post(
        reverse("voices:links_make", args=[survey.pk]), {"count": "", "case_references": "C-1\nJo Bloggs", "as": "page"}
    )

    assert response.status_code == 400
    assert "Line 2: use the case number only" in response.content.decode()
    assert not SurveyLink.objects.exists()


def test_a_head_of_service_reads_the_counts_but_not_the_free_text(client, qa_lead, head_of_service):
    survey = open_survey(qa_lead.user)
    responses(qa_lead.user, survey, *["Always"] * 5, "Never", said="Moved school twice")
    url = survey.get_absolute_url()

    client.force_login(head_of_service.user)
    theirs = client.get(url).content.decode()
    client.force_login(qa_lead.user)
    qa = client.get(url).content.decode()

    assert "Moved school twice" not in theirs and "read by the QA unit only" in theirs
    assert "Moved school twice" in qa
    for page in (theirs, qa):
        assert "<td>Always</td><td>5</td>" in page and "<td>Never</td><td>fewer than 5</td>" in page
        assert "Make one-time links" in page if page is qa else "Make one-time links" not in page


@pytest.mark.parametrize("filters", [{}, {"period": "2026", "service_area": "own"}, {"open_from": "1/11/2026"}])
def test_the_list_runs_the_same_number_of_queries_however_many_surveys(client, qa_lead, own_area, filters):
    client.force_login(qa_lead.user)
    url = reverse("voices:survey_list")
    query = {name: own_area.pk if value == "own" else value for name, value in filters.items()}
    open_survey(qa_lead.user, area=own_area)

    def queries():
        client.get(url, query)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, query)
        assert response.status_code == 200 and response.context["filter"].is_valid()
        return len(captured), len(response.context["surveys"])

    few, shown_before = queries()
    for _ in range(4):
        survey = open_survey(qa_lead.user, area=own_area)
        responses(qa_lead.user, survey, "Always")
    assert queries() == (few, shown_before + 4)


# -- the list's filters: the area, and a period the survey's window overlaps --


@pytest.fixture
def rounds(qa_lead, own_area, other_area):
    """SWF's November 2026 round, PTC's October 2026 one, and one of every area over the 2025-26 new year."""
    return {
        "swf": open_survey(qa_lead.user, area=own_area),
        "ptc": open_survey(qa_lead.user, area=other_area, opens_on=date(2026, 10, 1), closes_on=date(2026, 10, 31)),
        "every": open_survey(qa_lead.user, opens_on=date(2025, 12, 1), closes_on=date(2026, 1, 15)),
    }


def _listed(client, **filters):
    response = client.get(reverse("voices:survey_list"), filters)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, {"swf", "ptc", "every"}),
        ({"service_area": "own"}, {"swf"}),
        ({"service_area": "null"}, {"every"}),
        ({"period": "2026-10"}, {"ptc"}),
        ({"period": "2026-Q4"}, {"swf", "ptc"}),
        ({"period": "2026"}, {"swf", "ptc", "every"}),
        ({"period": "2025-12"}, {"every"}),
        ({"period": "2026-02"}, set()),
        ({"open_from": "31/10/2026", "open_to": "1/11/2026"}, {"swf", "ptc"}),  # a day of each window
        ({"open_from": "16/01/2026", "open_to": "30/09/2026"}, set()),  # between the windows
        ({"open_to": "15/01/2026"}, {"every"}),
        ({"open_from": "1/11/2026", "service_area": "own"}, {"swf"}),
    ],
)
def test_the_list_filters_by_area_and_by_a_period_the_window_overlaps(
    client, head_of_service, own_area, rounds, filters, expected
):
    client.force_login(head_of_service.user)
    query = {name: own_area.pk if value == "own" else value for name, value in filters.items()}

    response = _listed(client, **query)

    names = {survey.pk: name for name, survey in rounds.items()}
    assert {names[survey.pk] for survey in response.context["surveys"]} == expected


@pytest.mark.parametrize(
    ("filters", "field", "message"),
    [
        ({"period": "autumn"}, "period", PERIOD_INVALID),
        ({"open_from": "1/11/2026", "open_to": "31/10/2026"}, "open_to", OPEN_TO_BEFORE_FROM),
        ({"period": "2026", "open_from": "1/11/2026"}, "period", PERIOD_AND_DATES),
        ({"open_from": "31/02/2026"}, "open_from", DATE_INVALID),
    ],
)
def test_a_filter_it_cannot_read_lists_nothing_and_says_why_beside_the_field(
    client, qa_lead, rounds, filters, field, message
):
    client.force_login(qa_lead.user)

    response = _listed(client, **filters)

    assert response.context["filter"].form.errors == {field: [message]}
    assert list(response.context["surveys"]) == []
    page = response.content.decode()
    assert f'<div id="id_{field}_error" class="invalid-feedback"><p id="error_1_id_{field}"><strong>' in page
    assert escape(message) in page and "No surveys match." in page


def test_the_area_filter_offers_only_the_areas_the_person_sees(rf, practice_manager, own_area, other_area):
    request = rf.get(reverse("voices:survey_list"))
    request.user = practice_manager.user

    offered = SurveyFilter(request.GET, queryset=Survey.objects.all(), request=request).form.fields["service_area"]

    assert list(offered.queryset) == [own_area]
    assert [label for _, label in offered.choices] == ["Any", EVERY_AREA, "SWF: Social Work with Families"]


def test_the_filtered_list_keeps_the_small_number_rule(client, qa_lead, own_area, other_area):
    small = open_survey(qa_lead.user, area=own_area)
    responses(qa_lead.user, small, "Always", "Never")
    large = open_survey(qa_lead.user, area=other_area)
    responses(qa_lead.user, large, *["Always"] * 6)
    client.force_login(qa_lead.user)

    mine = _listed(client, service_area=own_area.pk, period="2026-11").content.decode()
    theirs = _listed(client, service_area=other_area.pk, period="2026-11").content.decode()

    links_then_responses = r"<td>{}</td>\s*<td>{}</td>\s*</tr>"
    assert re.search(links_then_responses.format(2, "fewer than 5"), mine)  # 2 links sent, 2 responses
    assert re.search(links_then_responses.format(6, 6), theirs)


# -- opening a survey: once per render of the form (quality.idempotency) --


def test_posting_the_open_a_survey_form_twice_opens_one_survey(client, qa_lead):
    version = open_survey(qa_lead.user).tool_version
    client.force_login(qa_lead.user)
    form = client.get(reverse("voices:survey_create")).context["form"]
    posted = {
        TOKEN_FIELD: form[TOKEN_FIELD].value(),
        "title": "Winter survey of young people",
        "tool_version": version.pk,
        "audience": "children",
        "opens_on": "1/12/2026",
        "closes_on": "31/12/2026",
    }

    first = client.post(reverse("voices:survey_create"), posted)
    again = client.post(reverse("voices:survey_create"), posted, follow=True)  # a double click, or back and resend

    survey = Survey.objects.get(title="Winter survey of young people")
    assert first.status_code == 302 and first.url == survey.get_absolute_url()
    assert again.redirect_chain == [(survey.get_absolute_url(), 302)]
    assert ALREADY_SAVED in [str(message) for message in again.context["messages"]]
    assert [change.action for change in changes_to(survey)] == ["survey.create"]


def test_two_renders_of_the_open_a_survey_form_open_two_surveys(client, qa_lead):
    version = open_survey(qa_lead.user).tool_version
    client.force_login(qa_lead.user)
    for _ in range(2):
        form = client.get(reverse("voices:survey_create")).context["form"]
        posted = {
            TOKEN_FIELD: form[TOKEN_FIELD].value(),
            "title": "Winter survey",
            "tool_version": version.pk,
            "audience": "children",
            "opens_on": "1/12/2026",
            "closes_on": "31/12/2026",
        }
        assert client.post(reverse("voices:survey_create"), posted).status_code == 302

    assert Survey.objects.filter(title="Winter survey").count() == 2


def test_the_voices_page_and_the_surveys_page_link_to_each_other(client, qa_lead):
    client.force_login(qa_lead.user)

    assert reverse("voices:survey_list") in client.get(reverse("audits:voices_list")).content.decode()
    assert reverse("audits:voices_list") in client.get(reverse("voices:survey_list")).content.decode()


def test_a_token_in_a_logged_path_is_left_out(settings):
    record = logging.LogRecord("django.request", logging.WARNING, "", 0, "Not Found: %s", ("/s/SeCrEt-token_1/",), None)

    SurveyTokenLogFilter().filter(record)

    assert record.getMessage() == "Not Found: /s/<token>/"
    assert "survey_tokens" in settings.LOGGING["handlers"]["console"]["filters"]


def test_an_easy_read_survey_is_shown_in_the_easy_read_layout(family, qa_lead):
    plain, easy = open_survey(qa_lead.user), open_survey(qa_lead.user, easy_read=True)

    plain_page = _open(family, tokens(qa_lead.user, plain)[0]).content.decode()
    easy_page = _open(family, tokens(qa_lead.user, easy)[0]).content.decode()

    assert "survey-easy-read" in easy_page and "There are no right or wrong answers." in easy_page
    assert "survey-easy-read" not in plain_page and "There are no right or wrong answers." not in plain_page
