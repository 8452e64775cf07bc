"""Organisation services, database constraints, access rules and the demo loader, on PostgreSQL."""

import io
import threading
import time
from datetime import UTC, datetime
from unittest.mock import patch

import pytest
from django import forms
from django.contrib.auth import authenticate, get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from freezegun import freeze_time

from quality.access import CROSS_AREA_ROLES, Action, can, visible
from quality.forms import call_service
from quality.org import services
from quality.org.demo import DEMO_PASSWORD, logins
from quality.org.messages import (
    AREA_ROLE_NEEDS_AREA,
    CODE_TAKEN,
    EMAIL_TAKEN,
    LAST_ADMINISTRATOR,
    MEMBERSHIP_DUPLICATE,
    REASON_REQUIRED,
    RETIRED_AREA,
    SUCCESSOR_INVALID,
    TEAM_NAME_TAKEN,
    TEAM_OUTSIDE_AREA,
)
from quality.org.models import (
    AREA_ROLES,
    ChangeRecord,
    Membership,
    Person,
    Role,
    ServiceArea,
    ServiceAreaName,
    Team,
)

from ..factories import MembershipFactory, PersonFactory, person_with_role

User = get_user_model()

COUNTED = (ServiceArea, ServiceAreaName, Team, User, Person, Membership, ChangeRecord)


def counts():
    return {
        **{model.__name__: model.objects.count() for model in COUNTED},
        "current roles": Membership.objects.current().count(),
        "active log-ins": User.objects.filter(is_active=True).count(),
    }


class Org:
    """The fixtures a scenario needs, in one place."""

    def __init__(self, actor, own_area, other_area, own_team, other_team, person):
        self.actor, self.own_area, self.other_area = actor, own_area, other_area
        self.own_team, self.other_team, self.person = own_team, other_team, person


@pytest.fixture
def org(admin_person, own_area, other_area, own_team, other_team):
    person = PersonFactory(full_name="Priya Shah", user__email="priya@council.example")
    return Org(admin_person.user, own_area, other_area, own_team, other_team, person)


# Change records: each service says who did what, and why


def create_area(o):
    return services.service_area_create(actor=o.actor, code="new", name="New area"), "service_area.create", ""


def rename_area(o):
    services.service_area_update(actor=o.actor, area=o.own_area, code="SWF", name="Families", reason="Restructure")
    return o.own_area, "service_area.update", "Restructure"


def retire_area(o):
    services.service_area_retire(actor=o.actor, area=o.other_area, reason="Merged", successor=o.own_area)
    return o.other_area, "service_area.retire", "Merged"


def reactivate_area(o):
    services.service_area_retire(actor=o.actor, area=o.other_area, reason="Merged")
    services.service_area_reactivate(actor=o.actor, area=o.other_area, reason="Split again")
    return o.other_area, "service_area.reactivate", "Split again"


def create_team(o):
    return services.team_create(actor=o.actor, service_area=o.own_area, name="SWF North"), "team.create", ""


def close_team(o):
    services.team_update(actor=o.actor, team=o.own_team, name="SWF East", is_active=False)
    return o.own_team, "team.update", ""


def create_person(o):
    person = services.person_create(actor=o.actor, full_name="Nia Newton", email="nia@council.example")
    return person, "person.create", ""


def update_person(o):
    services.person_update(
        actor=o.actor,
        person=o.person,
        full_name="Priya Shah-Khan",
        email="priya@council.example",
        job_title="Senior social worker",
        organisation="",
    )
    return o.person, "person.update", ""


def deactivate_person(o):
    services.person_set_active(actor=o.actor, person=o.person, active=False, reason="Left the council")
    return o.person, "person.deactivate", "Left the council"


def add_membership(o):
    services.membership_add(
        actor=o.actor, person=o.person, role=Role.PRACTITIONER, service_area=o.own_area, team=o.own_team
    )
    return o.person, "membership.add", ""


def end_membership(o):
    membership = MembershipFactory(person=o.person, role=Role.PRACTITIONER, service_area=o.own_area)
    services.membership_end(actor=o.actor, membership=membership, reason="Moved team")
    return o.person, "membership.end", "Moved team"


