"""Forms' two shared rules: text people wrote is escaped in one place, and a service's refusal
lands next to the field it is about (`call_service`).

Text people wrote, as form fields show it:

A question, its help text and options, a section's help text, a tool's title, a team's or a
person's name: people type them (or import them in a tool file) and other people's browsers show
them. Django's form templates and crispy-bootstrap5 print a field's help text with `|safe`, so
text given to a field as it was written would run as markup: an `hx-post` in a question's help
text once made every auditor who opened the audit send a request. Every label, help text and
choice built from stored data therefore goes through `written()`: escaped here, once, and marked
safe only as escaped text, so the templates neither run it nor escape it twice. Nothing a person
wrote is ever marked safe as it is. Plain text only: the portal needs no formatting in it.
"""

from collections.abc import Iterable

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.safestring import SafeString


def written(text: object) -> SafeString:
    """Text a person wrote, escaped for a form field's label, help text or choice label."""
    return escape(text)


def written_choices(choices: Iterable) -> list:
    """(value, label) choices, or (group, [(value, label), ...]) groups, with every label and group
    name escaped by `written()`; the values, which the form compares with what is posted, unchanged."""
    escaped = []
    for value, label in choices:
        if isinstance(label, list | tuple):
            escaped.append((written(value), written_choices(label)))
        else:
            escaped.append((value, written(label)))
    return escaped


def call_service(form: forms.Form, service, **kwargs):
    """Run a service for a valid form; put its ValidationError next to the right fields.

    Returns the service's result, or None when it refused (the form then carries the errors).
    """
    try:
        return service(**kwargs)
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            form.add_error(None, error)
            return None
        # A field the form does not show (e.g. team_create's service_area) goes at the top of the form.
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return None
