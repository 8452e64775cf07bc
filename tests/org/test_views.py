"""Organisation pages over HTTP: who may use each, what a valid change does, and how bad input is refused.

Each change page is tried by an administrator (the only role that manages the organisation) and by a
service lead (who may see their area and its people but change nothing). Refusals are asserted on the
constants of quality/org/messages.py, next to the field they belong to.
"""

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.validators import EmailValidator
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from quality.org import services
from quality.org.forms import TEAM_AREA_FIRST
from quality.org.messages import (
    AREA_ROLE_NEEDS_AREA,
    CODE_TAKEN,
    EMAIL_TAKEN,
    LAST_ADMINISTRATOR,
    MEMBERSHIP_DUPLICATE,
    REASON_REQUIRED,
    RETIRED_AREA,
    TEAM_NAME_TAKEN,
    TEAM_OUTSIDE_AREA,
)
from quality.org.models import ChangeRecord, Membership, Person, Role, ServiceArea, ServiceAreaName, Team

from ..factories import PASSWORD, MembershipFactory, PersonFactory, ServiceAreaFactory, TeamFactory

pytestmark = pytest.mark.django_db

User = get_user_model()


# --- people and clients ---------------------------------------------------------------------------


@pytest.fixture
def admin(admin_person):
    return admin_person.user


@pytest.fixture
def as_admin(client, admin):
    client.force_login(admin)
    return client


@pytest.fixture
def as_service_lead(client, service_lead):
    client.force_login(service_lead.user)
    return client


@pytest.fixture
def colleague(make_person, own_area, own_team):
    """A practitioner whose only role is in the own area, in its team; named to come before "Nell Never"
    in the list of people without a role."""
    person = make_person(Role.PRACTITIONER, own_area, full_name="Cal Colleague")
    Membership.objects.filter(person=person).update(team=own_team)
    return person


@pytest.fixture
def outsider(make_person, other_area):
    """A practitioner whose only role is in the other area, named for the search by name ("oona")."""
    return make_person(Role.PRACTITIONER, other_area, full_name="Oona Outsider")


@pytest.fixture
def retired_area(admin):
    area = ServiceAreaFactory(code="OLD", name="Old Service")
    return services.service_area_retire(actor=admin, area=area, reason="Closed")


def url(name, *args):
    return reverse(name, args=args)


def template_names(response):
    return {template.name for template in response.templates}


def form_errors(response, field):
    return response.context["form"].errors[field]


def only_change(action, target):
    """The one ChangeRecord of `action` about `target`."""
    records = [record for record in ChangeRecord.objects.filter(action=action) if record.target == target]
    assert len(records) == 1, f"{len(records)} change records {action} about {target}"
    return records[0]


def snapshot():
    """What the organisation holds, to show that a refused request changed nothing."""
    return {
        "areas": list(ServiceArea.objects.values().order_by("pk")),
        "names": ServiceAreaName.objects.count(),
        "teams": list(Team.objects.values().order_by("pk")),
        "people": list(Person.objects.values().order_by("pk")),
        "users": list(User.objects.values("pk", "email", "is_active").order_by("pk")),
        "memberships": list(Membership.objects.values().order_by("pk")),
        "changes": ChangeRecord.objects.count(),
    }


# --- service areas ---------------------------------------------------------------------------------


def test_a_read_only_reader_sees_every_service_area_in_the_list(client, make_person, own_area, other_area):
    client.force_login(make_person(Role.READ_ONLY).user)
    response = client.get(url("org:service_area_list"))
    assert response.status_code == 200
    assert {row.record for row in response.context["table"].rows} == {own_area, other_area}


def test_a_service_lead_sees_only_their_own_area_in_the_list(as_service_lead, own_area, other_area):
    response = as_service_lead.get(url("org:service_area_list"))
    assert [row.record for row in response.context["table"].rows] == [own_area]


def test_a_partner_auditor_cannot_list_service_areas(client, make_person, own_area):
    client.force_login(make_person(Role.PARTNER_AUDITOR).user)
    assert client.get(url("org:service_area_list")).status_code == 403


