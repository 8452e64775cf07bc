"""Sign-in, lock-out, session time-out, password reset (the invitation), log-out and CSRF."""

import hashlib
import re
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from freezegun import freeze_time

from quality.org import services
from quality.org.messages import SESSION_ENDED, SIGN_IN_FAILED
from quality.org.models import Role, ServiceArea
from quality.security import lockout
from quality.security.events import username_key
from quality.security.models import Kind, SecurityEvent, SignInThrottle

from .factories import PASSWORD

User = get_user_model()

LOGIN = reverse("login")
WRONG_PASSWORD = "not-the-password-at-all"
NEW_PASSWORD = "amber-lantern-orchard-47"
START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def sign_in(client, email, password):
    return client.post(LOGIN, {"username": email, "password": password})


def fail_to_sign_in(client, email, times, *, every=timedelta(0), frozen=None):
    """`times` failed sign-ins, `every` apart on the frozen clock."""
    for attempt in range(times):
        if attempt and every:
            frozen.tick(every)
        response = sign_in(client, email, WRONG_PASSWORD)
        assert response.status_code == 200
        assert form_errors(response) == [SIGN_IN_FAILED]


def form_errors(response):
    return list(response.context["form"].non_field_errors())


def is_signed_in(client):
    """Read the session row whatever the (frozen or real) clock says about its expiry."""
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    session = Session.objects.filter(session_key=cookie.value).first() if cookie else None
    return session is not None and "_auth_user_id" in session.get_decoded()


def assert_refused(response):
    assert response.status_code == 200
    assert form_errors(response) == [SIGN_IN_FAILED]
    assert escape(SIGN_IN_FAILED).encode() in response.content


def assert_signed_in(response, client):
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert is_signed_in(client)


# Sign-in


def test_signing_in_with_email_and_password_goes_to_the_home_page(client, practitioner):
    response = sign_in(client, practitioner.user.email, PASSWORD)

    assert_signed_in(response, client)
    assert client.get(response.url).status_code == 200


def test_the_email_address_is_matched_whatever_its_case_and_spacing(client, practitioner):
    response = sign_in(client, f"  {practitioner.user.email.upper()} ", PASSWORD)

    assert_signed_in(response, client)


def test_wrong_password_unknown_name_and_deactivated_account_get_the_same_answer(client, practitioner, make_person):
    gone = make_person(Role.PRACTITIONER, practitioner.memberships.get().service_area)
    gone.user.is_active = False
    gone.user.save()

    wrong_password = sign_in(client, practitioner.user.email, WRONG_PASSWORD)
    unknown_name = sign_in(client, "nobody@council.example", WRONG_PASSWORD)
    deactivated = sign_in(client, gone.user.email, PASSWORD)

    for response in (wrong_password, unknown_name, deactivated):
        assert_refused(response)
        assert response.context["form"].errors == {"__all__": [SIGN_IN_FAILED]}
    assert not is_signed_in(client)


# Lock-out


def test_ten_failures_within_five_minutes_lock_the_name_even_against_the_right_password(client, practitioner):
    with freeze_time(START) as frozen:
        fail_to_sign_in(client, practitioner.user.email, 10, every=timedelta(seconds=25), frozen=frozen)
        frozen.tick(timedelta(seconds=25))

        response = sign_in(client, practitioner.user.email, PASSWORD)
        assert lockout.is_locked(practitioner.user.email)

    assert_refused(response)
    assert not is_signed_in(client)


def test_nine_failures_do_not_lock_the_name(client, practitioner):
    with freeze_time(START):
        fail_to_sign_in(client, practitioner.user.email, 9)

        response = sign_in(client, practitioner.user.email, PASSWORD)

        assert_signed_in(response, client)
    assert not lockout.is_locked(practitioner.user.email)


def test_ten_failures_spread_over_more_than_five_minutes_do_not_lock_the_name(client, practitioner):
    with freeze_time(START) as frozen:
        # 40 seconds apart: the tenth failure comes six minutes after the first.
        fail_to_sign_in(client, practitioner.user.email, 10, every=timedelta(seconds=40), frozen=frozen)

        response = sign_in(client, practitioner.user.email, PASSWORD)

        assert_signed_in(response, client)
    assert not lockout.is_locked(practitioner.user.email)


