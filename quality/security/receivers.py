"""Django's sign-in signals, recorded as security events: for every way in, whoever calls login()."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .events import Kind, record_event


@receiver(user_logged_in, dispatch_uid="quality.security.signed_in")
def signed_in(sender, request, user, **kwargs):
    record_event(Kind.SIGN_IN, request=request, user=user)


@receiver(user_logged_out, dispatch_uid="quality.security.signed_out")
def signed_out(sender, request, user, **kwargs):
    if user is not None:  # logging out with no session (already timed out) is not an event
        record_event(Kind.SIGNED_OUT, request=request, user=user)


@receiver(user_login_failed, dispatch_uid="quality.security.sign_in_failed")
def sign_in_failed(sender, credentials, request=None, **kwargs):
    # Only the keyed hash of the name typed: it may be a mistyped password, or someone else's name.
    record_event(
        Kind.SIGN_IN_FAILED, request=request, username=credentials.get("username", ""), detail={"reason": "credentials"}
    )
