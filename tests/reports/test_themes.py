"""Practice themes (quality/reports/themes.py and the practice-themes pages).

The default list and its loader, how phrases are cleaned and matched in the database, the services
with their refusals and change records, and the pages: who may use them, POST only for changes,
CSRF, messages next to the field, and a list that runs the same queries however many themes.
"""

from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audits.models import Answer, AreaGrade, Audit, Question, Section
from quality.org.models import ChangeRecord, Role
from quality.reports import themes
from quality.reports.models import PracticeTheme
from quality.reports.theme_views import DEACTIVATED, DEFAULTS_PRESENT

pytestmark = pytest.mark.django_db

LIST_URL = reverse("reports:theme_list")
ADD_URL = reverse("reports:theme_add")


@pytest.fixture
def lead_client(client, qa_lead):
    client.force_login(qa_lead.user)
    return client


@pytest.fixture
def theme(db):
    return PracticeTheme.objects.create(name="Chronology", key_phrases=["chronolog"], order=10)


# ---------------------------------------------------------------------------------------
# The default list


def test_the_default_themes_include_those_the_qa_unit_named():
    names = [fields["name"] for fields in themes.default_themes()]
    for name in (
        "Chronology",
        "Case summary",
        "Cultural genogram",
        "Supervision",
        "Visiting",
        "Voice of the child",
        "Contingency planning",
        "SMART plans",
        "Multi-agency working",
        "Management oversight",
    ):
        assert name in names
    assert len(names) == len(set(names))
    for fields in themes.default_themes():
        assert fields["key_phrases"] == themes.normalise_phrases(fields["key_phrases"]) != []
    orders = [fields["order"] for fields in themes.default_themes()]
    assert orders == sorted(orders)


def test_loading_the_defaults_adds_the_missing_ones_once_and_never_changes_an_existing_theme(db):
    PracticeTheme.objects.create(name="chronology", key_phrases=["timeline"], is_active=False)

    added = themes.ensure_default_themes()

    assert added == len(themes.DEFAULT_THEMES) - 1
    kept = PracticeTheme.objects.get(name="chronology")
    assert (kept.key_phrases, kept.is_active) == (["timeline"], False)
    assert PracticeTheme.objects.get(name="SMART plans").key_phrases == [
        "smart plan",
        "smart outcome",
        "smart target",
        "smart action",
    ]
    assert themes.ensure_default_themes() == 0
    assert PracticeTheme.objects.count() == len(themes.DEFAULT_THEMES)


def test_phrases_are_lower_case_trimmed_single_spaced_and_without_repeats():
    assert themes.normalise_phrases("  Home  Visit \n\nhome visit\nVOICE of the child\n") == [
        "home visit",
        "voice of the child",
    ]
    assert themes.normalise_phrases(["A", " a ", ""]) == ["a"]


# ---------------------------------------------------------------------------------------
# Matching in the database


def _audit(version, area, auditor, reference, **fields):
    return Audit.objects.create(
        case_reference=reference,
        service_area=area,
        auditor=auditor,
        tool_version=version,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 6, 30),
        state=Audit.State.SUBMITTED,
        **fields,
    )


def test_a_theme_is_found_in_any_narrative_in_any_case_and_inside_longer_words(tool_version, own_area, make_person):
    auditor = make_person(Role.PRACTICE_MANAGER, own_area)
    in_strengths = _audit(tool_version, own_area, auditor, "C1", strengths="Regular HOME VISITS.")
    in_improvements = _audit(tool_version, own_area, auditor, "C2", areas_for_improvement="Visiting was patchy")
    in_views = _audit(tool_version, own_area, auditor, "C3", child_family_views="He wants more visits.")
    in_answer = _audit(tool_version, own_area, auditor, "C4")
    in_short_answer = _audit(tool_version, own_area, auditor, "C5")
    _audit(
        tool_version, own_area, auditor, "C6", strengths="Nothing relevant", theme="Visiting"
    )  # theme field: not a narrative
    narrative = Question.objects.filter(section__version=tool_version, type=Question.Type.NARRATIVE).first()
    Answer.objects.create(audit=in_answer, question=narrative, value="Unannounced Visit on 3 May.")
    section = Section.objects.create(version=tool_version, title="Extra", order=99)
    short = Question.objects.create(section=section, key="extra-short", text="Short", type="short_text", order=1)
    Answer.objects.create(audit=in_short_answer, question=short, value="visit")

    found = Audit.objects.filter(themes.mentions(["visit"])).order_by("pk")

    assert list(found) == [in_strengths, in_improvements, in_views, in_answer]
    assert not Audit.objects.filter(themes.mentions([])).exists()


