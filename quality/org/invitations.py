"""Joiners: the invitation e-mail an administrator's new person gets, and again on demand.

It goes as a notification (quality/org/notify.py), so a worker sends it after the commit, with the
notification e-mails' retries and sweep. Where the person signs in with a password, the e-mail holds
a link to set one: its token is made by the worker as it sends the e-mail, so it is never stored nor
queued, and never logged. The token is one-time because its hash covers the password and the last
sign-in (Django's PasswordResetTokenGenerator), both of which setting the password changes, and it
lasts INVITATION_TIMEOUT (72 hours) from the sending. Where the person signs in with their council
account (single sign-on set up, and not a break-glass administrator), the e-mail points to the
portal instead and has no password link.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from quality.security.events import Kind, record_event
from quality.security.models import SecurityEvent

from .messages import INVITATION_INACTIVE, INVITATION_THROTTLED
from .models import Person
from .notify import notify

User = get_user_model()

SUBJECT = "Your account on the case quality portal"
BODY_PASSWORD = (
    "An administrator has given you an account on the case quality portal.\n\n"
    "Follow the link below to choose your password, then sign in with your e-mail address. "
    "The link works once and lasts 72 hours; if it has expired, ask the administrator to send the "
    "invitation again. Depending on your role, the portal then asks you to set up an authenticator app."
)
BODY_SSO = (
    "An administrator has given you an account on the case quality portal.\n\n"
    'Open the portal at the address below and choose "Sign in with your council account". '
    "You do not need a password for the portal."
)


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Password reset's tokens with their own salt (a reset link is no invitation, nor the other way)
    and their own lifetime, INVITATION_TIMEOUT instead of PASSWORD_RESET_TIMEOUT."""

    key_salt = "quality.org.invitations.InvitationTokenGenerator"

    def check_token(self, user, token) -> bool:
        # Django's check_token reads PASSWORD_RESET_TIMEOUT itself: the same steps, with our timeout.
        if not (user and token):
            return False
        try:
            timestamp = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        if self._num_seconds(self._now()) - timestamp > settings.INVITATION_TIMEOUT:
            return False
        return any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )


invitation_token_generator = InvitationTokenGenerator()


def by_password(user) -> bool:
    """Does this person join with a password (rather than their council account)?"""
    return not settings.SSO_CONFIGURED or user.email.strip().lower() in settings.BREAK_GLASS_EMAILS


def set_password_url(user) -> str:
    """A fresh one-time link for the person to set their password (for the e-mail only: never store it)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = invitation_token_generator.make_token(user)
    return f"{settings.PORTAL_URL}{reverse('invitation_accept', args=[uid, token])}"


def _sent_recently(user) -> int:
    since = timezone.now() - settings.INVITATION_RESEND_WINDOW
    return SecurityEvent.objects.filter(kind=Kind.INVITATION_SENT, user=user, at__gte=since).count()


@transaction.atomic
def invitation_send(*, actor, person: Person) -> None:
    """Queue the person's invitation e-mail; at most INVITATION_RESEND_LIMIT in INVITATION_RESEND_WINDOW."""
    # Locking the person's user takes two administrators' clicks one after the other, so the count holds.
    user = User.objects.select_for_update().get(pk=person.user_id)
    if not user.is_active:
        raise ValidationError(INVITATION_INACTIVE)
    if _sent_recently(user) >= settings.INVITATION_RESEND_LIMIT:
        raise ValidationError(INVITATION_THROTTLED)
    with_password = by_password(user)
    notify(
        users=[user],
        subject=SUBJECT,
        body=BODY_PASSWORD if with_password else BODY_SSO,
        url="" if with_password else reverse("login"),
        invitation_link=with_password,
    )
    record_event(
        Kind.INVITATION_SENT,
        user=user,
        actor=actor,
        detail={"person": person.pk, "way": "password" if with_password else "sso"},
    )
