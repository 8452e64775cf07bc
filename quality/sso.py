"""Single sign-on with the council's identity provider over OpenID Connect (mozilla-django-oidc).

The provider's endpoints and keys come from its discovery document, fetched when first needed and
kept for an hour, so the portal starts (and password sign-in works) while the provider is away.
A person is matched by verified e-mail address to an existing, active user: nobody is created, and
roles stay managed in the portal. Every refusal sends the person back to the sign-in page with a
message and records a security event; a success goes through django.contrib.auth.login.

When single sign-on is configured, PASSWORD_SIGN_IN = "break_glass_only" keeps password sign-in
for the administrators named in BREAK_GLASS_EMAILS only (`password_sign_in_allowed`).
"""

import time

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.shortcuts import redirect
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from quality.org.messages import SSO_FAILED, SSO_NOT_SET_UP
from quality.security import lockout
from quality.security.events import Kind, record_event

DISCOVERY_MAX_AGE = 60 * 60  # seconds: the provider's endpoints rarely move; its keys are read at each sign-in
# Seconds of clock difference allowed between the provider and the portal when checking a token's times.
CLOCK_LEEWAY = 30
# Refusals about the person rather than the exchange: the message sends them to the administrator.
NOT_SET_UP_REASONS = frozenset({"no_email", "email_unverified", "unknown_email", "ambiguous_email", "deactivated"})


class ProviderUnavailable(Exception):
    """The discovery document could not be read."""