def test_a_theme_condition_reaches_audits_through_a_relation(tool_version, own_area, make_person):
    auditor = make_person(Role.PRACTICE_MANAGER, own_area)
    mentioned = _audit(tool_version, own_area, auditor, "C1", strengths="Contingency plan in place")
    silent = _audit(tool_version, own_area, auditor, "C2")
    AreaGrade.objects.create(audit=mentioned, area="planning", grade="good")
    AreaGrade.objects.create(audit=silent, area="planning", grade="good")

    grades = AreaGrade.objects.filter(themes.mentions(["contingency"], prefix="audit__"))

    assert [grade.audit_id for grade in grades] == [mentioned.pk]


# ---------------------------------------------------------------------------------------
# Services


def test_creating_a_theme_cleans_it_lists_it_last_and_records_who(qa_lead, theme):
    made = themes.practice_theme_create(actor=qa_lead.user, name="  Voice  of the child ", key_phrases="Wishes\nwishes")

    assert (made.name, made.key_phrases, made.is_active, made.order) == ("Voice of the child", ["wishes"], True, 20)
    record = ChangeRecord.objects.get(action="practice_theme_create")
    assert (record.actor, record.target_id) == (qa_lead.user, made.pk)


@pytest.mark.parametrize(
    ("name", "phrases", "field", "message"),
    [
        ("", "visit", "name", themes.NAME_REQUIRED),
        ("CHRONOLOGY", "visit", "name", themes.NAME_TAKEN.format(name="CHRONOLOGY")),
        ("Visiting", " \n ", "key_phrases", themes.PHRASES_REQUIRED),
        ("Visiting", "visit\nab", "key_phrases", themes.PHRASE_TOO_SHORT.format(phrase="ab")),
        ("Visiting", "x" * 101, "key_phrases", themes.PHRASE_TOO_LONG),
    ],
)
def test_a_theme_without_a_free_name_or_usable_phrases_is_refused(qa_lead, theme, name, phrases, field, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        themes.practice_theme_create(actor=qa_lead.user, name=name, key_phrases=phrases)

    assert refused.value.message_dict[field] == [message]
    assert PracticeTheme.objects.count() == 1


def test_changing_a_theme_records_what_changed(qa_lead, theme):
    themes.practice_theme_update(
        actor=qa_lead.user, theme=theme, name="Chronologies", key_phrases=["chronolog", "timeline"], order=5
    )

    theme.refresh_from_db()
    assert (theme.name, theme.key_phrases, theme.order) == ("Chronologies", ["chronolog", "timeline"], 5)
    record = ChangeRecord.objects.get(action="practice_theme_update")
    assert "renamed from Chronology to Chronologies" in record.summary
    assert "key phrases now: chronolog, timeline" in record.summary
    # Saving it unchanged (keeping its own name) records nothing more.
    themes.practice_theme_update(
        actor=qa_lead.user, theme=theme, name="Chronologies", key_phrases="chronolog\ntimeline"
    )
    assert ChangeRecord.objects.filter(action="practice_theme_update").count() == 1


def test_deactivating_and_reactivating_are_recorded_once_each(qa_lead, theme):
    themes.practice_theme_set_active(actor=qa_lead.user, theme=theme, active=False)
    themes.practice_theme_set_active(actor=qa_lead.user, theme=theme, active=False)
    theme.refresh_from_db()
    assert theme.is_active is False
    themes.practice_theme_set_active(actor=qa_lead.user, theme=theme, active=True)

    actions = list(ChangeRecord.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["practice_theme_deactivate", "practice_theme_reactivate"]


# ---------------------------------------------------------------------------------------
# Pages


@pytest.mark.parametrize("role", [Role.QA_LEAD, Role.ADMINISTRATOR])
def test_the_qa_lead_and_administrators_see_the_themes(client, make_person, theme, role):
    client.force_login(make_person(role).user)

    response = client.get(LIST_URL)

    assert response.status_code == 200
    assert b"Chronology" in response.content
    assert b"chronolog" in response.content


@pytest.mark.parametrize("role", [Role.QA_OFFICER, Role.HEAD_OF_SERVICE, Role.READ_ONLY])
def test_other_roles_may_not_manage_themes(client, make_person, theme, role):
    client.force_login(make_person(role).user)

    assert client.get(LIST_URL).status_code == 403
    assert client.post(ADD_URL, {"name": "Visiting", "key_phrases": "visit"}).status_code == 403
    assert client.post(reverse("reports:theme_deactivate", args=[theme.pk])).status_code == 403
    assert PracticeTheme.objects.count() == 1
    theme.refresh_from_db()
    assert theme.is_active is True


def test_a_service_lead_may_not_manage_themes_of_any_area(client, make_person, own_area, theme):
    client.force_login(make_person(Role.SERVICE_LEAD, own_area).user)

    assert client.get(reverse("reports:theme_edit", args=[theme.pk])).status_code == 403


def test_adding_a_theme_from_the_form(lead_client):
    response = lead_client.post(ADD_URL, {"name": "Visiting", "key_phrases": "Visit\nHome visit"}, follow=True)

    assert response.redirect_chain == [(LIST_URL, 302)]
    assert PracticeTheme.objects.get().key_phrases == ["visit", "home visit"]
    assert "Added the practice theme Visiting" in response.content.decode()


def test_a_refused_theme_shows_why_next_to_the_field(lead_client, theme):
    response = lead_client.post(ADD_URL, {"name": "chronology", "key_phrases": "ab"})

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["name"] == [themes.NAME_TAKEN.format(name="chronology")]
    assert PracticeTheme.objects.count() == 1


def test_changing_a_theme_from_the_form_shows_its_history(lead_client, theme):
    url = reverse("reports:theme_edit", args=[theme.pk])
    page = lead_client.get(url)
    assert page.context["form"].initial == {"name": "Chronology", "key_phrases": "chronolog", "order": 10}

    response = lead_client.post(url, {"name": "Chronology", "key_phrases": "chronolog\ntimeline", "order": 3})

    assert response.status_code == 302
    theme.refresh_from_db()
    assert (theme.key_phrases, theme.order) == (["chronolog", "timeline"], 3)
    assert "key phrases now: chronolog, timeline" in lead_client.get(url).content.decode()


def test_a_missing_theme_is_not_found(lead_client):
    assert lead_client.get(reverse("reports:theme_edit", args=[999999])).status_code == 404


def test_deactivating_and_reactivating_take_a_post(lead_client, theme):
    deactivate = reverse("reports:theme_deactivate", args=[theme.pk])
    assert lead_client.get(deactivate).status_code == 405

    response = lead_client.post(deactivate, follow=True)

    theme.refresh_from_db()
    assert theme.is_active is False
    assert DEACTIVATED.format(name="Chronology") in response.content.decode()
    lead_client.post(reverse("reports:theme_activate", args=[theme.pk]))
    theme.refresh_from_db()
    assert theme.is_active is True


def test_changes_need_the_csrf_token(qa_lead, theme):
    client = Client(enforce_csrf_checks=True)
    client.force_login(qa_lead.user)

    assert client.post(reverse("reports:theme_deactivate", args=[theme.pk])).status_code == 403
    assert client.post(ADD_URL, {"name": "Visiting", "key_phrases": "visit"}).status_code == 403
    theme.refresh_from_db()
    assert theme.is_active is True


def test_the_default_themes_are_added_from_the_list_page(lead_client):
    page = lead_client.get(LIST_URL)
    assert f"Add the {len(themes.DEFAULT_THEMES)} missing default themes" in page.content.decode()

    lead_client.post(reverse("reports:theme_defaults"))
    assert PracticeTheme.objects.count() == len(themes.DEFAULT_THEMES)

    again = lead_client.post(reverse("reports:theme_defaults"), follow=True)
    assert DEFAULTS_PRESENT in again.content.decode()
    assert "missing default theme" not in again.content.decode()


def test_the_list_runs_the_same_queries_however_many_themes(lead_client, django_assert_num_queries):
    PracticeTheme.objects.create(name="One", key_phrases=["one"])
    lead_client.get(LIST_URL)  # the session and grant warm up alike in both counts below
    with CaptureQueriesContext(connection) as few:
        lead_client.get(LIST_URL)
    PracticeTheme.objects.bulk_create(PracticeTheme(name=f"Theme {n}", key_phrases=[f"phrase {n}"]) for n in range(30))
    with django_assert_num_queries(len(few)):
        response = lead_client.get(LIST_URL)
    assert response.content.decode().count("Deactivate<span") == 31
