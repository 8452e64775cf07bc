"""Security events (append-only, kept SECURITY_EVENT_RETENTION) and the sign-in throttle's counters."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from quality import append_only


class Kind(models.TextChoices):
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    LOCKED_OUT = "locked_out", "Locked out"
    SSO_REFUSED = "sso_refused", "Single sign-on refused"
    MFA_ENROLLED = "mfa_enrolled", "Second factor enrolled"
    MFA_REMOVED = "mfa_removed", "Second factor removed"
    MFA_FAILED = "mfa_failed", "Second factor code refused"
    RECOVERY_CODE_USED = "recovery_code_used", "Recovery code used"
    PASSWORD_RESET_ASKED = "password_reset_asked", "Password reset asked"
    PASSWORD_RESET_DONE = "password_reset_done", "Password reset done"
    PASSWORD_CHANGED = "password_changed", "Password changed"
    ROLE_GRANTED = "role_granted", "Role granted"
    ROLE_ENDED = "role_ended", "Role ended"
    PERSON_DEACTIVATED = "person_deactivated", "Person deactivated"
    INVITATION_SENT = "invitation_sent", "Invitation sent"
    ACCESS_REFUSED = "access_refused", "Access refused"
    SIGNED_OUT = "signed_out", "Signed out"
    EVENTS_PURGED = "events_purged", "Old events removed"


class SecurityEvent(models.Model):
    """Who did what, when, from where: written once by events.record_event, never changed.

    `user` and `actor` protect their users: people are deactivated, never deleted, so the history
    keeps naming them. A name typed at sign-in that matches nobody is kept only as its keyed hash.
    """

    Kind = Kind

    at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    username_key = models.CharField(max_length=64, blank=True, db_index=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        get_latest_by = "at"
        indexes = [models.Index(fields=["kind", "at"], name="security_event_kind_at")]
        triggers = [append_only.protect()]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%d/%m/%Y %H:%M}"


class SignInThrottle(models.Model):
    """Attempts counted against one key in a window: updated in one statement by quality/security/lockout.py."""

    class Scope(models.TextChoices):
        NAME = "name", "User name"
        ADDRESS = "address", "Address"
        RESET_EMAIL = "reset_email", "Password reset: e-mail address"
        RESET_ADDRESS = "reset_address", "Password reset: address"

    scope = models.CharField(max_length=16, choices=Scope.choices)
    key = models.CharField(max_length=64)  # a keyed hash of a name or e-mail; an IP address as it is
    window_started_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="sign_in_throttle_one_row_per_key")]

    def __str__(self) -> str:
        return f"{self.scope}: {self.attempts} attempts since {self.window_started_at:%d/%m/%Y %H:%M}"