@pytest.mark.parametrize(
    "change",
    [
        create_area,
        rename_area,
        retire_area,
        reactivate_area,
        create_team,
        close_team,
        create_person,
        update_person,
        deactivate_person,
        add_membership,
        end_membership,
    ],
)
def test_each_service_leaves_a_change_record_with_actor_action_and_reason(org, change):
    before = ChangeRecord.objects.count()

    target, action, reason = change(org)

    record = ChangeRecord.objects.order_by("-pk").first()
    assert ChangeRecord.objects.count() > before
    assert record.actor == org.actor
    assert record.action == action
    assert record.reason == reason
    assert record.target == target
    assert record.summary


def test_saving_an_area_unchanged_leaves_no_change_record(org):
    before = counts()

    services.service_area_update(actor=org.actor, area=org.own_area, code="swf ", name=org.own_area.name)

    assert counts() == before


# Refusals: keyed by the right field, nothing saved


def duplicate_code_on_create(o):
    return lambda: services.service_area_create(actor=o.actor, code=" swf", name="Another")


def duplicate_code_on_update(o):
    return lambda: services.service_area_update(actor=o.actor, area=o.other_area, code="Swf", name="Pathways")


def duplicate_team_name(o):
    return lambda: services.team_create(actor=o.actor, service_area=o.own_area, name="swf east ")


def team_in_retired_area(o):
    services.service_area_retire(actor=o.actor, area=o.other_area, reason="Closed")
    return lambda: services.team_create(actor=o.actor, service_area=o.other_area, name="New team")


def area_role_in_retired_area(o):
    services.service_area_retire(actor=o.actor, area=o.other_area, reason="Closed")
    return lambda: services.membership_add(
        actor=o.actor, person=o.person, role=Role.PRACTITIONER, service_area=o.other_area
    )


def area_role_without_area(o):
    return lambda: services.membership_add(actor=o.actor, person=o.person, role=Role.SERVICE_LEAD)


def team_outside_area(o):
    return lambda: services.membership_add(
        actor=o.actor, person=o.person, role=Role.PRACTITIONER, service_area=o.own_area, team=o.other_team
    )


def duplicate_area_membership(o):
    MembershipFactory(person=o.person, role=Role.PRACTITIONER, service_area=o.own_area)
    return lambda: services.membership_add(
        actor=o.actor, person=o.person, role=Role.PRACTITIONER, service_area=o.own_area
    )


def duplicate_cross_area_membership(o):
    MembershipFactory(person=o.person, role=Role.QA_OFFICER, service_area=None)
    return lambda: services.membership_add(actor=o.actor, person=o.person, role=Role.QA_OFFICER)


def successor_is_itself(o):
    return lambda: services.service_area_retire(actor=o.actor, area=o.own_area, reason="x", successor=o.own_area)


def successor_is_retired(o):
    services.service_area_retire(actor=o.actor, area=o.other_area, reason="Closed")
    return lambda: services.service_area_retire(actor=o.actor, area=o.own_area, reason="x", successor=o.other_area)


def duplicate_email_on_create(o):
    return lambda: services.person_create(actor=o.actor, full_name="Twin", email=" PRIYA@Council.example ")


def duplicate_email_on_update(o):
    other = PersonFactory()
    return lambda: services.person_update(
        actor=o.actor,
        person=other,
        full_name=other.full_name,
        email="Priya@council.example",
        job_title="",
        organisation="",
    )


def the_last_administrators_role_ended(o):
    role = o.actor.person.memberships.get(role=Role.ADMINISTRATOR)
    return lambda: services.membership_end(actor=o.actor, membership=role, reason="Stepping down")


def the_last_administrator_deactivated(o):
    return lambda: services.person_set_active(actor=o.actor, person=o.actor.person, active=False, reason="Leaving")


def the_last_active_administrators_role_ended_beside_a_deactivated_one(o):
    """A deactivated administrator cannot sign in to manage anything: they do not count."""
    away = person_with_role(Role.ADMINISTRATOR, None, full_name="Away Admin")
    services.person_set_active(actor=o.actor, person=away, active=False, reason="Career break")
    return the_last_administrators_role_ended(o)


def a_role_ended_without_a_reason(o):
    role = MembershipFactory(person=o.person, role=Role.PRACTITIONER, service_area=o.own_area)
    return lambda: services.membership_end(actor=o.actor, membership=role, reason="  ")