def test_the_lock_ends_after_the_lockout_duration(client, practitioner):
    email = practitioner.user.email
    with freeze_time(START) as frozen:
        fail_to_sign_in(client, email, 10)

        frozen.move_to(START + settings.LOGIN_LOCKOUT_DURATION - timedelta(seconds=1))
        assert_refused(sign_in(client, email, PASSWORD))

        frozen.move_to(START + settings.LOGIN_LOCKOUT_DURATION + timedelta(seconds=1))
        response = sign_in(client, email, PASSWORD)

        assert_signed_in(response, client)


def test_an_unknown_name_is_locked_the_same_way_even_once_an_account_gets_it(client, own_area, make_person):
    email = "newcomer@council.example"
    with freeze_time(START) as frozen:
        fail_to_sign_in(client, email, 10)
        assert lockout.is_locked(email)

        # An account with that name, created during the lock, is still refused until it ends.
        newcomer = make_person(Role.PRACTITIONER, own_area, user__username=email, user__email=email)
        frozen.tick(timedelta(minutes=1))
        assert_refused(sign_in(client, newcomer.user.email, PASSWORD))

        frozen.move_to(START + settings.LOGIN_LOCKOUT_DURATION + timedelta(seconds=1))
        response = sign_in(client, email, PASSWORD)

        assert_signed_in(response, client)


def test_nine_failures_for_an_unknown_name_do_not_lock_it(client, db):
    with freeze_time(START):
        fail_to_sign_in(client, "nobody@council.example", 9)

        assert not lockout.is_locked("nobody@council.example")


def test_a_successful_sign_in_starts_the_count_again_and_keeps_the_failures_on_record(client, practitioner):
    email = practitioner.user.email
    with freeze_time(START) as frozen:
        fail_to_sign_in(client, email, 9)
        assert_signed_in(sign_in(client, email, PASSWORD), client)

        other_browser = Client()
        frozen.tick(timedelta(seconds=30))
        fail_to_sign_in(other_browser, email, 9)  # 18 failures in the window without the reset
        response = sign_in(other_browser, email, PASSWORD)

        assert_signed_in(response, other_browser)
    failures = SecurityEvent.objects.filter(kind=Kind.SIGN_IN_FAILED, username_key=username_key(email))
    assert failures.count() == 18


def test_failures_are_stored_only_as_a_keyed_hash_of_the_name(client, practitioner):
    email = practitioner.user.email
    with freeze_time(START):
        fail_to_sign_in(client, email, 10)

    stored = [
        str(value) for model in (SignInThrottle, SecurityEvent) for row in model.objects.values_list() for value in row
    ]
    keys = set(SecurityEvent.objects.exclude(username_key="").values_list("username_key", flat=True))
    assert keys == {username_key(email)}
    assert re.fullmatch(r"[0-9a-f]{64}", keys.pop())
    assert hashlib.sha256(email.encode()).hexdigest() not in stored  # keyed, not a plain digest
    assert not [value for value in stored if email in value or email.split("@")[0] in value]


# Session time-out


def signed_in_client(client, person):
    assert_signed_in(sign_in(client, person.user.email, PASSWORD), client)
    assert client.get(reverse("home")).status_code == 200
    return client


def test_after_31_idle_minutes_the_next_request_goes_to_sign_in_with_a_message(client, practitioner):
    target = reverse("org:service_area_list")
    with freeze_time(START) as frozen:
        signed_in_client(client, practitioner)
        frozen.tick(timedelta(minutes=29))
        assert client.get(target).status_code == 200

        frozen.tick(timedelta(minutes=31))
        response = client.get(target)
        login_page = client.get(response.url)

    assert response.status_code == 302
    assert response.url == f"{LOGIN}?next={target}"
    assert not is_signed_in(client)
    assert [str(message) for message in login_page.context["messages"]] == [SESSION_ENDED]
    assert SESSION_ENDED.encode() in login_page.content