class SsoRefused(Exception):
    """A sign-in the portal will not accept, with a short reason code for the security event."""

    def __init__(self, reason: str, email: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.email = email


_discovered: dict[str, tuple[float, dict]] = {}


def provider() -> dict:
    """The provider's discovery document (endpoints, issuer, key set address)."""
    url = settings.OIDC_DISCOVERY_URL
    cached = _discovered.get(url)
    if cached and time.monotonic() - cached[0] < DISCOVERY_MAX_AGE:
        return cached[1]
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
        for key in ("issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
            if not isinstance(document.get(key), str):
                raise ValueError(f"discovery document lacks {key}")
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(str(exc)) from exc
    _discovered[url] = (time.monotonic(), document)
    return document


def password_sign_in_allowed(email: str) -> bool:
    """Whether this address may sign in with a password under PASSWORD_SIGN_IN."""
    if settings.PASSWORD_SIGN_IN != "break_glass_only":
        return True
    return email.strip().lower() in settings.BREAK_GLASS_EMAILS


def _email_is_verified(claims: dict) -> bool:
    verified = claims.get("email_verified")
    if verified is None:
        # Microsoft Entra ID does not send the claim: trusted only when the council says so.
        return settings.OIDC_TRUST_EMAIL_WITHOUT_VERIFIED_CLAIM
    return verified is True or verified == "true"  # some providers send the claim as a string


def user_for_claims(claims: dict):
    """The one active user whose e-mail address the provider vouches for; SsoRefused otherwise."""
    email = (claims.get("email") or "").strip()
    if not email:
        raise SsoRefused("no_email")
    if not _email_is_verified(claims):
        raise SsoRefused("email_unverified", email)
    users = list(get_user_model().objects.filter(email__iexact=email)[:2])
    if not users:
        raise SsoRefused("unknown_email", email)
    if len(users) > 1:
        raise SsoRefused("ambiguous_email", email)
    if not users[0].is_active:
        raise SsoRefused("deactivated", email)
    return users[0]


class PasswordBackend(ModelBackend):
    """Django's password check, for the people PASSWORD_SIGN_IN still lets in by password.

    The sign-in form says why it refuses; this keeps every other way of checking a password (the
    Django admin's log-in page) under the same rule, and ends the password sessions of people the
    rule no longer lets in."""

    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and password_sign_in_allowed(user.email or "")


class CouncilAccountBackend(OIDCAuthenticationBackend):
    """Signs in the person the council's provider vouches for; never creates anyone."""

    def __init__(self, *args, **kwargs):
        # Django builds every backend for every sign-in, password ones included: ask the provider
        # nothing until its callback arrives.
        self.UserModel = get_user_model()

    def authenticate(self, request, *, nonce, code_verifier=None):
        # Keyword-only: Django passes a password sign-in's credentials to the backends whose
        # signature takes them, so only the callback (which sends the nonce) reaches this one.
        document = provider()
        self.issuer = document["issuer"]
        self.OIDC_OP_TOKEN_ENDPOINT = document["token_endpoint"]
        self.OIDC_OP_USER_ENDPOINT = document["userinfo_endpoint"]
        self.OIDC_OP_JWKS_ENDPOINT = document["jwks_uri"]
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        return super().authenticate(request, nonce=nonce, code_verifier=code_verifier)

    def get_token(self, payload):
        try:
            return super().get_token(payload)
        except requests.HTTPError as exc:  # a used, expired or stolen code
            raise SsoRefused("code_refused") from exc

    def retrieve_matching_jwk(self, token):
        if "kid" in jwt.get_unverified_header(token):
            return super().retrieve_matching_jwk(token)
        # OpenID Connect Core 10.1: a provider with a single signing key may leave `kid` out (the
        # library would fail on it); with several keys, a token must say which one signed it.
        response = requests.get(self.OIDC_OP_JWKS_ENDPOINT, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        keys = response.json().get("keys", [])
        if len(keys) != 1:
            raise SuspiciousOperation("the token names no key and the provider has several")
        return jwt.PyJWK(keys[0])

    def get_payload_data(self, token, key):
        """The ID token's claims, once its signature, issuer, audience and times are checked.

        The library checks the signature only; a token the same provider made for another
        application, or for another tenant, must not sign anyone in here."""
        if jwt.get_unverified_header(token).get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation("unexpected signing algorithm")
        return jwt.decode(
            token,
            key,
            algorithms=[self.OIDC_RP_SIGN_ALGO],
            audience=self.OIDC_RP_CLIENT_ID,
            issuer=self.issuer,
            leeway=CLOCK_LEEWAY,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )

    def get_userinfo(self, access_token, id_token, payload):
        userinfo = super().get_userinfo(access_token, id_token, payload)
        # OpenID Connect Core 5.3.2: the answer is about the person the ID token names, or nobody.
        if userinfo.get("sub") != payload.get("sub"):
            raise SsoRefused("subject_mismatch")
        return {**payload, **userinfo}

    def get_or_create_user(self, access_token, id_token, payload):
        """The person, under the same lock-out as a password: a name or address locked on the sign-in
        form is refused here too, and addresses the portal refuses count towards the address's limit."""
        claims = self.get_userinfo(access_token, id_token, payload)
        email = (claims.get("email") or "").strip()
        if not lockout.attempt_allowed(self.request, email):
            raise SsoRefused("locked", email)
        try:
            user = user_for_claims(claims)
        except SsoRefused:
            lockout.attempt_failed(self.request, email)
            raise
        lockout.attempt_succeeded(self.request, email)
        return user

    def create_user(self, claims):
        raise SsoRefused("unknown_email", claims.get("email") or "")

    def get_user(self, user_id):
        # The library's version returns deactivated people too: their sessions must end.
        return ModelBackend.get_user(self, user_id)


def refuse(request, reason: str, email: str = ""):
    """Back to the sign-in page with the message for this refusal, recorded as a security event
    (its log line carries the reason code, never the address)."""
    record_event(Kind.SSO_REFUSED, request=request, username=email, detail={"reason": reason})
    messages.error(request, SSO_NOT_SET_UP if reason in NOT_SET_UP_REASONS else SSO_FAILED)
    return redirect("login")


class SignInStartView(OIDCAuthenticationRequestView):
    """Sends the person to the provider with a fresh state and nonce (kept in their session)."""

    def __init__(self, **kwargs):
        # The library reads the provider's address when the view is built: here it is read in get().
        View.__init__(self, **kwargs)

    def get(self, request):
        if not settings.SSO_CONFIGURED:
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider()["authorization_endpoint"]
        except ProviderUnavailable:
            return refuse(request, "provider_unreachable")
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the person back: a success signs them in, anything else is refused."""

    def get(self, request):
        if not settings.SSO_CONFIGURED:
            raise Http404
        if "code" in request.GET and request.GET.get("state") not in request.session.get("oidc_states", {}):
            # Not a sign-in this browser started (forged or replayed), or its session has ended.
            return refuse(request, "state_mismatch")
        try:
            return super().get(request)
        except SsoRefused as refusal:
            return refuse(request, refusal.reason, refusal.email)
        except jwt.ExpiredSignatureError:
            return refuse(request, "token_expired")
        except (SuspiciousOperation, jwt.PyJWTError):
            return refuse(request, "token_invalid")
        except (ProviderUnavailable, requests.RequestException):
            return refuse(request, "provider_unreachable")

    def login_failure(self):
        # The provider answered with an error (the person cancelled, or it refused them).
        return refuse(self.request, "provider_error")