def test_a_practitioner_sees_their_area_with_its_teams_but_not_its_staff(client, colleague, own_area, own_team):
    neighbour = MembershipFactory(role=Role.PRACTICE_MANAGER, service_area=own_area, person__full_name="Nel Near")
    client.force_login(colleague.user)
    response = client.get(url("org:service_area_detail", own_area.pk))
    assert response.status_code == 200
    assert "org/service_area_detail.html" in template_names(response)
    assert list(response.context["teams"]) == [own_team]
    assert response.context["people"] is None
    page = response.content.decode()
    assert "People with a role here" not in page
    assert neighbour.person.full_name not in page
    assert "Practice manager" not in page
    assert "Change history" not in page


@pytest.mark.parametrize(
    ("role", "in_own_area"),
    [
        (Role.PRACTICE_MANAGER, True),
        (Role.MODERATOR, True),
        (Role.PERFORMANCE_OFFICER, True),
        (Role.READ_ONLY, False),
    ],
)
def test_who_may_not_view_people_is_shown_no_staff_names_or_roles_on_an_area(
    client, make_person, own_area, colleague, role, in_own_area
):
    client.force_login(make_person(role, own_area if in_own_area else None, full_name="Vic Viewer").user)
    response = client.get(url("org:service_area_detail", own_area.pk))
    assert response.status_code == 200
    assert response.context["people"] is None
    page = response.content.decode()
    assert colleague.full_name not in page
    assert "People with a role here" not in page


@pytest.mark.parametrize("viewer", ["service_lead", "admin_person"])
def test_who_may_view_people_sees_an_areas_staff_with_their_roles_and_links(
    client, request, viewer, colleague, own_area, outsider
):
    client.force_login(request.getfixturevalue(viewer).user)
    response = client.get(url("org:service_area_detail", own_area.pk))
    people = list(response.context["people"])
    assert colleague in people and outsider not in people
    page = response.content.decode()
    assert f'href="{colleague.get_absolute_url()}"' in page
    assert "Practitioner (SWF East)" in page


def test_a_practitioner_gets_not_found_for_another_service_area(client, colleague, other_area):
    client.force_login(colleague.user)
    assert client.get(url("org:service_area_detail", other_area.pk)).status_code == 404


def test_an_administrator_sees_an_areas_change_history(as_admin, admin, own_area):
    services.service_area_update(actor=admin, area=own_area, code="SWF", name="Family Help", reason="Restructure")
    response = as_admin.get(url("org:service_area_detail", own_area.pk))
    assert [change.reason for change in response.context["changes"]] == ["Restructure"]
    assert "Ada Admin" in response.content.decode()


def test_administrator_creates_a_service_area_with_a_change_record(as_admin, admin):
    form_page = as_admin.get(url("org:service_area_create"))
    assert form_page.status_code == 200 and "org/service_area_form.html" in template_names(form_page)

    response = as_admin.post(url("org:service_area_create"), {"code": "crs", "name": " Children's Resources "})

    area = ServiceArea.objects.get(code="CRS")
    assert response.status_code == 302 and response.url == area.get_absolute_url()
    assert area.name == "Children's Resources" and area.is_active
    assert list(area.names.values_list("name", flat=True)) == ["Children's Resources"]
    assert only_change("service_area.create", area).actor == admin


def test_service_lead_cannot_create_a_service_area(as_service_lead, own_area):
    before = snapshot()
    response = as_service_lead.post(url("org:service_area_create"), {"code": "CRS", "name": "Children's Resources"})
    assert response.status_code == 403
    assert snapshot() == before


def test_a_short_code_already_used_in_another_case_is_refused_next_to_the_code(as_admin, own_area):
    before = snapshot()
    response = as_admin.post(url("org:service_area_create"), {"code": "swf", "name": "Second families service"})
    assert response.status_code == 200
    assert form_errors(response, "code") == [CODE_TAKEN]
    assert snapshot() == before


def test_changing_a_code_to_one_another_area_uses_in_another_case_is_refused(as_admin, own_area, other_area):
    before = snapshot()
    response = as_admin.post(url("org:service_area_edit", other_area.pk), {"code": "Swf", "name": other_area.name})
    assert response.status_code == 200
    assert form_errors(response, "code") == [CODE_TAKEN]
    assert snapshot() == before