@pytest.mark.parametrize(
    ("refusal", "field", "message"),
    [
        (duplicate_code_on_create, "code", CODE_TAKEN),
        (duplicate_code_on_update, "code", CODE_TAKEN),
        (duplicate_team_name, "name", TEAM_NAME_TAKEN),
        (team_in_retired_area, "service_area", RETIRED_AREA),
        (area_role_in_retired_area, "service_area", RETIRED_AREA),
        (area_role_without_area, "service_area", AREA_ROLE_NEEDS_AREA),
        (team_outside_area, "team", TEAM_OUTSIDE_AREA),
        (duplicate_area_membership, "role", MEMBERSHIP_DUPLICATE),
        (duplicate_cross_area_membership, "role", MEMBERSHIP_DUPLICATE),
        (successor_is_itself, "successor", SUCCESSOR_INVALID),
        (successor_is_retired, "successor", SUCCESSOR_INVALID),
        (duplicate_email_on_create, "email", EMAIL_TAKEN),
        (duplicate_email_on_update, "email", EMAIL_TAKEN),
        (the_last_administrators_role_ended, NON_FIELD_ERRORS, LAST_ADMINISTRATOR),
        (the_last_administrator_deactivated, NON_FIELD_ERRORS, LAST_ADMINISTRATOR),
        (the_last_active_administrators_role_ended_beside_a_deactivated_one, NON_FIELD_ERRORS, LAST_ADMINISTRATOR),
        (a_role_ended_without_a_reason, "reason", REASON_REQUIRED),
    ],
)
def test_a_refused_change_names_the_field_and_saves_nothing(org, refusal, field, message):
    attempt = refusal(org)
    before = counts()
    own_area_before = ServiceArea.objects.values().get(pk=org.own_area.pk)

    with pytest.raises(ValidationError) as refused:
        attempt()

    assert refused.value.message_dict == {field: [message]}
    assert counts() == before
    assert ServiceArea.objects.values().get(pk=org.own_area.pk) == own_area_before


def test_a_role_can_be_held_again_once_the_earlier_one_has_ended(org):
    first = services.membership_add(
        actor=org.actor, person=org.person, role=Role.PRACTITIONER, service_area=org.own_area
    )
    services.membership_end(actor=org.actor, membership=first, reason="Moved team")

    again = services.membership_add(
        actor=org.actor, person=org.person, role=Role.PRACTITIONER, service_area=org.own_area
    )

    assert again.pk != first.pk
    assert list(org.person.memberships.current()) == [again]


@pytest.mark.parametrize(
    "service",
    [
        lambda o: services.service_area_create(actor=o.actor, code="NEW", name="New area"),
        lambda o: services.service_area_update(actor=o.actor, area=o.own_area, code="FAM", name="Families"),
        lambda o: services.person_create(actor=o.actor, full_name="Nia Newton", email="nia@council.example"),
        lambda o: services.membership_add(actor=o.actor, person=o.person, role=Role.QA_LEAD),
    ],
    ids=["service_area_create", "service_area_update", "person_create", "membership_add"],
)
def test_a_failure_while_recording_the_change_undoes_the_whole_change(org, service, monkeypatch):
    def broken_change_record(**kwargs):
        raise RuntimeError("audit trail unavailable")

    monkeypatch.setattr(services, "change_record", broken_change_record)
    before = counts()
    own_area_before = ServiceArea.objects.values().get(pk=org.own_area.pk)

    with pytest.raises(RuntimeError):
        service(org)

    assert counts() == before
    assert ServiceArea.objects.values().get(pk=org.own_area.pk) == own_area_before


def test_a_refusal_on_a_field_the_form_lacks_is_shown_at_the_top_of_the_form(org):
    services.service_area_retire(actor=org.actor, area=org.other_area, reason="Closed")

    class TeamNameForm(forms.Form):
        name = forms.CharField()

    form = TeamNameForm({"name": "New team"})
    assert form.is_valid()

    result = call_service(form, services.team_create, actor=org.actor, service_area=org.other_area, name="New team")

    assert result is None
    assert form.errors == {"__all__": [RETIRED_AREA]}


# The last active administrator


