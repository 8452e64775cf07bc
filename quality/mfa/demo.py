"""The demo council's people have an authenticator set up, so every demo log-in can be tried at once:
`manage.py demo_code EMAIL` prints the code their app would show now (see `current_code`)."""

import time

from django.contrib.auth import get_user_model
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from quality.org.demo import DEMO_DOMAIN

DEVICE_NAME = "Demo authenticator"


def demo_people():
    return get_user_model().objects.filter(email__iendswith=f"@{DEMO_DOMAIN}")


def load() -> None:
    """A confirmed authenticator for each demo person who has none (a run again adds nothing)."""
    enrolled = TOTPDevice.objects.filter(confirmed=True).values("user_id")
    TOTPDevice.objects.bulk_create(
        TOTPDevice(user=user, name=DEVICE_NAME, confirmed=True) for user in demo_people().exclude(pk__in=enrolled)
    )


def current_code(email: str) -> str | None:
    """The code a demo person's demo authenticator shows now; None for anyone else, whose secrets
    stay in their own app."""
    device = TOTPDevice.objects.filter(user__in=demo_people(), user__email__iexact=email, name=DEVICE_NAME).first()
    if device is None:
        return None
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"