def test_activity_every_20_minutes_keeps_the_session_until_12_hours_then_it_ends(client, practitioner):
    with freeze_time(START) as frozen:
        signed_in_client(client, practitioner)
        minutes = 0
        while minutes + 20 < 12 * 60:
            frozen.tick(timedelta(minutes=20))
            minutes += 20
            assert client.get(reverse("home")).status_code == 200, f"ended after {minutes} minutes"

        frozen.move_to(START + settings.SESSION_ABSOLUTE_TIMEOUT + timedelta(minutes=1))
        response = client.get(reverse("home"))

    assert minutes == 11 * 60 + 40  # the last request was 21 minutes ago: not idle
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)
    assert not is_signed_in(client)


def test_an_htmx_request_after_time_out_is_told_to_load_the_sign_in_page(client, practitioner):
    with freeze_time(START) as frozen:
        signed_in_client(client, practitioner)
        frozen.tick(timedelta(minutes=31))

        response = client.get(reverse("org:service_area_list"), headers={"HX-Request": "true"})

    assert response.status_code == 204
    assert response["HX-Redirect"] == LOGIN
    assert "Location" not in response
    assert not is_signed_in(client)


# Password reset (a new person sets a first password through their invitation: tests/org/test_invitations.py)


def test_a_person_whose_password_was_never_set_gets_no_reset_email_but_the_same_page(client, admin_person):
    person = services.person_create(
        actor=admin_person.user, full_name="Nia Newton", email="Nia.Newton@council.example", invite=False
    )
    assert not person.user.has_usable_password()

    response = client.post(reverse("password_reset"), {"email": "nia.newton@council.example"})

    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert mail.outbox == []


def test_a_person_with_a_password_resets_it_and_signs_in(client, practitioner):
    response = client.post(reverse("password_reset"), {"email": practitioner.user.email.upper()})

    assert response.url == reverse("password_reset_done")
    assert mail.outbox[0].to == [practitioner.user.email]
    link = re.search(r"https?://testserver(/accounts/reset/\S+/\S+/)", mail.outbox[0].body).group(1)
    set_password_url = client.get(link, follow=True).redirect_chain[-1][0]
    response = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.url == reverse("password_reset_complete")

    assert_signed_in(sign_in(client, practitioner.user.email, NEW_PASSWORD), client)


def test_an_unknown_email_address_gets_nothing_but_the_same_check_your_email_page(client, practitioner):
    known = client.post(reverse("password_reset"), {"email": practitioner.user.email}, follow=True)
    assert len(mail.outbox) == 1
    mail.outbox.clear()

    unknown = client.post(reverse("password_reset"), {"email": "nobody@council.example"}, follow=True)

    assert mail.outbox == []
    assert unknown.redirect_chain == known.redirect_chain == [(reverse("password_reset_done"), 302)]
    assert unknown.status_code == known.status_code == 200
    assert b"Check your e-mail" in unknown.content


def test_a_deactivated_person_gets_no_reset_email(client, admin_person, practitioner):
    services.person_set_active(actor=admin_person.user, person=practitioner, active=False, reason="Left")

    response = client.post(reverse("password_reset"), {"email": practitioner.user.email})

    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert mail.outbox == []


# Log-out and CSRF


def test_logging_out_needs_a_post_and_a_get_is_refused(client, practitioner):
    client.force_login(practitioner.user)

    refused = client.get(reverse("logout"))
    assert refused.status_code == 405
    assert is_signed_in(client)

    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response.url == LOGIN
    assert not is_signed_in(client)


def test_a_post_without_a_csrf_token_is_refused(admin_person):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_person.user)
    url = reverse("org:service_area_create")
    data = {"code": "NEW", "name": "New area"}

    refused = browser.post(url, data)

    assert refused.status_code == 403
    assert not ServiceArea.objects.filter(code="NEW").exists()

    # The same post with the form's token goes through: the 403 was the missing token.
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', browser.get(url).content).group(1).decode()
    accepted = browser.post(url, {**data, "csrfmiddlewaretoken": token})
    assert accepted.status_code == 302
    assert ServiceArea.objects.filter(code="NEW").exists()
