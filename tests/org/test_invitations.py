"""Joiners: the invitation e-mail (quality/org/invitations.py), its one-time link, its single sign-on
variant, and the throttle on sending it again."""

import logging
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from freezegun import freeze_time

from quality.org import services
from quality.org.messages import INVITATION_ACCEPTED, INVITATION_THROTTLED
from quality.org.models import Notification, Person, Role
from quality.security.models import Kind, SecurityEvent

from ..second_factor import sign_in_with_password_only

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

NEW_PASSWORD = "amber-lantern-orchard-47"
LINK = re.compile(r"https?://[^/\s]+(/accounts/invitation/\S+/\S+/)")


@pytest.fixture
def as_admin(client, admin_person):
    client.force_login(admin_person.user)
    return client


@pytest.fixture
def invite(admin_person, django_capture_on_commit_callbacks, email_worker):
    """invite(email) -> the new person, their invitation e-mailed as a worker would send it."""

    def make(email: str = "nia.newton@council.example") -> Person:
        with django_capture_on_commit_callbacks(execute=True):
            return services.person_create(actor=admin_person.user, full_name="Nia Newton", email=email)

    return make


def invitation_link(message) -> str:
    return LINK.search(message.body).group(1)


def set_password(client, link: str, password: str = NEW_PASSWORD):
    """Open the link and choose a password; the response to the form (or to the refused link)."""
    page = client.get(link, follow=True)
    if not page.context["validlink"]:
        return page
    return client.post(page.redirect_chain[-1][0], {"new_password1": password, "new_password2": password})


def test_an_administrator_adding_a_person_sends_them_an_invitation_through_the_worker(
    as_admin, admin_person, django_capture_on_commit_callbacks, email_worker
):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_admin.post(reverse("org:person_create"), {"full_name": "Nia New", "email": "nia@council.example"})

    person = Person.objects.get(user__email="nia@council.example")
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["nia@council.example"]
    assert invitation_link(message).startswith("/accounts/invitation/")
    assert Notification.objects.get(recipient=person.user).emailed_at is not None
    event = SecurityEvent.objects.get(kind=Kind.INVITATION_SENT)
    assert (event.user, event.actor, event.detail["way"]) == (person.user, admin_person.user, "password")


def test_the_token_is_made_by_the_worker_and_never_stored_nor_logged(invite, caplog):
    with caplog.at_level(logging.DEBUG):
        person = invite()

    token = invitation_link(mail.outbox[0]).rstrip("/").rsplit("/", 1)[1]
    notification = Notification.objects.get(recipient=person.user)
    assert notification.invitation_link
    assert token not in f"{notification.subject} {notification.body} {notification.url}"
    assert token not in caplog.text
    assert "Sign in with your council account" not in mail.outbox[0].body


def test_the_link_sets_a_password_once_and_the_person_then_signs_in(client, invite):
    person = invite()
    link = invitation_link(mail.outbox[0])

    response = set_password(client, link)
    assert response.status_code == 302 and response.url == reverse("login")
    page = client.get(response.url)
    assert INVITATION_ACCEPTED in page.content.decode()
    person.user.refresh_from_db()
    assert person.user.check_password(NEW_PASSWORD)
    assert SecurityEvent.objects.filter(kind=Kind.PASSWORD_RESET_DONE, user=person.user).exists()

    again = set_password(client, link, "someone-else-entirely-92")
    assert again.context["validlink"] is False
    assert "already been used or has expired" in again.content.decode()
    person.user.refresh_from_db()
    assert person.user.check_password(NEW_PASSWORD)

    signed_in = client.post(reverse("login"), {"username": person.user.email, "password": NEW_PASSWORD})
    assert signed_in.status_code == 302


def test_a_role_that_needs_a_second_factor_is_sent_to_enrol_after_signing_in(client, invite):
    person = invite()
    services.membership_add(actor=None, person=person, role=Role.QA_OFFICER)
    set_password(client, invitation_link(mail.outbox[0]))

    client.post(reverse("login"), {"username": person.user.email, "password": NEW_PASSWORD})
    home = client.get(reverse("home"))

    assert home.status_code == 302 and home.url.startswith(reverse("mfa:enrol"))


@pytest.mark.parametrize(("hours", "valid"), [(71, True), (73, False)])
def test_the_link_lasts_72_hours(client, invite, hours, valid):
    invite()
    link = invitation_link(mail.outbox[0])

    with freeze_time(timedelta(hours=hours), tick=True):
        page = client.get(link, follow=True)

    assert page.context["validlink"] is valid


def test_a_password_reset_link_is_no_invitation_nor_the_other_way(client, invite):
    person = invite()
    token = invitation_link(mail.outbox[0]).rstrip("/").rsplit("/", 2)
    page = client.get(reverse("password_reset_confirm", args=token[1:]), follow=True)

    assert page.context["validlink"] is False
    assert not person.user.has_usable_password()


def test_with_single_sign_on_the_invitation_points_to_the_portal_without_a_password_link(client, settings, invite):
    settings.SSO_CONFIGURED = True
    settings.PORTAL_URL = "https://quality.council.example"
    person = invite()

    body = mail.outbox[0].body
    assert "Sign in with your council account" in body
    assert "https://quality.council.example/accounts/login/" in body
    assert "/accounts/invitation/" not in body
    assert SecurityEvent.objects.get(kind=Kind.INVITATION_SENT).detail["way"] == "sso"
    # A password link made some other way is refused: this person has no password to set.
    from quality.org.invitations import set_password_url

    assert client.get(set_password_url(person.user).split(".example", 1)[1], follow=True).context["validlink"] is False


def test_a_break_glass_administrator_is_invited_with_a_password_link_even_with_single_sign_on(settings, invite):
    settings.SSO_CONFIGURED = True
    settings.BREAK_GLASS_EMAILS = ["glass@council.example"]
    invite("glass@council.example")

    assert "/accounts/invitation/" in mail.outbox[0].body


def test_sending_again_is_a_post_by_an_administrator_and_is_throttled_to_three_an_hour(
    as_admin, admin_person, invite, django_capture_on_commit_callbacks
):
    person = invite()  # the first of three
    url = reverse("org:person_invite", args=[person.pk])
    assert as_admin.get(url).status_code == 405

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            assert as_admin.post(url).status_code == 302
        refused = as_admin.post(url, follow=True)

    assert INVITATION_THROTTLED in refused.content.decode()
    assert len(mail.outbox) == 3
    assert SecurityEvent.objects.filter(kind=Kind.INVITATION_SENT, user=person.user).count() == 3

    with freeze_time(timedelta(hours=1, minutes=1), tick=True), django_capture_on_commit_callbacks(execute=True):
        as_admin.force_login(admin_person.user)  # the session has timed out meanwhile
        assert as_admin.post(url).status_code == 302
    assert len(mail.outbox) == 4


def test_only_an_administrator_may_send_the_invitation_again(client, invite, make_person):
    person = invite()
    client.force_login(make_person(Role.QA_LEAD).user)

    assert client.post(reverse("org:person_invite", args=[person.pk])).status_code == 403
    assert SecurityEvent.objects.filter(kind=Kind.INVITATION_SENT).count() == 1


def test_a_person_still_to_pass_the_second_factor_cannot_send_invitations(client, invite, admin_person):
    person = invite()
    sign_in_with_password_only(client, admin_person.user)

    response = client.post(reverse("org:person_invite", args=[person.pk]))

    assert response.status_code == 302 and not response.url.startswith(person.get_absolute_url())
    assert SecurityEvent.objects.filter(kind=Kind.INVITATION_SENT).count() == 1
