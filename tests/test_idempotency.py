"""A form that creates something creates it once per render (quality/idempotency.py): a double click
or a resent post finds its render's token claimed and is sent where the first went."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from audits import services
from audits.messages import CONCERN_ALREADY_RAISED
from audits.models import Audit, LearningAction, ScheduleEntry
from quality.idempotency import ALREADY_SAVED, TOKEN_FIELD, TOKEN_INVALID
from quality.org.models import Membership, Notification, Person, Role, ServiceArea, SubmittedForm, Team
from quality.org.tasks import purge_old_form_tokens

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

ACTION = {"description": "Update the chronology", "due_on": "2026-12-01"}
PANEL = {"kind": "panel", "title": "Moderation panel", "starts_on": "2026-12-17", "starts_at": "15:00"}
DECEMBER = reverse("schedule:month", args=[2026, 12])


@pytest.fixture
def audit(qa_lead, practitioner, practice_manager, own_area):
    actor = qa_lead.user
    tool = services.tool_create(actor=actor, name="SWF case audit", service_area=own_area, purpose="case_audit")
    return services.audit_create(
        actor=actor,
        case_reference="C-104233",
        service_area=own_area,
        case_holder=practitioner,
        auditor=practice_manager,
        tool_version=services.version_publish(actor=actor, version=tool.versions.get()),
    )


def rendered_token(client, url, form_name) -> str:
    """The token of one render of the page's form, as a browser would post it."""
    token = client.get(url).context[form_name][TOKEN_FIELD].value()
    assert token
    return token


def said(response) -> str:
    """What the answer told the person last (the test client keeps earlier messages until a page shows them)."""
    return [str(message) for message in get_messages(response.wsgi_request)][-1]


def edit_url(audit) -> str:
    return reverse("audits:audit_edit", args=[audit.pk])


def post_action(client, audit, practitioner, **extra):
    data = ACTION | {"owner": practitioner.pk} | extra
    return client.post(reverse("audits:audit_action_add", args=[audit.pk]), data)


# --- a learning action ------------------------------------------------------------------------


def test_an_action_posted_twice_from_one_render_is_added_once(client, practice_manager, practitioner, audit):
    client.force_login(practice_manager.user)
    token = rendered_token(client, edit_url(audit), "action_form")

    first = post_action(client, audit, practitioner, **{TOKEN_FIELD: token})
    second = post_action(client, audit, practitioner, **{TOKEN_FIELD: token})

    assert LearningAction.objects.filter(audit=audit).count() == 1
    assert first.status_code == second.status_code == 302
    assert second.url == first.url == edit_url(audit)
    assert said(second) == ALREADY_SAVED


def test_two_renders_of_the_action_form_add_two_actions(client, practice_manager, practitioner, audit):
    client.force_login(practice_manager.user)
    first, second = (rendered_token(client, edit_url(audit), "action_form") for _ in range(2))
    assert first != second

    post_action(client, audit, practitioner, **{TOKEN_FIELD: first})
    post_action(client, audit, practitioner, **{TOKEN_FIELD: second})

    assert LearningAction.objects.filter(audit=audit).count() == 2


def test_a_refused_action_does_not_use_up_its_render(client, practice_manager, practitioner, audit):
    client.force_login(practice_manager.user)
    token = rendered_token(client, edit_url(audit), "action_form")

    post_action(client, audit, practitioner, description="", **{TOKEN_FIELD: token})
    corrected = post_action(client, audit, practitioner, **{TOKEN_FIELD: token})

    assert LearningAction.objects.filter(audit=audit).count() == 1
    assert said(corrected) == "Action added."


def test_a_post_without_a_token_is_taken_as_a_fresh_render(client, practice_manager, practitioner, audit):
    # Scripts and pages opened before the token existed still work; only a token repeats nothing.
    client.force_login(practice_manager.user)
    post_action(client, audit, practitioner)
    post_action(client, audit, practitioner)
    assert LearningAction.objects.filter(audit=audit).count() == 2
    assert not SubmittedForm.objects.exists()


@pytest.mark.parametrize("forged", ["short", "<script>alert(1)</script>", "x" * 65, "a b c d e f g h i j k l m"])
def test_a_token_the_portal_never_makes_is_refused_and_adds_nothing(
    forged, client, practice_manager, practitioner, audit
):
    client.force_login(practice_manager.user)
    response = post_action(client, audit, practitioner, **{TOKEN_FIELD: forged})
    assert not LearningAction.objects.exists() and not SubmittedForm.objects.exists()
    assert said(response) == f"The action was not added: {TOKEN_INVALID}"


def test_one_persons_token_does_not_stop_anothers_post(
    client, practice_manager, practitioner, audit, make_person, own_area
):
    client.force_login(practice_manager.user)
    token = rendered_token(client, edit_url(audit), "action_form")
    post_action(client, audit, practitioner, **{TOKEN_FIELD: token})
    audit.auditor = colleague = make_person(Role.PRACTICE_MANAGER, own_area)
    audit.save()

    client.force_login(colleague.user)
    post_action(client, audit, practitioner, **{TOKEN_FIELD: token})

    assert LearningAction.objects.filter(audit=audit).count() == 2


# --- a schedule entry ---------------------------------------------------------------------------


