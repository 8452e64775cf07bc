"""The suite's people have set up an authenticator app, and sign in with a code from it.

Every page waits for the second factor (quality/mfa/middleware.py), in the tests as in production.
So the shared helpers pass it the way a person does: `client.force_login` (patched for every test
in tests/conftest.py) stands for signing in with a password *and* a code, as Django's force_login
stands for the password: the person gets a confirmed authenticator (if they have none) and the
session is verified by it, through django-otp's own `login`, exactly as the code page does after a
right code. The browser's `sign_in` types a real code computed with pyotp (tests/browser/conftest.py).
Tests of the second factor itself sign in with a password only: `sign_in_with_password_only`.
"""

from __future__ import annotations

import base64
import time

import pyotp
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

_django_force_login = Client.force_login  # Django's own, before tests/conftest.py wraps it


def enrolled_device(user) -> TOTPDevice:
    """The person's authenticator, set up now if they have none (as if they had done it before)."""
    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).first()
    return device or TOTPDevice.objects.create(user_id=user.pk, name="Authenticator app", confirmed=True)


def current_code(device: TOTPDevice) -> str:
    """The code the person's app shows now, as pyotp computes it from the shared secret.

    A code is good once: someone signing in again within the same 30 seconds waits for the app's
    next code. The suite does not wait: it lets the device accept the current step again."""
    device.refresh_from_db()
    now_t = int(time.time() - device.t0) // device.step + device.drift
    t = max(now_t, device.last_t + 1)
    if t > now_t + device.tolerance:
        TOTPDevice.objects.filter(pk=device.pk).update(last_t=now_t - 1)
        t = now_t
    secret = base64.b32encode(device.bin_key).decode()
    return pyotp.TOTP(secret, digits=device.digits, interval=device.step).at(device.t0 + t * device.step)


def force_login_with_second_factor(client: Client, user, backend=None) -> None:
    """Django's force_login, then the session verified by the person's authenticator."""
    _django_force_login(client, user, backend)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = enrolled_device(user).persistent_id
    session.save()


def sign_in_with_password_only(client: Client, user, backend=None) -> None:
    """Signed in, second factor not passed yet: where a person stands after the password page."""
    _django_force_login(client, user, backend)


def user_by_email(email: str):
    return get_user_model().objects.filter(email__iexact=email).first()
