"""Who must use a second factor: one test per role, and the setting that makes it everyone's."""

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY

from quality.mfa.rules import second_factor_required, verified_by_identity_provider
from quality.org import services
from quality.org.models import AREA_ROLES, Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

# Written out, not read from quality/mfa/rules.py: a role moved by mistake shows up here.
REQUIRED = {
    Role.ADMINISTRATOR: True,
    Role.QA_OFFICER: True,
    Role.QA_LEAD: True,
    Role.HEAD_OF_SERVICE: True,
    Role.SENIOR_LEADER: True,
    Role.PERFORMANCE_OFFICER: True,
    Role.PARTNER_AUDITOR: True,
    Role.PRACTITIONER: False,
    Role.PRACTICE_MANAGER: False,
    Role.SERVICE_LEAD: False,
    Role.MODERATOR: False,
    Role.READ_ONLY: False,
}


def test_every_role_has_a_row():
    assert set(REQUIRED) == set(Role)


@pytest.mark.parametrize(("role", "required"), REQUIRED.items(), ids=[role.value for role in REQUIRED])
def test_a_second_factor_is_required_only_for_roles_reaching_beyond_one_area(make_person, own_area, role, required):
    person = make_person(role, own_area if role in AREA_ROLES else None)
    assert second_factor_required(person.user) is required


def test_one_required_role_among_others_makes_it_required(make_person, own_area):
    person = make_person(Role.PRACTITIONER, own_area)
    MembershipFactory(person=person, role=Role.QA_OFFICER, service_area=None)
    assert second_factor_required(person.user)


def test_an_ended_role_no_longer_counts(make_person, admin_person):
    person = make_person(Role.QA_LEAD, None)
    membership = person.memberships.get()
    services.membership_end(actor=admin_person.user, membership=membership, reason="Moved on")
    assert not second_factor_required(type(person.user).objects.get(pk=person.user.pk))


def test_mfa_required_for_all_makes_it_required_for_a_practitioner(settings, make_person, own_area):
    settings.MFA_REQUIRED_FOR_ALL = True
    assert second_factor_required(make_person(Role.PRACTITIONER, own_area).user)


def test_a_staff_account_needs_it_whatever_its_roles(db):
    assert second_factor_required(UserFactory(is_staff=True))
    assert not second_factor_required(UserFactory())


@pytest.mark.parametrize(
    ("backend", "verified"),
    [
        ("quality.sso.CouncilAccountBackend", True),
        ("quality.sso.PasswordBackend", False),
        ("django.contrib.auth.backends.ModelBackend", False),
        ("no.such.Backend", False),
    ],
)
def test_only_a_single_sign_on_session_counts_as_verified_by_the_identity_provider(rf, backend, verified):
    request = rf.get("/")
    request.session = {BACKEND_SESSION_KEY: backend}
    assert verified_by_identity_provider(request) is verified
