"""Sign-in with lock-out, password reset (throttled) and change, with their events.

A new person sets a first password through their invitation (quality/org/invitations.py), not here."""

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseRedirect
from django.urls import reverse, reverse_lazy

from quality.org.invitations import by_password, invitation_token_generator
from quality.org.messages import INVITATION_ACCEPTED, PASSWORD_SIGN_IN_SSO_ONLY, SIGN_IN_FAILED
from quality.security import lockout
from quality.security.events import Kind, record_event
from quality.sso import password_sign_in_allowed


class SignInForm(AuthenticationForm):
    username = forms.CharField(
        label="E-mail address",
        max_length=254,
        # No autofocus: it would skip the "Skip to main content" link and the page heading for
        # keyboard and screen reader users.
        widget=forms.EmailInput(attrs={"autocomplete": "username"}),
    )
    error_messages = {"invalid_login": SIGN_IN_FAILED, "inactive": SIGN_IN_FAILED}

    def get_invalid_login_error(self):
        # quality.sso.PasswordBackend refuses every password of someone who signs in through their
        # council account only, right or wrong: tell them where to go instead.
        if not password_sign_in_allowed(self.cleaned_data.get("username") or ""):
            return forms.ValidationError(PASSWORD_SIGN_IN_SSO_ONLY, code="sso_only")
        return super().get_invalid_login_error()

    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip().lower()
        self.cleaned_data["username"] = username
        if not username:
            return super().clean()  # the field's own "required" error; nothing to count
        # Counted before the password is checked: parallel attempts cannot all pass a check first.
        if not lockout.attempt_allowed(self.request, username):
            raise self.get_invalid_login_error()
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            lockout.attempt_failed(self.request, username)
            raise
        lockout.attempt_succeeded(self.request, username)
        return cleaned


class SignInPasswordResetForm(PasswordResetForm):
    """Reaches only active people who already have a password (Django's own rule) and may use one.

    A person whose password was never set joins through their invitation instead (72 hours, sent by an
    administrator and recorded): "Forgotten your password?" must not turn an account nobody has taken
    up, or one that signs in through the council's identity provider, into a password account."""

    def get_users(self, email):
        if not password_sign_in_allowed(email):
            return []
        return super().get_users(email)


class PasswordResetView(auth_views.PasswordResetView):
    """Throttled per e-mail address and per client address; every answer is the same "check your
    e-mail" page, whether the address is known, unknown or throttled."""

    form_class = SignInPasswordResetForm

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        allowed = lockout.reset_allowed(self.request, email)
        record_event(Kind.PASSWORD_RESET_ASKED, request=self.request, username=email, detail={"throttled": not allowed})
        if not allowed:
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        response = super().form_valid(form)
        record_event(Kind.PASSWORD_RESET_DONE, request=self.request, user=form.user)
        return response


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """A new person's invitation link (quality/org/invitations.py): choose a password, then sign in.

    The person is not signed in here: the sign-in page checks the password through the lock-out, and
    the second factor's enrolment follows there for the roles that need it (quality/mfa/middleware.py).
    A person who joins through single sign-on has no password to set: their link is refused."""

    token_generator = invitation_token_generator
    template_name = "registration/invitation_accept.html"
    success_url = reverse_lazy("login")

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and by_password(user) else None

    def form_valid(self, form):
        response = super().form_valid(form)
        record_event(Kind.PASSWORD_RESET_DONE, request=self.request, user=form.user, detail={"via": "invitation"})
        messages.success(self.request, INVITATION_ACCEPTED)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form):
        response = super().form_valid(form)
        record_event(Kind.PASSWORD_CHANGED, request=self.request, user=self.request.user)
        return response


def admin_login(request, extra_context=None):
    """Django's admin signs in through the portal's page, so its lock-out (and second factor) hold."""
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"))