def test_an_administrator_may_end_their_administrator_role_while_another_is_active(org):
    person_with_role(Role.ADMINISTRATOR, None, full_name="Bea Second")
    role = org.actor.person.memberships.get(role=Role.ADMINISTRATOR)

    services.membership_end(actor=org.actor, membership=role, reason="Moved to the QA unit")

    assert not org.actor.person.memberships.current().exists()


def test_an_administrator_may_be_deactivated_while_another_is_active(org):
    bea = person_with_role(Role.ADMINISTRATOR, None, full_name="Bea Second")

    services.person_set_active(actor=org.actor, person=bea, active=False, reason="Left the council")

    assert not User.objects.get(pk=bea.user_id).is_active


def test_the_last_administrator_may_end_their_other_roles(org):
    qa_role = MembershipFactory(person=org.actor.person, role=Role.QA_OFFICER, service_area=None)

    services.membership_end(actor=org.actor, membership=qa_role, reason="Back to administration only")

    assert list(org.actor.person.memberships.current().values_list("role", flat=True)) == [Role.ADMINISTRATOR]


def test_a_deactivated_administrators_role_may_be_ended_beside_the_last_active_one(org):
    away = person_with_role(Role.ADMINISTRATOR, None, full_name="Away Admin")
    services.person_set_active(actor=org.actor, person=away, active=False, reason="Left the council")

    services.membership_end(actor=org.actor, membership=away.memberships.get(), reason="Left the council")

    assert not away.memberships.current().exists()