def test_renaming_a_service_area_keeps_the_old_name_for_earlier_moments(as_admin, admin, own_area):
    form_page = as_admin.get(url("org:service_area_edit", own_area.pk))
    assert form_page.status_code == 200
    assert form_page.context["form"].initial == {"code": "SWF", "name": "Social Work with Families"}
    moment_before_rename = timezone.now()

    response = as_admin.post(
        url("org:service_area_edit", own_area.pk), {"code": "SWF", "name": "Family Help", "reason": "Restructure"}
    )

    assert response.status_code == 302 and response.url == own_area.get_absolute_url()
    area = ServiceArea.objects.get(pk=own_area.pk)
    assert area.name == "Family Help"
    assert area.name_on(moment_before_rename) == "Social Work with Families"
    assert area.name_on(timezone.now()) == "Family Help"
    change = only_change("service_area.update", area)
    assert (change.actor, change.reason) == (admin, "Restructure")
    assert "Social Work with Families" in change.summary


def test_service_lead_cannot_rename_their_own_area(as_service_lead, own_area):
    before = snapshot()
    response = as_service_lead.post(url("org:service_area_edit", own_area.pk), {"code": "SWF", "name": "Mine now"})
    assert response.status_code == 403
    assert snapshot() == before


def test_retiring_an_area_into_a_successor_records_the_merge_and_keeps_its_memberships(
    as_admin, admin, own_area, other_area, colleague, own_team
):
    form_page = as_admin.get(url("org:service_area_retire", own_area.pk))
    assert form_page.status_code == 200
    assert list(form_page.context["form"].fields["successor"].queryset) == [other_area]

    response = as_admin.post(
        url("org:service_area_retire", own_area.pk), {"reason": "Merged into PTC", "successor": other_area.pk}
    )

    assert response.status_code == 302
    area = ServiceArea.objects.get(pk=own_area.pk)
    assert not area.is_active and area.retired_at is not None
    assert area.successor == other_area
    assert list(colleague.memberships.current().values_list("service_area", "team")) == [(own_area.pk, own_team.pk)]
    assert Team.objects.filter(pk=own_team.pk, service_area=own_area).exists()
    change = only_change("service_area.retire", area)
    assert (change.actor, change.reason) == (admin, "Merged into PTC")


def test_retiring_without_a_successor_leaves_none(as_admin, own_area):
    as_admin.post(url("org:service_area_retire", own_area.pk), {"reason": "Service closed"})
    area = ServiceArea.objects.get(pk=own_area.pk)
    assert not area.is_active and area.successor is None


def test_retiring_without_a_reason_is_refused_next_to_the_reason(as_admin, own_area, other_area):
    before = snapshot()
    response = as_admin.post(url("org:service_area_retire", own_area.pk), {"reason": "", "successor": other_area.pk})
    assert response.status_code == 200
    assert form_errors(response, "reason") == [REASON_REQUIRED]
    assert snapshot() == before


def test_merging_into_a_retired_area_is_refused_next_to_the_successor(as_admin, own_area, retired_area):
    before = snapshot()
    response = as_admin.post(
        url("org:service_area_retire", own_area.pk), {"reason": "Merge", "successor": retired_area.pk}
    )
    assert response.status_code == 200
    assert form_errors(response, "successor") == [forms.ModelChoiceField.default_error_messages["invalid_choice"]]
    assert snapshot() == before


def test_retiring_an_area_that_is_already_retired_is_not_found(as_admin, retired_area):
    response = as_admin.post(url("org:service_area_retire", retired_area.pk), {"reason": "Again"})
    assert response.status_code == 404


def test_service_lead_cannot_retire_their_area(as_service_lead, own_area):
    before = snapshot()
    response = as_service_lead.post(url("org:service_area_retire", own_area.pk), {"reason": "Closing"})
    assert response.status_code == 403
    assert snapshot() == before


def test_administrator_reactivates_a_retired_area_with_a_reason(as_admin, admin, retired_area):
    response = as_admin.post(url("org:service_area_reactivate", retired_area.pk), {"reason": "Reopened"})
    assert response.status_code == 302 and response.url == retired_area.get_absolute_url()
    area = ServiceArea.objects.get(pk=retired_area.pk)
    assert area.is_active and area.retired_at is None and area.successor is None
    change = only_change("service_area.reactivate", area)
    assert (change.actor, change.reason) == (admin, "Reopened")


def test_reactivating_without_a_reason_says_why_and_changes_nothing(as_admin, retired_area):
    before = snapshot()
    response = as_admin.post(url("org:service_area_reactivate", retired_area.pk), {"reason": ""})
    assert response.status_code == 302
    assert [str(message) for message in get_messages(response.wsgi_request)] == [REASON_REQUIRED]
    assert snapshot() == before


