"""Who must use a second factor, and when a session counts as verified.

Required for every role that reaches more than one service area or outside the council (they read
every area's case work, or manage the people who do); optional for the others, who may enrol from
their account page. MFA_REQUIRED_FOR_ALL makes it required for everyone with a role.
"""

from functools import lru_cache

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.utils.module_loading import import_string
from django_otp.plugins.otp_totp.models import TOTPDevice
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from quality.access import grant_for
from quality.org.models import Role

REQUIRED_ROLES = frozenset(
    {
        Role.ADMINISTRATOR,
        Role.QA_OFFICER,
        Role.QA_LEAD,
        Role.HEAD_OF_SERVICE,
        Role.SENIOR_LEADER,
        Role.PERFORMANCE_OFFICER,
        Role.PARTNER_AUDITOR,
    }
)


def second_factor_required(user) -> bool:
    """Must this person use a second factor (after a password)? Read from their current roles.

    Staff accounts reach Django's admin, which sees every table: they need it whatever their roles."""
    if user.is_staff or user.is_superuser:
        return True
    if settings.MFA_REQUIRED_FOR_ALL:
        return True
    return bool(grant_for(user).roles & REQUIRED_ROLES)  # roles cached for the request: no query of its own


def is_enrolled(user) -> bool:
    """Has the person a confirmed authenticator? (Recovery codes come with it, never alone.)"""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@lru_cache(maxsize=8)
def _is_identity_provider_backend(backend_path: str) -> bool:
    try:
        backend = import_string(backend_path)
    except ImportError:
        return False
    return isinstance(backend, type) and issubclass(backend, OIDCAuthenticationBackend)


def verified_by_identity_provider(request) -> bool:
    """Did the person sign in with their council account (single sign-on)?

    The council's identity provider enforces its own second factor (conditional access), so a
    session signed in through it counts as verified here: asking again would add nothing but a
    second authenticator to carry. Django stores the backend that signed the session in; any
    backend built on mozilla-django-oidc's is the identity provider's.
    """
    return _is_identity_provider_backend(request.session.get(BACKEND_SESSION_KEY, ""))


def is_verified(request) -> bool:
    """Has this session passed a second factor (ours, or the identity provider's)?"""
    return request.user.is_verified() or verified_by_identity_provider(request)
