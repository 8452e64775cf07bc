"""Sign-in with lock-out, and password reset that also works as the first-time invitation."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

from quality.org import lockout
from quality.org.messages import SIGN_IN_FAILED


class SignInForm(AuthenticationForm):
    username = forms.CharField(
        label="E-mail address",
        max_length=254,
        # No autofocus: it would skip the "Skip to main content" link and the page heading for
        # keyboard and screen reader users.
        widget=forms.EmailInput(attrs={"autocomplete": "username"}),
    )
    error_messages = {"invalid_login": SIGN_IN_FAILED, "inactive": SIGN_IN_FAILED}

    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip().lower()
        self.cleaned_data["username"] = username
        if username and lockout.is_locked(username):
            raise self.get_invalid_login_error()
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username:
                lockout.record_failure(username)
            raise
        lockout.clear_failures(username)
        return cleaned


class InvitationPasswordResetForm(PasswordResetForm):
    """Also reaches people whose password was never set (new people get a link this way)."""

    def get_users(self, email):
        return get_user_model().objects.filter(email__iexact=email, is_active=True)
