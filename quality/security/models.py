"""Security events and access records (append-only, kept SECURITY_EVENT_RETENTION) and the sign-in
throttle's counters."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
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
        SURVEY_ADDRESS = "survey_address", "Public survey pages: address"

    scope = models.CharField(max_length=16, choices=Scope.choices)
    key = models.CharField(max_length=64)  # a keyed hash of a name or e-mail; an IP address as it is
    window_started_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="sign_in_throttle_one_row_per_key")]

    def __str__(self) -> str:
        return f"{self.scope}: {self.attempts} attempts since {self.window_started_at:%d/%m/%Y %H:%M}"


class AccessRecord(models.Model):
    """Who opened, printed or downloaded which record, or exported which list: written once by
    access.record_access, never changed (kept SECURITY_EVENT_RETENTION, like the events).

    `case_reference` is copied from the record so a search by case needs no join (and still finds the
    record if the audit's reference is corrected later). It is the council's case number, never a name,
    and stays in the database: it never goes to a log line or a URL.
    """

    class Kind(models.TextChoices):
        VIEWED = "viewed", "Viewed"
        PRINTED = "printed", "Printed page"
        PDF_DOWNLOADED = "pdf_downloaded", "PDF downloaded"
        LIST_EXPORTED = "list_exported", "List exported"
        REPORT_DOWNLOADED = "report_downloaded", "Report downloaded"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # The record's model label ("audits.audit", "audits.learningaction"...), or "list" for an export.
    object_type = models.CharField(max_length=64)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    case_reference = models.CharField(max_length=32, blank=True)
    # Exports only: which list (the file's stem), the filters chosen (the query string) and how many rows.
    list_name = models.CharField(max_length=64, blank=True)
    filters = models.CharField(max_length=500, blank=True)
    row_count = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        get_latest_by = "at"
        indexes = [
            models.Index(fields=["object_type", "object_id", "at"], name="access_record_object_at"),
            models.Index(fields=["user", "at"], name="access_record_user_at"),
            # The search by case reference matches whatever the case: iexact compares UPPER() of both.
            models.Index(Upper("case_reference"), "at", name="access_record_case_at"),
        ]
        triggers = [append_only.protect()]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%d/%m/%Y %H:%M}"


def _checked_upload_path(instance: "CheckedUpload", _name: str) -> str:
    # The random token alone names the kept file: never the person's file name, which may say whose it is.
    return f"checked-uploads/{instance.token}"


class CheckedUpload(models.Model):
    """A file someone checked ("Check only") and may load next without choosing it again
    (quality/security/checked_uploads.py): kept under a random token, for that person and that kind of
    upload only, until `expires_at`. The load reads and checks the whole file again."""

    class Kind(models.TextChoices):
        CASE_LIST = "case_list", "Case list"
        KPI_VALUES = "kpi_values", "KPI values"
        CATALOGUE = "catalogue", "Indicator catalogue"
        COMPLAINTS = "complaints", "Complaints system export"

    token = models.CharField(max_length=64, unique=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    file = models.FileField(upload_to=_checked_upload_path)
    file_name = models.CharField(max_length=255)  # as chosen: the import reads CSV or XLSX from it
    sha256 = models.CharField("SHA-256", max_length=64)  # at the check: the load refuses a file changed since
    checked_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="checked_upload_expires")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} checked by user {self.owner_id}"