def test_a_schedule_entry_posted_twice_from_one_render_is_added_once(client, qa_lead):
    client.force_login(qa_lead.user)
    url = reverse("schedule:entry_create")
    token = rendered_token(client, url, "form")

    first = client.post(url, PANEL | {TOKEN_FIELD: token})
    second = client.post(url, PANEL | {TOKEN_FIELD: token})

    assert ScheduleEntry.objects.count() == 1
    assert first.status_code == second.status_code == 302
    assert second.url == first.url == DECEMBER
    assert said(second) == ALREADY_SAVED


def test_two_renders_of_the_schedule_form_add_two_entries(client, qa_lead):
    client.force_login(qa_lead.user)
    url = reverse("schedule:entry_create")
    for token in [rendered_token(client, url, "form"), rendered_token(client, url, "form")]:
        client.post(url, PANEL | {TOKEN_FIELD: token})
    assert ScheduleEntry.objects.count() == 2


# --- the organisation's forms: a service area, a team, a person, a role ----------------------------


def org_forms(area, person):
    """(page with the form, its context name, what to post, the rows it adds) for each create form."""
    return {
        "area": (reverse("org:service_area_create"), "form", {"code": "CRS", "name": "Resources"}, ServiceArea),
        "team": (reverse("org:team_create", args=[area.pk]), "form", {"name": "SWF West"}, Team),
        "person": (reverse("org:person_create"), "form", {"full_name": "Nia New", "email": "nia@x.example"}, Person),
        "role": (reverse("org:membership_add", args=[person.pk]), "form", {"role": Role.QA_OFFICER}, Membership),
    }


@pytest.mark.parametrize("kind", ["area", "team", "person", "role"])
def test_an_organisation_form_posted_twice_from_one_render_creates_once(
    kind, client, admin_person, own_area, practitioner
):
    page, form_name, data, model = org_forms(own_area, practitioner)[kind]
    client.force_login(admin_person.user)
    token = rendered_token(client, page, form_name)
    before = model.objects.count()

    first = client.post(page, data | {TOKEN_FIELD: token})
    second = client.post(page, data | {TOKEN_FIELD: token})

    assert model.objects.count() == before + 1
    assert first.status_code == second.status_code == 302
    assert second.url == first.url
    assert said(second) == ALREADY_SAVED


# --- a safeguarding concern ---------------------------------------------------------------------


def concern_url(audit) -> str:
    return reverse("audits:audit_concern", args=[audit.pk])


def test_a_concern_posted_twice_from_one_render_is_raised_and_told_once(client, practice_manager, audit):
    client.force_login(practice_manager.user)
    token = rendered_token(client, audit.get_absolute_url(), "concern_form")
    details = {"safeguarding_details": "Unexplained bruising", TOKEN_FIELD: token}

    client.post(concern_url(audit), details)
    notices = Notification.objects.filter(urgent=True).count()
    second = client.post(concern_url(audit), details)

    assert notices and Notification.objects.filter(urgent=True).count() == notices
    assert audit.events.filter(what="safeguarding_concern").count() == 1
    assert second.status_code == 302 and second.url == audit.get_absolute_url()
    assert said(second) == ALREADY_SAVED


def test_a_concern_raised_again_from_another_page_is_refused_and_overwrites_nothing(
    client, practice_manager, service_lead, audit
):
    client.force_login(practice_manager.user)
    client.post(concern_url(audit), {"safeguarding_details": "Unexplained bruising"})
    raised = Audit.objects.get(pk=audit.pk)
    notices = Notification.objects.count()

    client.force_login(service_lead.user)
    again = client.post(concern_url(audit), {"safeguarding_details": "Something else"})

    audit = Audit.objects.get(pk=audit.pk)
    assert (audit.safeguarding_details, audit.safeguarding_raised_at) == (
        "Unexplained bruising",
        raised.safeguarding_raised_at,
    )
    assert Notification.objects.count() == notices
    assert again.status_code == 302 and said(again) == CONCERN_ALREADY_RAISED


# --- starting an audit --------------------------------------------------------------------------


def test_an_audit_started_twice_from_one_render_is_started_once(
    client, qa_lead, practitioner, practice_manager, audit, own_area
):
    client.force_login(qa_lead.user)
    url = reverse("audits:audit_start")
    token = rendered_token(client, url, "form")
    data = {
        "case_reference": "C-200001",
        "service_area": own_area.pk,
        "case_holder": practitioner.pk,
        "kind": Audit.Kind.MONTHLY,
        "auditor": practice_manager.pk,
        "tool_version": audit.tool_version.pk,
        "period_end": "2026-10-31",
        "due_on": "2026-11-30",
        TOKEN_FIELD: token,
    }

    first = client.post(url, data)
    second = client.post(url, data)

    assert Audit.objects.filter(case_reference="C-200001").count() == 1
    assert first.status_code == second.status_code == 302 and second.url == first.url
    assert said(second) == ALREADY_SAVED


# --- old tokens ---------------------------------------------------------------------------------


def test_the_nightly_purge_forgets_tokens_over_a_day_old_only(practice_manager):
    user = practice_manager.user
    with freeze_time(timezone.now() - timedelta(days=1, minutes=1)):
        SubmittedForm.objects.create(user=user, token="old-token-aaaaaaaaaaaa")
    SubmittedForm.objects.create(user=user, token="new-token-aaaaaaaaaaaa")

    assert purge_old_form_tokens() == 1
    assert list(SubmittedForm.objects.values_list("token", flat=True)) == ["new-token-aaaaaaaaaaaa"]
