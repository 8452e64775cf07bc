"""Recovery codes, kept only as hashes: a django-otp device of our own.

django-otp's StaticDevice keeps its tokens as they are typed, so anyone who can read the table
(a backup, a support query) could sign in as anybody holding codes. Here only a SHA-256 of each
code is stored. The codes are 80 random bits, so a plain hash is enough to make them unguessable
from the table (a slow, salted hash protects passwords people choose, not random secrets), and it
lets a code be found and spent in one conditional UPDATE.
"""

import hashlib

from django.db import models
from django.utils import timezone
from django_otp.models import Device


def code_hash(code: str) -> str:
    """The stored form of a recovery code, whatever its case, spaces or dashes when typed."""
    normalised = "".join(code.split()).replace("-", "").lower()
    return hashlib.sha256(normalised.encode()).hexdigest()


class RecoveryCodeDevice(Device):
    """A person's set of recovery codes: one device, ten codes, each good once."""

    def verify_token(self, token) -> bool:
        # One statement finds and spends the code, so two requests racing with it cannot both win.
        spent = self.codes.filter(code_hash=code_hash(str(token)), used_at__isnull=True).update(used_at=timezone.now())
        return spent == 1

    def codes_left(self) -> int:
        return self.codes.filter(used_at__isnull=True).count()


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "code_hash"], name="recovery_code_once_per_device")]

    def __str__(self) -> str:
        return f"Recovery code {'used' if self.used_at else 'unused'}"
