from django import forms

from quality.org.forms import ReasonForm

__all__ = ["CodeForm", "ReasonForm", "SetUpForm"]


class CodeForm(forms.Form):
    """A code from the authenticator app, or a recovery code."""

    code = forms.CharField(
        label="Code",
        max_length=32,
        help_text="The 6-digit code your authenticator app shows now, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"}),
    )


class SetUpForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=8,
        help_text="6 digits. A new code appears every 30 seconds.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