def test_a_get_cannot_reactivate_an_area(as_admin, retired_area):
    before = snapshot()
    response = as_admin.get(url("org:service_area_reactivate", retired_area.pk), {"reason": "Reopened"})
    assert response.status_code == 405
    assert snapshot() == before


def test_reactivating_an_active_area_is_not_found(as_admin, own_area):
    assert as_admin.post(url("org:service_area_reactivate", own_area.pk), {"reason": "x"}).status_code == 404


def test_service_lead_cannot_reactivate_an_area(as_service_lead, retired_area):
    before = snapshot()
    response = as_service_lead.post(url("org:service_area_reactivate", retired_area.pk), {"reason": "Reopened"})
    assert response.status_code == 403
    assert snapshot() == before


# --- teams -------------------------------------------------------------------------------------------


def test_administrator_creates_a_team_in_an_area(as_admin, admin, own_area):
    form_page = as_admin.get(url("org:team_create", own_area.pk))
    assert form_page.status_code == 200 and "org/team_form.html" in template_names(form_page)

    response = as_admin.post(url("org:team_create", own_area.pk), {"name": " SWF West "})

    team = Team.objects.get(name="SWF West")
    assert response.status_code == 302 and response.url == own_area.get_absolute_url()
    assert team.service_area == own_area and team.is_active
    assert only_change("team.create", team).actor == admin


def test_a_team_name_already_in_the_area_in_another_case_is_refused_next_to_the_name(as_admin, own_team):
    before = snapshot()
    response = as_admin.post(url("org:team_create", own_team.service_area_id), {"name": "swf EAST"})
    assert response.status_code == 200
    assert form_errors(response, "name") == [TEAM_NAME_TAKEN]
    assert snapshot() == before


def test_the_same_team_name_is_allowed_in_another_area(as_admin, own_team, other_area):
    response = as_admin.post(url("org:team_create", other_area.pk), {"name": own_team.name})
    assert response.status_code == 302
    assert Team.objects.filter(name=own_team.name).count() == 2


