"""Enrolling, verifying, removing and resetting a person's second factor.

Verifying is throttled per person: MFA_FAILURE_LIMIT wrong codes within MFA_FAILURE_WINDOW sign the
session out, and until the window has passed every code (right or wrong) is refused. The count is
the MFA_FAILED security events themselves, read with the person's user row locked so that parallel
attempts are counted one after another.
"""

from __future__ import annotations

import base64
import secrets
from enum import StrEnum

from django.conf import settings
from django.contrib.auth import get_user_model, logout
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from quality.org.models import Person
from quality.org.services import change_record
from quality.security.events import Kind, record_event
from quality.security.models import SecurityEvent

from .messages import SETUP_CODE_WRONG
from .models import RecoveryCode, RecoveryCodeDevice, code_hash

RECOVERY_CODE_COUNT = 10
DEVICE_NAME = "Authenticator app"


class Outcome(StrEnum):
    VERIFIED = "verified"
    RECOVERY_CODE = "recovery_code"  # verified, with one of the recovery codes
    WRONG = "wrong"
    LOCKED = "locked"  # too many wrong codes: the session has been signed out


def totp_device_pending(*, user) -> TOTPDevice:
    """The authenticator being set up: the same secret until it is confirmed, so a reload of the
    page never invalidates a QR code already scanned."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def secret_for_typing(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it when typed (base32), in groups of four."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _new_recovery_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()  # 80 random bits, 16 letters
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _remove_devices(user) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCodeDevice.objects.filter(user=user).delete()


def recovery_codes_create(*, user) -> list[str]:
    """Ten new codes, replacing any the person had. Only their hashes are kept: the caller shows
    the codes once."""
    RecoveryCodeDevice.objects.filter(user=user).delete()
    device = RecoveryCodeDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(RecoveryCode(device=device, code_hash=code_hash(code)) for code in codes)
    return codes


@transaction.atomic
def second_factor_enrol(*, request, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the authenticator with a code it shows now; returns the new recovery codes.

    The session counts as verified from here on (the person has just proved they hold the app)."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=request.user, confirmed=False)
    if not device.verify_token(code.strip()):
        raise ValidationError({"code": SETUP_CODE_WRONG})
    TOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = recovery_codes_create(user=request.user)
    otp_login(request, device)
    record_event(Kind.MFA_ENROLLED, request=request, user=request.user)
    return codes


def _recent_failures(user) -> int:
    since = timezone.now() - settings.MFA_FAILURE_WINDOW
    return SecurityEvent.objects.filter(kind=Kind.MFA_FAILED, user=user, at__gte=since).count()


def _device_for(user, code: str):
    """A 6-digit code is the authenticator's; anything else can only be a recovery code."""
    if code.isdigit():
        return TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
    return RecoveryCodeDevice.objects.select_for_update().filter(user=user, confirmed=True).first()


def _check_code(*, request, code: str) -> Outcome:
    user = request.user
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()  # one attempt at a time
    if _recent_failures(user) >= settings.MFA_FAILURE_LIMIT:
        return Outcome.LOCKED
    code = "".join(code.split())
    device = _device_for(user, code) if code else None
    if device is None or not device.verify_token(code):
        record_event(Kind.MFA_FAILED, request=request, user=user)
        return Outcome.LOCKED if _recent_failures(user) >= settings.MFA_FAILURE_LIMIT else Outcome.WRONG
    otp_login(request, device)
    if isinstance(device, RecoveryCodeDevice):
        record_event(Kind.RECOVERY_CODE_USED, request=request, user=user, detail={"left": device.codes_left()})
        return Outcome.RECOVERY_CODE
    return Outcome.VERIFIED


def _checked(request, code: str, then=None) -> Outcome:
    """Check the code in one transaction (and, when it is right, do `then` in the same one); sign
    the session out after the commit if that was one wrong code too many."""
    with transaction.atomic():
        outcome = _check_code(request=request, code=code)
        if then is not None and outcome in (Outcome.VERIFIED, Outcome.RECOVERY_CODE):
            then()
    if outcome is Outcome.LOCKED:
        logout(request)
    return outcome


def second_factor_verify(*, request, code: str) -> Outcome:
    """Check a code typed after the password: the authenticator's, or a recovery code (spent)."""
    return _checked(request, code)


def second_factor_remove(*, request, code: str) -> Outcome:
    """The person removes their own second factor, proving it with a current code (or a recovery
    code). Required roles are then sent to set it up again before anything else."""

    def remove():
        _remove_devices(request.user)
        record_event(Kind.MFA_REMOVED, request=request, user=request.user, detail={"by": "self"})

    return _checked(request, code, then=remove)


@transaction.atomic
def second_factor_reset(*, request, person: Person, reason: str) -> None:
    """An administrator removes someone's second factor (a lost phone): the person sets up a new
    one at their next sign-in. Their sessions verified by the old one stop counting as verified."""
    _remove_devices(person.user)
    change_record(
        actor=request.user,
        target=person,
        action="person.second_factor_reset",
        summary="Second factor reset",
        reason=reason,
    )
    record_event(
        Kind.MFA_REMOVED, request=request, user=person.user, actor=request.user, detail={"by": "administrator"}
    )
