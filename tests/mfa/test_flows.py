"""Second factor with the test client: set up, sign in with a code or a recovery code, throttle,
removing and resetting, and no page reached before it. Codes are computed with pyotp."""

import base64
from datetime import timedelta

import pyotp
import pytest
from django.contrib.auth.backends import ModelBackend
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter
from django_otp.plugins.otp_totp.models import TOTPDevice
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from quality.mfa import messages as texts
from quality.mfa.middleware import OPEN_PAGES
from quality.mfa.models import RecoveryCode, RecoveryCodeDevice, code_hash
from quality.org.models import ChangeRecord, Role
from quality.security.models import Kind, SecurityEvent
from tests.factories import PASSWORD
from tests.second_factor import current_code, enrolled_device, sign_in_with_password_only

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

HOME = reverse("home")
ENROL = reverse("mfa:enrol")
VERIFY = reverse("mfa:verify")


def password_sign_in(client, person):
    response = client.post(reverse("login"), {"username": person.user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client.get(HOME)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def events(kind, user=None):
    rows = SecurityEvent.objects.filter(kind=kind)
    return rows.filter(user=user) if user is not None else rows


def enrol(client):
    """Set up from the set-up page, reading the secret as text: returns the recovery codes."""
    page = client.get(ENROL)
    secret = page.context["secret"].replace(" ", "")
    response = client.post(ENROL, {"code": pyotp.TOTP(secret).now(), "next": HOME})
    assert response.status_code == 302 and response.url.startswith(reverse("mfa:recovery_codes"))
    return client.get(response.url).context["codes"]


def test_a_qa_lead_is_sent_to_set_up_after_the_password(client, qa_lead):
    response = password_sign_in(client, qa_lead)
    assert response.status_code == 302 and response.url == f"{ENROL}?next=%2F"


def test_the_set_up_page_shows_a_qr_code_and_the_secret_in_groups_of_four(client, qa_lead):
    password_sign_in(client, qa_lead)
    page = client.get(ENROL)
    device = TOTPDevice.objects.get(user=qa_lead.user, confirmed=False)
    secret = page.context["secret"]
    assert all(len(group) == 4 for group in secret.split(" "))
    assert base64.b32decode(secret.replace(" ", "")) == device.bin_key
    html = page.content.decode()
    assert '<svg role="img" aria-label="QR code for your authenticator app"' in html
    assert "<script" not in html.split("<main")[1] and "style=" not in html.split("<main")[1]
    assert client.get(ENROL).context["secret"] == secret  # a reload keeps the QR code already scanned


def test_setting_up_gives_ten_recovery_codes_shown_once_and_stored_as_hashes(client, qa_lead):
    password_sign_in(client, qa_lead)
    codes = enrol(client)

    assert len(codes) == len(set(codes)) == 10
    stored = set(RecoveryCode.objects.filter(device__user=qa_lead.user).values_list("code_hash", flat=True))
    assert stored == {code_hash(code) for code in codes}
    assert not any(code.replace("-", "") in hashed for code in codes for hashed in stored)
    download = client.get(reverse("mfa:recovery_codes_download"))
    assert download["Content-Type"].startswith("text/plain") and "attachment" in download["Content-Disposition"]
    assert all(code in download.content.decode() for code in codes)

    done = client.post(reverse("mfa:recovery_codes"), {"next": HOME})
    assert done.status_code == 302 and done.url == HOME
    assert client.get(HOME).status_code == 200
    again = client.get(reverse("mfa:recovery_codes"), follow=True)
    assert texts.NO_CODES_TO_SHOW in messages_of(again) and codes[0] not in again.content.decode()
    assert events(Kind.MFA_ENROLLED, qa_lead.user).count() == 1


def test_a_wrong_set_up_code_is_refused_and_nothing_is_confirmed(client, qa_lead):
    password_sign_in(client, qa_lead)
    client.get(ENROL)
    response = client.post(ENROL, {"code": "000000"})
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == [texts.SETUP_CODE_WRONG]
    assert not TOTPDevice.objects.filter(user=qa_lead.user, confirmed=True).exists()
    assert client.get(HOME).url.startswith(ENROL)


def test_signing_in_again_asks_for_a_code_and_a_right_one_lands_on_home(client, qa_lead):
    password_sign_in(client, qa_lead)
    enrol(client)
    client.post(reverse("logout"))

    assert password_sign_in(client, qa_lead).url == f"{VERIFY}?next=%2F"
    response = client.post(VERIFY, {"code": current_code(enrolled_device(qa_lead.user)), "next": HOME})
    assert response.status_code == 302 and response.url == HOME
    assert client.get(HOME).status_code == 200


def test_someone_with_an_authenticator_cannot_set_up_another_with_the_password_alone(client, qa_lead):
    enrolled_device(qa_lead.user)
    password_sign_in(client, qa_lead)
    response = client.get(ENROL)
    assert response.status_code == 302 and response.url == reverse("mfa:verify")
    assert TOTPDevice.objects.filter(user=qa_lead.user).count() == 1


def test_a_recovery_code_works_once(client, qa_lead):
    password_sign_in(client, qa_lead)
    codes = enrol(client)
    client.post(reverse("logout"))

    password_sign_in(client, qa_lead)
    used = client.post(VERIFY, {"code": codes[3].upper(), "next": HOME}, follow=True)
    assert used.request["PATH_INFO"] == HOME
    assert texts.RECOVERY_CODE_USED.format(left=9) in messages_of(used)
    assert events(Kind.RECOVERY_CODE_USED, qa_lead.user).get().detail == {"left": 9}
    client.post(reverse("logout"))

    password_sign_in(client, qa_lead)
    refused = client.post(VERIFY, {"code": codes[3], "next": HOME})
    assert refused.status_code == 200 and refused.context["form"].errors["code"] == [texts.CODE_WRONG]
    assert events(Kind.MFA_FAILED, qa_lead.user).count() == 1
    assert client.get(HOME).url.startswith(VERIFY)


def test_five_wrong_codes_sign_the_session_out_and_codes_wait_for_the_window(client, qa_lead, frozen_today):
    device = enrolled_device(qa_lead.user)
    password_sign_in(client, qa_lead)
    for _ in range(4):
        assert client.post(VERIFY, {"code": "123456"}).status_code == 200
    locked = client.post(VERIFY, {"code": "123456"}, follow=True)

    assert texts.TOO_MANY_CODES in messages_of(locked)
    assert client.get(HOME).url.startswith(reverse("login"))
    assert events(Kind.MFA_FAILED, qa_lead.user).count() == 5
    password_sign_in(client, qa_lead)  # the password again: even the right code waits
    assert texts.TOO_MANY_CODES in messages_of(client.post(VERIFY, {"code": current_code(device)}, follow=True))

    frozen_today.tick(timedelta(minutes=16))
    password_sign_in(client, qa_lead)
    assert client.post(VERIFY, {"code": current_code(device), "next": HOME}).url == HOME


def test_an_enrolled_practitioner_enters_a_code_and_one_not_enrolled_goes_straight_in(
    client, practitioner, make_person, own_area
):
    assert password_sign_in(client, practitioner).status_code == 200
    other = make_person(Role.PRACTITIONER, own_area)
    enrolled_device(other.user)
    assert password_sign_in(Client(), other).url.startswith(VERIFY)


def test_a_practitioner_can_set_up_a_second_factor_from_their_account_page(client, practitioner):
    password_sign_in(client, practitioner)
    account = client.get(reverse("mfa:account"))
    assert account.status_code == 200 and not account.context["enrolled"]
    enrol(client)
    assert client.get(reverse("mfa:account")).context["enrolled"]


def test_removing_your_own_needs_a_current_code_then_a_required_role_sets_up_again(client, qa_lead):
    password_sign_in(client, qa_lead)
    enrol(client)
    client.post(reverse("mfa:recovery_codes"))

    wrong = client.post(reverse("mfa:remove"), {"code": "000000"}, follow=True)
    assert texts.CODE_WRONG in messages_of(wrong) and TOTPDevice.objects.filter(user=qa_lead.user).exists()

    removed = client.post(reverse("mfa:remove"), {"code": current_code(enrolled_device(qa_lead.user))})
    assert removed.status_code == 302
    assert not TOTPDevice.objects.filter(user=qa_lead.user).exists()
    assert not RecoveryCodeDevice.objects.filter(user=qa_lead.user).exists()
    assert events(Kind.MFA_REMOVED, qa_lead.user).get().detail == {"by": "self"}
    assert client.get(HOME).url.startswith(ENROL)


def test_an_administrator_resets_someones_second_factor_with_a_reason(client, admin_person, qa_lead):
    lead_browser = Client()
    lead_browser.force_login(qa_lead.user)  # verified by the authenticator being reset
    client.force_login(admin_person.user)
    url = reverse("mfa:reset", args=[qa_lead.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": ""}).status_code == 200
    assert TOTPDevice.objects.filter(user=qa_lead.user).exists()

    response = client.post(url, {"reason": "Lost phone, reported by their manager"})

    assert response.status_code == 302 and response.url == qa_lead.get_absolute_url()
    assert not TOTPDevice.objects.filter(user=qa_lead.user).exists()
    event = events(Kind.MFA_REMOVED, qa_lead.user).get()
    assert (event.actor, event.detail) == (admin_person.user, {"by": "administrator"})
    change = ChangeRecord.objects.get(action="person.second_factor_reset", target_id=qa_lead.pk)
    assert (change.actor, change.reason) == (admin_person.user, "Lost phone, reported by their manager")
    assert lead_browser.get(HOME).url.startswith(ENROL)  # their session no longer counts as verified


def test_a_qa_lead_cannot_reset_someones_second_factor(client, qa_lead, make_person):
    other = make_person(Role.QA_OFFICER, None)
    enrolled_device(other.user)
    client.force_login(qa_lead.user)
    assert client.post(reverse("mfa:reset", args=[other.pk]), {"reason": "x"}).status_code == 403
    assert TOTPDevice.objects.filter(user=other.user).exists()


def test_the_code_page_never_sends_the_person_to_another_site(client, qa_lead):
    device = enrolled_device(qa_lead.user)
    password_sign_in(client, qa_lead)
    response = client.post(VERIFY, {"code": current_code(device), "next": "https://evil.example/"})
    assert response.url == HOME


def _sample_url(pattern: URLPattern, prefix: str) -> str:
    """A URL for the pattern with made-up values: the middleware answers before any view looks."""
    kwargs = {
        name: 1 if isinstance(converter, IntConverter) else "x"
        for name, converter in pattern.pattern.converters.items()
    }
    return reverse(f"{prefix}{pattern.name}", kwargs=kwargs)


def _every_page(patterns=None, prefix=""):
    """Every named page of the project but the open ones (Django's admin: its index stands for it)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver) and pattern.namespace != "admin":
            inner = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _every_page(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name and f"{prefix}{pattern.name}" not in OPEN_PAGES:
            yield _sample_url(pattern, prefix)


def test_a_required_role_reaches_no_page_before_setting_up(client, qa_lead):
    sign_in_with_password_only(client, qa_lead.user)
    pages = list(_every_page())
    assert reverse("audits:audit_export_mine_csv") in pages and reverse("security:event_list") in pages
    pages.append("/django-admin/")

    for url in pages:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(f"{ENROL}?next="), url


def test_a_script_gets_401_json_and_htmx_is_sent_to_the_code_page(client, qa_lead):
    enrolled_device(qa_lead.user)
    sign_in_with_password_only(client, qa_lead.user)
    autosave = reverse("audits:audit_autosave", args=[1])

    by_htmx = client.post(autosave, {}, headers={"HX-Request": "true"})
    by_script = client.post(autosave, {}, headers={"Accept": "application/json"})

    assert by_htmx.status_code == by_script.status_code == 401
    assert by_htmx["HX-Redirect"] == VERIFY and by_script.json() == {"second_factor_needed": True}


class CouncilBackend(OIDCAuthenticationBackend):
    """Stands for quality.sso's back end: what matters here is that it is built on mozilla-django-oidc's."""

    def __init__(self, *args, **kwargs):
        pass

    def get_user(self, user_id):
        return ModelBackend().get_user(user_id)


def test_a_single_sign_on_session_counts_as_verified_by_the_councils_provider(client, qa_lead, settings):
    backend = f"{__name__}.CouncilBackend"
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, backend]
    sign_in_with_password_only(client, qa_lead.user, backend=backend)
    assert client.get(HOME).status_code == 200
