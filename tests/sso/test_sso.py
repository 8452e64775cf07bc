"""Single sign-on against a real OpenID Connect provider on loopback (tests/sso/provider.py).

The test client plays the browser on the portal's side; `requests` signs in at the provider's form
and brings back the address the provider redirects to, as a browser would follow it.
"""

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from quality.org.messages import PASSWORD_SIGN_IN_SSO_ONLY, SSO_FAILED, SSO_NOT_SET_UP
from quality.security.events import username_key
from quality.security.models import Kind, SecurityEvent
from quality.sso import CouncilAccountBackend

from ..factories import PASSWORD
from ..test_security_settings import run_python
from .provider import point_portal_at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

SSO_BUTTON = "Sign in with your council account"


def at_provider(client, sub: str, *, next_url: str = "") -> str:
    """Start at the portal's button, sign in as `sub` at the provider: the callback it sends back to."""
    start = client.get(reverse("oidc_authentication_init") + (f"?{urlencode({'next': next_url})}" if next_url else ""))
    assert start.status_code == 302
    answer = requests.post(start.url, data={"sub": sub}, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    return local(answer.headers["Location"])


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def with_query(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()} | changes
    return f"{parts.path}?{urlencode(query)}"


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def refusals():
    return [event.detail["reason"] for event in SecurityEvent.objects.filter(kind=Kind.SSO_REFUSED)]


def assert_refused(client, response, message: str, reason: str) -> None:
    """Back on the sign-in page with the message, no session, and one security event saying why."""
    assert response.status_code == 302
    assert response.url == reverse("login")
    page = client.get(response.url)
    assert [str(shown) for shown in page.context["messages"]] == [message]
    assert signed_in_user_id(client) is None
    assert refusals() == [reason]


# -- signing in --


def test_a_person_signs_in_with_their_council_account_and_lands_on_the_home_page(client, sso, practitioner):
    sso.user("pat", email=practitioner.user.email, email_verified=True)

    response = client.get(at_provider(client, "pat"))

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert signed_in_user_id(client) == str(practitioner.user.pk)
    assert client.session[BACKEND_SESSION_KEY] == "quality.sso.CouncilAccountBackend"
    assert client.get(reverse("home")).context["user"] == practitioner.user
    # Recorded by the sign-in signal, like every other way in; nothing refused.
    assert SecurityEvent.objects.filter(kind=Kind.SIGN_IN, user=practitioner.user).count() == 1
    assert refusals() == []


def test_the_page_asked_for_before_signing_in_is_where_the_person_lands(client, sso, practitioner):
    sso.user("pat-next", email=practitioner.user.email, email_verified=True)
    wanted = reverse("notification_list")

    response = client.get(at_provider(client, "pat-next", next_url=wanted))

    assert response.url == wanted


def test_the_address_is_matched_whatever_its_case(client, sso, practitioner):
    sso.user("pat-upper", email=practitioner.user.email.upper(), email_verified=True)

    client.get(at_provider(client, "pat-upper"))

    assert signed_in_user_id(client) == str(practitioner.user.pk)


def test_an_address_without_the_verified_claim_signs_in_only_when_the_council_trusts_its_provider(
    client, sso, practitioner, settings
):
    sso.user("pat-entra", email=practitioner.user.email)  # as Microsoft Entra ID sends it: no email_verified

    assert_refused(client, client.get(at_provider(client, "pat-entra")), SSO_NOT_SET_UP, "email_unverified")

    settings.OIDC_TRUST_EMAIL_WITHOUT_VERIFIED_CLAIM = True
    client.get(at_provider(client, "pat-entra"))
    assert signed_in_user_id(client) == str(practitioner.user.pk)


def test_a_deactivated_persons_council_account_session_ends_on_their_next_page(client, sso, practitioner):
    sso.user("pat-leaving", email=practitioner.user.email, email_verified=True)
    client.get(at_provider(client, "pat-leaving"))
    assert client.get(reverse("home")).status_code == 200

    practitioner.user.is_active = False
    practitioner.user.save(update_fields=["is_active"])

    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# -- refusals --


def test_an_unknown_address_is_refused_and_nobody_is_created(client, sso, practitioner):
    sso.user("stranger", email="stranger@council.example", email_verified=True)
    people = get_user_model().objects.count()

    response = client.get(at_provider(client, "stranger"))

    assert_refused(client, response, SSO_NOT_SET_UP, "unknown_email")
    assert get_user_model().objects.count() == people
    # The address is kept only as its keyed hash, as for a name typed on the sign-in form.
    assert SecurityEvent.objects.get(kind=Kind.SSO_REFUSED).username_key == username_key("stranger@council.example")


def test_a_name_locked_on_the_sign_in_form_is_refused_by_single_sign_on_too(client, sso, practitioner, settings):
    sso.user("pat-locked", email=practitioner.user.email, email_verified=True)
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": practitioner.user.email, "password": "not it"})

    assert_refused(client, client.get(at_provider(client, "pat-locked")), SSO_FAILED, "locked")


def test_a_deactivated_person_is_refused(client, sso, practitioner):
    practitioner.user.is_active = False
    practitioner.user.save(update_fields=["is_active"])
    sso.user("pat-gone", email=practitioner.user.email, email_verified=True)

    assert_refused(client, client.get(at_provider(client, "pat-gone")), SSO_NOT_SET_UP, "deactivated")


def test_an_address_the_provider_says_is_not_verified_is_refused_even_when_the_claim_is_trusted(
    client, sso, practitioner, settings
):
    settings.OIDC_TRUST_EMAIL_WITHOUT_VERIFIED_CLAIM = True
    sso.user("pat-unverified", email=practitioner.user.email, email_verified=False)

    assert_refused(client, client.get(at_provider(client, "pat-unverified")), SSO_NOT_SET_UP, "email_unverified")


def test_a_callback_with_a_state_this_browser_did_not_start_is_refused(client, sso, practitioner):
    sso.user("pat-state", email=practitioner.user.email, email_verified=True)
    callback = at_provider(client, "pat-state")

    response = client.get(with_query(callback, state="not-the-state-the-portal-sent"))

    assert_refused(client, response, SSO_FAILED, "state_mismatch")


def test_a_callback_in_another_browser_is_refused(client, sso, practitioner):
    """Login CSRF: an attacker's code and state, sent to someone else's browser, sign nobody in."""
    sso.user("attacker", email=practitioner.user.email, email_verified=True)
    callback = at_provider(Client(), "attacker")

    assert_refused(client, client.get(callback), SSO_FAILED, "state_mismatch")


def test_a_replayed_code_is_refused(client, sso, practitioner):
    sso.user("pat-replay", email=practitioner.user.email, email_verified=True)
    used = at_provider(client, "pat-replay")
    client.get(used)
    client.post(reverse("logout"))
    assert refusals() == []

    # The used code, with a state the browser did start, as an attacker who saw the code would try.
    fresh = at_provider(client, "pat-replay")
    response = client.get(with_query(fresh, code=parse_qs(urlsplit(used).query)["code"][0]))

    assert_refused(client, response, SSO_FAILED, "code_refused")


def test_the_same_callback_twice_is_refused_the_second_time(client, sso, practitioner):
    sso.user("pat-twice", email=practitioner.user.email, email_verified=True)
    callback = at_provider(client, "pat-twice")
    client.get(callback)
    client.post(reverse("logout"))

    assert_refused(client, client.get(callback), SSO_FAILED, "state_mismatch")


def test_an_expired_id_token_is_refused(client, settings, expiring_provider, practitioner):
    point_portal_at(settings, expiring_provider)
    expiring_provider.user("pat-late", email=practitioner.user.email, email_verified=True)

    assert_refused(client, client.get(at_provider(client, "pat-late")), SSO_FAILED, "token_expired")


def test_an_id_token_signed_with_another_key_is_refused(client, sso, practitioner, monkeypatch):
    """Someone between the portal and the provider swaps the ID token for one they signed."""
    sso.user("pat-forged", email=practitioner.user.email, email_verified=True)
    real_get_token = CouncilAccountBackend.get_token
    their_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def forged(backend, payload):
        answer = real_get_token(backend, payload)
        claims = jwt.decode(answer["id_token"], options={"verify_signature": False})
        header = jwt.get_unverified_header(answer["id_token"])
        answer["id_token"] = jwt.encode(claims, their_key, algorithm="RS256", headers=header)
        return answer

    monkeypatch.setattr(CouncilAccountBackend, "get_token", forged)

    assert_refused(client, client.get(at_provider(client, "pat-forged")), SSO_FAILED, "token_invalid")


@pytest.mark.parametrize(
    ("change", "accepted"),
    [
        ({}, True),
        ({"aud": "another-application"}, False),
        ({"iss": "https://another-tenant.example"}, False),
        ({"exp": None}, False),
    ],
    ids=["as-issued", "another-audience", "another-issuer", "no-expiry"],
)
def test_an_id_token_must_be_for_this_portal_from_this_issuer_and_expire(change, accepted):
    """The library checks the signature only; these are the portal's own checks (get_payload_data)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    backend = CouncilAccountBackend()
    backend.issuer, backend.OIDC_RP_CLIENT_ID, backend.OIDC_RP_SIGN_ALGO = "https://idp.example", "portal", "RS256"
    now = int(time.time())
    claims = {"iss": "https://idp.example", "aud": "portal", "sub": "pat", "iat": now, "exp": now + 300} | change
    token = jwt.encode({name: value for name, value in claims.items() if value is not None}, key, algorithm="RS256")

    if accepted:
        assert backend.get_payload_data(token, key.public_key())["sub"] == "pat"
    else:
        with pytest.raises(jwt.PyJWTError):
            backend.get_payload_data(token, key.public_key())


def test_a_provider_that_cannot_be_reached_is_refused_with_the_message(client, sso, settings):
    settings.OIDC_DISCOVERY_URL = "http://localhost:9/.well-known/openid-configuration"  # discard: nobody there

    assert_refused(client, client.get(reverse("oidc_authentication_init")), SSO_FAILED, "provider_unreachable")


def test_a_person_who_cancels_at_the_provider_is_sent_back_with_the_message(client, sso):
    start = client.get(reverse("oidc_authentication_init"))
    answer = requests.post(start.url, data={"action": "deny"}, allow_redirects=False, timeout=5)

    assert_refused(client, client.get(local(answer.headers["Location"])), SSO_FAILED, "provider_error")


# -- the settings --

SHOW_SETTINGS = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.SSO_CONFIGURED, settings.OIDC_DISCOVERY_URL, *settings.AUTHENTICATION_BACKENDS)"
)
LOCAL = {"DJANGO_SETTINGS_MODULE": "quality.settings.local"}
PROVIDER_ENV = {
    "OIDC_ISSUER": "https://login.example/tenant/v2.0/",
    "OIDC_RP_CLIENT_ID": "portal",
    "OIDC_RP_CLIENT_SECRET": "s",
}


def test_single_sign_on_is_on_when_the_provider_and_the_client_are_set():
    off = run_python(["-c", SHOW_SETTINGS], LOCAL)
    on = run_python(["-c", SHOW_SETTINGS], LOCAL | PROVIDER_ENV)

    assert off.stdout.split() == ["False", "quality.sso.PasswordBackend"]
    assert on.stdout.split() == [
        "True",
        "https://login.example/tenant/v2.0/.well-known/openid-configuration",
        "quality.sso.PasswordBackend",
        "quality.sso.CouncilAccountBackend",
    ]


def test_passwords_for_break_glass_administrators_only_need_single_sign_on():
    without = run_python(["-c", SHOW_SETTINGS], LOCAL | {"PASSWORD_SIGN_IN": "break_glass_only"})
    with_it = run_python(["-c", SHOW_SETTINGS], LOCAL | PROVIDER_ENV | {"PASSWORD_SIGN_IN": "break_glass_only"})

    assert without.returncode != 0
    assert "PASSWORD_SIGN_IN" in without.stderr
    assert with_it.returncode == 0, with_it.stderr


# -- the sign-in page, with and without single sign-on --


def test_without_single_sign_on_the_page_has_no_council_account_button(client):
    assert not settings.SSO_CONFIGURED
    page = client.get(reverse("login"))

    assert SSO_BUTTON not in page.content.decode()
    assert client.get(reverse("oidc_authentication_init")).status_code == 404


def test_with_single_sign_on_the_page_offers_the_council_account_with_the_page_asked_for(client, sso):
    page = client.get(reverse("login") + "?next=/notifications/")

    assert SSO_BUTTON in page.content.decode()
    assert f'href="{reverse("oidc_authentication_init")}?next=/notifications/"' in page.content.decode()


# -- password sign-in kept for break-glass administrators --


@pytest.fixture
def break_glass(settings, sso, admin_person):
    settings.PASSWORD_SIGN_IN = "break_glass_only"
    settings.BREAK_GLASS_EMAILS = [admin_person.user.email]
    return admin_person


def test_a_correct_password_is_refused_for_someone_who_is_not_a_break_glass_administrator(
    client, break_glass, practitioner
):
    right = client.post(reverse("login"), {"username": practitioner.user.email, "password": PASSWORD})
    wrong = client.post(reverse("login"), {"username": practitioner.user.email, "password": "not-the-password"})

    # The same answer for a right and a wrong password: the form tells nobody which it was.
    for response in (right, wrong):
        assert response.status_code == 200
        assert list(response.context["form"].non_field_errors()) == [PASSWORD_SIGN_IN_SSO_ONLY]
    assert signed_in_user_id(client) is None


def test_a_break_glass_administrator_signs_in_with_a_password(client, break_glass):
    response = client.post(reverse("login"), {"username": break_glass.user.email.upper(), "password": PASSWORD})

    assert response.status_code == 302
    assert signed_in_user_id(client) == str(break_glass.user.pk)


def test_password_reset_sends_links_only_to_break_glass_administrators(client, break_glass, practitioner):
    for person in (practitioner, break_glass):
        client.post(reverse("password_reset"), {"email": person.user.email})

    assert [message.to for message in mail.outbox] == [[break_glass.user.email]]


def test_a_password_session_ends_when_password_sign_in_is_switched_off_for_that_person(
    client, settings, sso, practitioner
):
    client.force_login(practitioner.user, backend="quality.sso.PasswordBackend")
    assert client.get(reverse("home")).status_code == 200

    settings.PASSWORD_SIGN_IN = "break_glass_only"

    assert client.get(reverse("home")).status_code == 302


def test_the_sign_in_page_says_passwords_are_for_named_administrators(client, break_glass):
    page = client.get(reverse("login")).content.decode()

    assert SSO_BUTTON in page
    assert "Password sign-in is kept for named administrators." in page
