"""A form that creates something creates it once, however many times the same page posts it.

Each render of such a form carries a random token in a hidden field (`CreateOnceForm`). The view
saves through `create_once()`, which claims the token (one `SubmittedForm` row per person and
token, unique) in the same transaction as the create: a second post of that render, a double click
or a browser resending after a slow answer, finds the claim and creates nothing; it is sent where
the first went, with ALREADY_SAVED. Two renders (two tokens) create two, as the person asked.

A post without a token is treated as a fresh render: the token guards a person against their own
repeated clicks, not the portal against a client that means to post twice (it could load the page
again for a new token), and it keeps forms posted by scripts and older open pages working. A token
that is not one the portal makes is refused with TOKEN_INVALID.
"""

import re
import secrets
from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect

from quality.forms import call_service
from quality.org.models import SubmittedForm

TOKEN_FIELD = "form_token"
ALREADY_SAVED = "This was already saved."
TOKEN_INVALID = "This form could not be read: open the page again and re-enter what you typed."
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_token() -> str:
    return secrets.token_urlsafe(24)


class CreateOnceForm(forms.Form):
    """A form that creates a row: every instance (every render) gets its own hidden token.

    A bound form shows the token that was posted, so a refused form shown again keeps its render's
    token. After validation the token is on `form.token` (empty when none was posted) and not in
    `cleaned_data`, which the view passes to a service.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[TOKEN_FIELD] = forms.CharField(required=False, widget=forms.HiddenInput, initial=new_token())
        self.token = ""

    def clean(self):
        cleaned = super().clean()
        token = cleaned.pop(TOKEN_FIELD, "")
        if token and not _TOKEN.fullmatch(token):
            raise ValidationError(TOKEN_INVALID)
        self.token = token
        return cleaned


def create_once(request, form: CreateOnceForm, service, *, location: Callable[[object], str], **kwargs):
    """Call `service(**kwargs)` for a valid form, at most once per render of the form.

    Returns (result, None) when it created; (None, redirect) when this render was already saved: to
    where the first post went, with ALREADY_SAVED; (None, None) when the service refused (the form
    carries the errors, and the token stays unclaimed so the corrected form can be posted).
    `location(result)` is where the view sends the person after creating.
    """
    with transaction.atomic():
        claim = None
        if form.token:
            # Unique on (user, token): a simultaneous second post waits here for the first to commit.
            claim, claimed = SubmittedForm.objects.get_or_create(user=request.user, token=form.token)
            if not claimed:
                messages.info(request, ALREADY_SAVED)
                return None, HttpResponseRedirect(claim.location)
        result = call_service(form, service, **kwargs)
        if result is None:
            transaction.set_rollback(True)
            return None, None
        if claim is not None:
            claim.location = location(result)
            claim.save(update_fields=["location"])
        return result, None