def test_a_team_cannot_be_created_in_a_retired_area(as_admin, retired_area):
    before = snapshot()
    response = as_admin.post(url("org:team_create", retired_area.pk), {"name": "Late team"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [RETIRED_AREA]
    assert snapshot() == before


def test_service_lead_cannot_create_a_team(as_service_lead, own_area):
    before = snapshot()
    response = as_service_lead.post(url("org:team_create", own_area.pk), {"name": "SWF West"})
    assert response.status_code == 403
    assert snapshot() == before


def test_administrator_renames_and_closes_a_team(as_admin, admin, own_team):
    form_page = as_admin.get(url("org:team_edit", own_team.pk))
    assert form_page.status_code == 200
    assert form_page.context["form"].initial == {"name": "SWF East", "is_active": True}

    response = as_admin.post(url("org:team_edit", own_team.pk), {"name": "SWF North"})

    assert response.status_code == 302 and response.url == own_team.service_area.get_absolute_url()
    team = Team.objects.get(pk=own_team.pk)
    assert (team.name, team.is_active) == ("SWF North", False)
    change = only_change("team.update", team)
    assert change.actor == admin and "closed" in change.summary


def test_renaming_a_team_to_another_teams_name_in_the_area_is_refused(as_admin, own_area, own_team):
    second = TeamFactory(service_area=own_area, name="SWF West")
    before = snapshot()
    response = as_admin.post(url("org:team_edit", second.pk), {"name": "SWF East", "is_active": "on"})
    assert form_errors(response, "name") == [TEAM_NAME_TAKEN]
    assert snapshot() == before


def test_service_lead_cannot_change_a_team_in_their_area(as_service_lead, own_team):
    before = snapshot()
    response = as_service_lead.post(url("org:team_edit", own_team.pk), {"name": "Renamed", "is_active": "on"})
    assert response.status_code == 403
    assert snapshot() == before


# --- people --------------------------------------------------------------------------------------------


def test_a_service_lead_lists_the_people_of_their_area_only(as_service_lead, service_lead, colleague, outsider):
    response = as_service_lead.get(url("org:person_list"))
    assert response.status_code == 200
    assert {row.record for row in response.context["table"].rows} == {service_lead, colleague}


def test_the_people_list_searches_by_name_or_email(as_admin, colleague, outsider):
    by_name = as_admin.get(url("org:person_list"), {"q": "oona"})
    by_email = as_admin.get(url("org:person_list"), {"q": colleague.user.email.upper()})
    assert [row.record for row in by_name.context["table"].rows] == [outsider]
    assert [row.record for row in by_email.context["table"].rows] == [colleague]


def test_a_practitioner_cannot_list_people(client, colleague):
    client.force_login(colleague.user)
    assert client.get(url("org:person_list")).status_code == 403


def test_a_service_lead_sees_a_colleague_in_their_area(as_service_lead, colleague, own_area):
    response = as_service_lead.get(url("org:person_detail", colleague.pk))
    assert response.status_code == 200
    assert [m.service_area for m in response.context["person"].current_memberships] == [own_area]
    assert "Change details" not in response.content.decode()


def test_a_service_lead_gets_not_found_for_a_person_in_another_area(as_service_lead, outsider):
    assert as_service_lead.get(url("org:person_detail", outsider.pk)).status_code == 404


def test_a_practitioner_cannot_see_a_colleagues_page(client, colleague, make_person, own_area):
    client.force_login(make_person(Role.PRACTITIONER, own_area).user)
    assert client.get(url("org:person_detail", colleague.pk)).status_code == 403


def test_administrator_adds_a_person_whose_email_is_their_log_in(as_admin, admin):
    form_page = as_admin.get(url("org:person_create"))
    assert form_page.status_code == 200 and "org/person_form.html" in template_names(form_page)

    response = as_admin.post(
        url("org:person_create"),
        {"full_name": "Nia New", "email": "Nia.New@Council.Example", "job_title": "Social worker"},
    )

    person = Person.objects.get(full_name="Nia New")
    assert response.status_code == 302 and response.url == person.get_absolute_url()
    assert person.user.email == person.user.username == "nia.new@council.example"
    assert not person.user.has_usable_password()
    assert only_change("person.create", person).actor == admin


def test_a_malformed_email_is_refused_next_to_the_email(as_admin):
    # The portal has no message of its own for this: Django's e-mail validator answers.
    before = snapshot()
    response = as_admin.post(url("org:person_create"), {"full_name": "Nia New", "email": "nia.new@"})
    assert response.status_code == 200
    assert form_errors(response, "email") == [EmailValidator.message]
    assert snapshot() == before


def test_an_email_someone_has_in_another_case_is_refused_next_to_the_email(as_admin, colleague):
    before = snapshot()
    response = as_admin.post(url("org:person_create"), {"full_name": "Copy Cat", "email": colleague.user.email.upper()})
    assert response.status_code == 200
    assert form_errors(response, "email") == [EMAIL_TAKEN]
    assert snapshot() == before


def test_service_lead_cannot_add_a_person(as_service_lead):
    before = snapshot()
    response = as_service_lead.post(url("org:person_create"), {"full_name": "Nia New", "email": "nia@council.example"})
    assert response.status_code == 403
    assert snapshot() == before


def test_administrator_changes_a_persons_details_and_log_in(as_admin, admin, colleague):
    form_page = as_admin.get(url("org:person_edit", colleague.pk))
    assert form_page.status_code == 200
    assert form_page.context["form"].initial["email"] == colleague.user.email

    response = as_admin.post(
        url("org:person_edit", colleague.pk),
        {"full_name": "Cal Colleague", "email": "cal@council.example", "job_title": "Senior practitioner"},
    )

    assert response.status_code == 302
    person = Person.objects.select_related("user").get(pk=colleague.pk)
    assert (person.job_title, person.user.email, person.user.username) == (
        "Senior practitioner",
        "cal@council.example",
        "cal@council.example",
    )
    assert only_change("person.update", person).actor == admin


def test_changing_a_persons_email_to_someone_elses_is_refused(as_admin, colleague, outsider):
    before = snapshot()
    response = as_admin.post(
        url("org:person_edit", colleague.pk), {"full_name": "Cal Colleague", "email": outsider.user.email}
    )
    assert form_errors(response, "email") == [EMAIL_TAKEN]
    assert snapshot() == before


def test_service_lead_cannot_change_a_colleagues_details(as_service_lead, colleague):
    before = snapshot()
    response = as_service_lead.post(
        url("org:person_edit", colleague.pk), {"full_name": "Renamed", "email": "renamed@council.example"}
    )
    assert response.status_code == 403
    assert snapshot() == before


def test_deactivating_a_person_stops_their_log_in_but_keeps_their_records_and_roles(
    as_admin, admin, make_person, own_area
):
    bea = make_person(Role.ADMINISTRATOR, None, full_name="Bea Second")
    services.service_area_update(actor=bea.user, area=own_area, code="SWF", name="Family Help", reason="Restructure")
    bea_browser = Client()
    bea_browser.force_login(bea.user)
    form_page = as_admin.get(url("org:person_deactivate", bea.pk))
    assert form_page.status_code == 200 and "org/person_set_active.html" in template_names(form_page)

    response = as_admin.post(url("org:person_deactivate", bea.pk), {"reason": "Left the council"})

    assert response.status_code == 302 and response.url == bea.get_absolute_url()
    assert not User.objects.get(pk=bea.user_id).is_active
    assert not Client().login(username=bea.user.email, password=PASSWORD)
    assert bea_browser.get(url("home")).status_code == 302
    assert only_change("service_area.update", own_area).actor == bea.user
    assert list(bea.memberships.current().values_list("role", flat=True)) == [Role.ADMINISTRATOR]
    history = as_admin.get(url("org:service_area_detail", own_area.pk)).content.decode()
    assert "Bea Second" in history
    change = only_change("person.deactivate", bea)
    assert (change.actor, change.reason) == (admin, "Left the council")


def test_deactivating_without_a_reason_is_refused_next_to_the_reason(as_admin, colleague):
    before = snapshot()
    response = as_admin.post(url("org:person_deactivate", colleague.pk), {"reason": ""})
    assert response.status_code == 200
    assert form_errors(response, "reason") == [REASON_REQUIRED]
    assert snapshot() == before


def test_service_lead_cannot_deactivate_a_colleague(as_service_lead, colleague):
    before = snapshot()
    response = as_service_lead.post(url("org:person_deactivate", colleague.pk), {"reason": "Gone"})
    assert response.status_code == 403
    assert snapshot() == before


def test_reactivating_a_person_lets_them_sign_in_again(as_admin, admin, colleague):
    services.person_set_active(actor=admin, person=colleague, active=False, reason="Career break")
    response = as_admin.post(url("org:person_reactivate", colleague.pk), {"reason": "Back from career break"})
    assert response.status_code == 302
    assert Client().login(username=colleague.user.email, password=PASSWORD)
    change = only_change("person.reactivate", colleague)
    assert (change.actor, change.reason) == (admin, "Back from career break")


def test_service_lead_cannot_reactivate_a_colleague(as_service_lead, admin, colleague):
    services.person_set_active(actor=admin, person=colleague, active=False, reason="Career break")
    before = snapshot()
    response = as_service_lead.post(url("org:person_reactivate", colleague.pk), {"reason": "Back"})
    assert response.status_code == 403
    assert snapshot() == before


# --- roles (memberships) ---------------------------------------------------------------------------------


def test_administrator_gives_a_role_in_an_area_and_team(as_admin, admin, colleague, own_area, own_team):
    form_page = as_admin.get(url("org:membership_add", colleague.pk))
    assert form_page.status_code == 200 and "org/membership_form.html" in template_names(form_page)

    response = as_admin.post(
        url("org:membership_add", colleague.pk),
        {"role": Role.PRACTICE_MANAGER, "service_area": own_area.pk, "team": own_team.pk},
    )

    assert response.status_code == 302 and response.url == colleague.get_absolute_url()
    added = colleague.memberships.get(role=Role.PRACTICE_MANAGER)
    assert (added.service_area, added.team, added.ended_at) == (own_area, own_team, None)
    change = only_change("membership.add", colleague)
    assert change.actor == admin and "Practice manager" in change.summary


def test_administrator_gives_a_cross_area_role_with_no_area(as_admin, colleague):
    response = as_admin.post(url("org:membership_add", colleague.pk), {"role": Role.QA_OFFICER})
    assert response.status_code == 302
    assert colleague.memberships.get(role=Role.QA_OFFICER).service_area is None


def test_a_practitioner_role_with_no_service_area_is_refused_next_to_the_area(as_admin, outsider):
    before = snapshot()
    response = as_admin.post(url("org:membership_add", outsider.pk), {"role": Role.PRACTICE_MANAGER})
    assert response.status_code == 200
    assert form_errors(response, "service_area") == [AREA_ROLE_NEEDS_AREA]
    assert snapshot() == before


def test_a_role_in_a_retired_area_is_refused_next_to_the_area(as_admin, colleague, retired_area):
    before = snapshot()
    response = as_admin.post(
        url("org:membership_add", colleague.pk), {"role": Role.SERVICE_LEAD, "service_area": retired_area.pk}
    )
    assert response.status_code == 200
    assert form_errors(response, "service_area") == [RETIRED_AREA]
    assert snapshot() == before


def _team_choices(response) -> list[str]:
    return [str(label) for _, label in response.context["form"].fields["team"].choices]


def test_the_team_list_offers_only_the_chosen_areas_teams(as_admin, colleague, own_area, own_team, other_team):
    page = as_admin.get(url("org:membership_add", colleague.pk))
    assert _team_choices(page) == [TEAM_AREA_FIRST]
    # What htmx asks for when an area is chosen: the form again, for that area.
    chosen = as_admin.get(url("org:membership_add", colleague.pk), {"service_area": own_area.pk})
    assert _team_choices(chosen) == ["No team", own_team.name]
    assert other_team.name not in chosen.content.decode()
    area_list = chosen.context["form"].fields["service_area"].widget.attrs
    assert area_list["hx-get"] == url("org:membership_add", colleague.pk)
    assert area_list["hx-select"] == area_list["hx-target"] == "#div_id_team"
    assert 'id="div_id_team"' in chosen.content.decode()


def test_a_refused_role_keeps_the_team_list_of_the_area_chosen(as_admin, outsider, own_area, own_team):
    response = as_admin.post(url("org:membership_add", outsider.pk), {"role": "", "service_area": own_area.pk})
    assert response.status_code == 200
    assert _team_choices(response) == ["No team", own_team.name]


def test_a_team_outside_the_chosen_area_is_refused_next_to_the_team(as_admin, colleague, own_area, other_team):
    before = snapshot()
    response = as_admin.post(
        url("org:membership_add", colleague.pk),
        {"role": Role.PRACTICE_MANAGER, "service_area": own_area.pk, "team": other_team.pk},
    )
    assert response.status_code == 200
    assert form_errors(response, "team") == [TEAM_OUTSIDE_AREA]
    assert snapshot() == before


def test_a_role_the_person_already_holds_in_the_area_is_refused_next_to_the_role(as_admin, colleague, own_area):
    before = snapshot()
    response = as_admin.post(
        url("org:membership_add", colleague.pk), {"role": Role.PRACTITIONER, "service_area": own_area.pk}
    )
    assert form_errors(response, "role") == [MEMBERSHIP_DUPLICATE]
    assert snapshot() == before


def test_service_lead_cannot_give_a_role(as_service_lead, colleague, own_area):
    before = snapshot()
    response = as_service_lead.post(
        url("org:membership_add", colleague.pk), {"role": Role.PRACTICE_MANAGER, "service_area": own_area.pk}
    )
    assert response.status_code == 403
    assert snapshot() == before


def test_administrator_ends_a_role_which_then_shows_as_past(as_admin, admin, colleague):
    membership = colleague.memberships.get()
    response = as_admin.post(url("org:membership_end", membership.pk), {"reason": "Moved team"})
    assert response.status_code == 302 and response.url == colleague.get_absolute_url()
    membership.refresh_from_db()
    assert membership.ended_at is not None
    change = only_change("membership.end", colleague)
    assert (change.actor, change.reason) == (admin, "Moved team")
    page = as_admin.get(url("org:person_detail", colleague.pk))
    assert list(page.context["past_memberships"]) == [membership]
    assert page.context["person"].current_memberships == []


def test_a_get_only_asks_why_the_role_ends(as_admin, colleague):
    membership = colleague.memberships.get()
    before = snapshot()
    response = as_admin.get(url("org:membership_end", membership.pk))
    assert response.status_code == 200
    assert "org/membership_end.html" in template_names(response)
    assert "Practitioner, Social Work with Families (SWF East)" in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("name", ["org:membership_end", "org:person_deactivate"])
def test_ending_a_role_or_deactivating_takes_no_other_method_than_get_and_post(as_admin, colleague, name):
    pk = colleague.memberships.get().pk if name == "org:membership_end" else colleague.pk
    before = snapshot()
    for method in (as_admin.put, as_admin.delete, as_admin.patch):
        assert method(url(name, pk), {"reason": "Moved team"}).status_code == 405
    assert snapshot() == before


def test_the_person_page_offers_each_current_role_an_end_role_link(as_admin, colleague):
    membership = colleague.memberships.get()
    page = as_admin.get(url("org:person_detail", colleague.pk)).content.decode()
    assert f'href="{url("org:membership_end", membership.pk)}"' in page


def test_ending_a_role_without_a_reason_is_refused_next_to_the_reason(as_admin, colleague):
    membership = colleague.memberships.get()
    before = snapshot()
    response = as_admin.post(url("org:membership_end", membership.pk), {"reason": "  "})
    assert response.status_code == 200
    assert form_errors(response, "reason") == [REASON_REQUIRED]
    assert snapshot() == before


def test_the_last_administrator_cannot_end_their_administrator_role(as_admin, admin):
    membership = admin.person.memberships.get(role=Role.ADMINISTRATOR)
    before = snapshot()
    response = as_admin.post(url("org:membership_end", membership.pk), {"reason": "Stepping down"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [LAST_ADMINISTRATOR]
    assert LAST_ADMINISTRATOR in response.content.decode()
    assert snapshot() == before


def test_the_last_administrator_cannot_deactivate_themselves(as_admin, admin):
    before = snapshot()
    response = as_admin.post(url("org:person_deactivate", admin.person.pk), {"reason": "Leaving"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [LAST_ADMINISTRATOR]
    assert LAST_ADMINISTRATOR in response.content.decode()
    assert snapshot() == before


def test_an_administrator_may_end_their_role_once_another_administrator_is_active(as_admin, admin, make_person):
    make_person(Role.ADMINISTRATOR, None, full_name="Bea Second")
    membership = admin.person.memberships.get(role=Role.ADMINISTRATOR)
    response = as_admin.post(url("org:membership_end", membership.pk), {"reason": "Moved to the QA unit"})
    assert response.status_code == 302
    assert only_change("membership.end", admin.person).reason == "Moved to the QA unit"
    assert not admin.person.memberships.current().exists()


def test_ending_a_role_that_has_already_ended_is_not_found(as_admin, admin, colleague):
    membership = services.membership_end(actor=admin, membership=colleague.memberships.get(), reason="Left")
    assert as_admin.post(url("org:membership_end", membership.pk)).status_code == 404


def test_service_lead_cannot_end_a_colleagues_role(as_service_lead, colleague):
    membership = colleague.memberships.get()
    before = snapshot()
    assert as_service_lead.post(url("org:membership_end", membership.pk), {"reason": "x"}).status_code == 403
    assert snapshot() == before


# --- the administrator's home page ---------------------------------------------------------------------


def test_the_administrators_home_lists_active_people_without_a_current_role(as_admin, admin, colleague, outsider):
    services.membership_end(actor=admin, membership=colleague.memberships.get(), reason="Left")
    never_given_one = PersonFactory(full_name="Nell Never")
    gone = PersonFactory(full_name="Gus Gone", user__is_active=False)
    gaps = as_admin.get(url("home")).context["organisation_gaps"]
    assert list(gaps["people_without_role"]) == [colleague, never_given_one]
    assert gone not in gaps["people_without_role"]


def test_the_administrators_home_lists_an_area_whose_service_lead_role_has_ended(as_admin, admin, own_area):
    lead = MembershipFactory(role=Role.SERVICE_LEAD, service_area=own_area)
    MembershipFactory(role=Role.PRACTICE_MANAGER, service_area=own_area)
    services.membership_end(actor=admin, membership=lead, reason="Moved on")
    gaps = as_admin.get(url("home")).context["organisation_gaps"]
    assert list(gaps["areas_without_service_lead"]) == [own_area]
    assert list(gaps["areas_without_practice_manager"]) == []


def test_the_administrators_home_lists_an_area_whose_practice_manager_role_has_ended(as_admin, admin, own_area):
    manager = MembershipFactory(role=Role.PRACTICE_MANAGER, service_area=own_area)
    MembershipFactory(role=Role.SERVICE_LEAD, service_area=own_area)
    services.membership_end(actor=admin, membership=manager, reason="Moved on")
    gaps = as_admin.get(url("home")).context["organisation_gaps"]
    assert list(gaps["areas_without_practice_manager"]) == [own_area]
    assert list(gaps["areas_without_service_lead"]) == []


def test_a_service_leads_home_shows_no_organisation_gaps(as_service_lead):
    response = as_service_lead.get(url("home"))
    assert response.status_code == 200
    assert "organisation_gaps" not in response.context