@pytest.mark.django_db(transaction=True)
def test_two_administrators_ending_each_others_role_at_once_leave_one_administrator(admin_person):
    """Each checks that another administrator remains; the second must see the first's change, not
    both pass the check on what was there before (PostgreSQL: select_for_update is real)."""
    bea = person_with_role(Role.ADMINISTRATOR, None, full_name="Bea Second")
    pairs = [(admin_person, bea), (bea, admin_person)]
    real_change_record = services.change_record
    started = threading.Barrier(2)
    ended, refused, errors = [], [], []

    def slow_change_record(**kwargs):
        time.sleep(0.5)  # hold the ended role, uncommitted, while the other administrator tries
        return real_change_record(**kwargs)

    def run(actor, target):
        try:
            started.wait(timeout=10)
            role = Membership.objects.current().get(person=target, role=Role.ADMINISTRATOR)
            services.membership_end(actor=actor.user, membership=role, reason="Restructure")
            ended.append(target.pk)
        except ValidationError as error:
            refused.append(error.message_dict)
        except Exception as error:  # reported below: a thread's exception would otherwise vanish
            errors.append(error)
        finally:
            connection.close()

    with patch.object(services, "change_record", side_effect=slow_change_record):
        threads = [threading.Thread(target=run, args=pair) for pair in pairs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert errors == []
    assert len(ended) == 1
    assert refused == [{NON_FIELD_ERRORS: [LAST_ADMINISTRATOR]}]
    assert Membership.objects.current().filter(role=Role.ADMINISTRATOR).count() == 1
    assert ChangeRecord.objects.filter(action="membership.end").count() == 1


# Names in force at a moment


def test_an_area_keeps_the_name_in_force_at_each_moment_across_two_renames(admin_person):
    def at(year, month, day):
        return datetime(year, month, day, 12, tzinfo=UTC)

    with freeze_time(at(2024, 1, 10)) as frozen:
        area = services.service_area_create(actor=admin_person.user, code="SWF", name="Family Support")
        frozen.move_to(at(2024, 6, 1))
        services.service_area_update(actor=admin_person.user, area=area, code="SWF", name="Families Together")
        frozen.move_to(at(2025, 2, 1))
        services.service_area_update(actor=admin_person.user, area=area, code="SWF", name="Social Work with Families")

    area = ServiceArea.objects.get(pk=area.pk)
    assert area.name_on(at(2024, 1, 10)) == "Family Support"
    assert area.name_on(at(2024, 5, 31)) == "Family Support"
    assert area.name_on(at(2024, 6, 1)) == "Families Together"
    assert area.name_on(at(2025, 1, 31)) == "Families Together"
    assert area.name_on(at(2025, 2, 1)) == "Social Work with Families"
    assert area.name_on(at(2026, 1, 1)) == "Social Work with Families"
    assert area.name == "Social Work with Families"


# The database holds the rules even when the services are bypassed


def test_the_database_refuses_an_area_role_without_an_area(org):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(person=org.person, role=Role.PRACTITIONER, service_area=None)


def test_the_database_refuses_a_duplicate_current_membership_in_an_area(org):
    Membership.objects.create(person=org.person, role=Role.PRACTITIONER, service_area=org.own_area)

    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(person=org.person, role=Role.PRACTITIONER, service_area=org.own_area)


def test_the_database_refuses_a_duplicate_current_cross_area_membership(org):
    Membership.objects.create(person=org.person, role=Role.QA_LEAD, service_area=None)

    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(person=org.person, role=Role.QA_LEAD, service_area=None)


def test_the_database_allows_the_same_role_again_after_the_first_has_ended(org):
    first = Membership.objects.create(person=org.person, role=Role.PRACTITIONER, service_area=org.own_area)
    first.ended_at = first.started_at
    first.save()

    Membership.objects.create(person=org.person, role=Role.PRACTITIONER, service_area=org.own_area)

    assert org.person.memberships.count() == 2


def test_the_database_refuses_a_service_area_code_differing_only_in_case(org):
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceArea.objects.create(code="swf", name="Copy")


def test_the_database_refuses_an_inactive_area_without_a_retirement_date(org):
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceArea.objects.create(code="OLD", name="Old area", is_active=False)


def test_the_database_refuses_two_teams_of_the_same_name_in_an_area(org):
    with pytest.raises(IntegrityError), transaction.atomic():
        Team.objects.create(service_area=org.own_area, name="swf EAST")


# Access rules


def fresh(user):
    """The user as a new request would load it (grants are cached on the user object)."""
    return User.objects.get(pk=user.pk)


@pytest.fixture
def people_in_each_area(own_area, other_area, own_team, other_team):
    own = PersonFactory(full_name="In own area")
    MembershipFactory(person=own, role=Role.PRACTITIONER, service_area=own_area, team=own_team)
    other = PersonFactory(full_name="In other area")
    MembershipFactory(person=other, role=Role.PRACTITIONER, service_area=other_area, team=other_team)
    return own, other


@pytest.mark.parametrize("role", sorted(AREA_ROLES))
def test_an_area_role_sees_and_acts_on_its_own_area_only(
    make_person, role, own_area, other_area, own_team, other_team, people_in_each_area
):
    user = make_person(role, own_area).user
    own_person, other_person = people_in_each_area

    assert list(visible(user, ServiceArea.objects.all())) == [own_area]
    assert list(visible(user, Team.objects.all())) == [own_team]
    assert set(visible(user, Membership.objects.all()).values_list("service_area", flat=True)) == {own_area.pk}
    assert own_person in visible(user, Person.objects.all())
    assert other_person not in visible(user, Person.objects.all())
    assert can(user, Action.VIEW_ORGANISATION, own_area)
    assert can(user, Action.VIEW_ORGANISATION, own_team)
    assert not can(user, Action.VIEW_ORGANISATION, other_area)
    assert not can(user, Action.VIEW_ORGANISATION, other_team)
    assert not can(user, Action.MANAGE_ORGANISATION, own_area)


@pytest.mark.parametrize("role", sorted(CROSS_AREA_ROLES))
def test_a_cross_area_role_sees_every_area(make_person, role, own_area, other_area, own_team, other_team):
    user = make_person(role, None).user

    assert set(visible(user, ServiceArea.objects.all())) == {own_area, other_area}
    assert set(visible(user, Team.objects.all())) == {own_team, other_team}
    assert can(user, Action.VIEW_ORGANISATION, other_area)
    assert can(user, Action.VIEW_ORGANISATION, other_team)


def test_a_role_outside_both_lists_sees_only_the_area_it_is_held_in(make_person, own_area, other_area):
    user = make_person(Role.MODERATOR, other_area).user

    assert list(visible(user, ServiceArea.objects.all())) == [other_area]
    assert can(user, Action.VIEW_ORGANISATION, other_area)
    assert not can(user, Action.VIEW_ORGANISATION, own_area)


def test_a_partner_auditor_sees_no_areas_teams_or_people(make_person, own_area, own_team, people_in_each_area):
    user = make_person(Role.PARTNER_AUDITOR, None, organisation="Police").user

    assert not visible(user, ServiceArea.objects.all()).exists()
    assert not visible(user, Team.objects.all()).exists()
    assert not visible(user, Person.objects.all()).exists()
    assert not can(user, Action.VIEW_ORGANISATION)
    assert not can(user, Action.VIEW_ORGANISATION, own_area)
    assert not can(user, Action.VIEW_PEOPLE)


@pytest.mark.parametrize(
    ("role", "view_organisation", "view_people", "manage_organisation"),
    [
        (Role.PRACTITIONER, True, False, False),
        (Role.PRACTICE_MANAGER, True, False, False),
        (Role.SERVICE_LEAD, True, True, False),
        (Role.HEAD_OF_SERVICE, True, True, False),
        (Role.QA_OFFICER, True, True, False),
        (Role.QA_LEAD, True, True, False),
        (Role.MODERATOR, True, False, False),
        (Role.PERFORMANCE_OFFICER, True, False, False),
        (Role.SENIOR_LEADER, True, True, False),
        (Role.ADMINISTRATOR, True, True, True),
        (Role.READ_ONLY, True, False, False),
        (Role.PARTNER_AUDITOR, False, False, False),
    ],
)
def test_each_role_may_do_the_organisation_actions_of_its_kind(
    make_person, own_area, role, view_organisation, view_people, manage_organisation
):
    user = make_person(role, own_area if role in AREA_ROLES else None).user

    assert can(user, Action.VIEW_ORGANISATION) is view_organisation
    assert can(user, Action.VIEW_PEOPLE) is view_people
    assert can(user, Action.MANAGE_ORGANISATION) is manage_organisation


def test_a_deactivated_administrator_sees_and_may_do_nothing(admin_person, own_area):
    bea = person_with_role(Role.ADMINISTRATOR, None, full_name="Bea Second")
    services.person_set_active(actor=bea.user, person=admin_person, active=False, reason="Left")
    user = fresh(admin_person.user)

    assert not visible(user, ServiceArea.objects.all()).exists()
    assert not can(user, Action.VIEW_ORGANISATION)
    assert not can(user, Action.MANAGE_ORGANISATION, own_area)


def test_an_ended_membership_gives_nothing(make_person, admin_person, own_area):
    person = make_person(Role.SERVICE_LEAD, own_area)
    services.membership_end(actor=admin_person.user, membership=person.memberships.get(), reason="Moved on")
    user = fresh(person.user)

    assert not visible(user, ServiceArea.objects.all()).exists()
    assert not visible(user, Person.objects.all()).exists()
    assert not can(user, Action.VIEW_ORGANISATION)
    assert not can(user, Action.VIEW_ORGANISATION, own_area)


@pytest.mark.parametrize("role", [Role.PRACTITIONER, Role.ADMINISTRATOR, None], ids=["area role", "cross-area", "none"])
def test_scoping_a_model_without_an_area_field_is_a_type_error_whoever_asks(make_person, own_area, role):
    user = make_person(role, own_area if role in AREA_ROLES else None).user if role else PersonFactory().user

    with pytest.raises(TypeError, match="ChangeRecord has no ACCESS_AREA_FIELD"):
        visible(user, ChangeRecord.objects.all())


def test_anonymous_visitors_see_nothing(own_area):
    from django.contrib.auth.models import AnonymousUser

    assert not visible(AnonymousUser(), ServiceArea.objects.all()).exists()
    assert not can(AnonymousUser(), Action.VIEW_ORGANISATION)


# The demo council


def test_the_demo_has_one_working_login_for_each_role_and_loading_it_again_adds_nothing(db):
    """One test, as loading the whole demo takes a while."""
    call_command("load_demo", stdout=io.StringIO())
    first = counts()

    demo_logins = [email for email, _ in logins()]
    roles = {
        Membership.objects.current().get(person__user__email=email).role
        for email in demo_logins  # .get(): exactly one current role per demo login
    }
    assert len(demo_logins) == len(Role)
    assert roles == set(Role)
    for email in demo_logins:
        assert authenticate(username=email, password=DEMO_PASSWORD) is not None, email
    assert first["Person"] >= 60

    call_command("load_demo", stdout=io.StringIO())

    assert counts() == first
