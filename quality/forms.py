"""Forms' shared rules: text people wrote is escaped in one place, a service's refusal lands next
to the field it is about (`call_service`), and every date is typed day/month/year (`EnglishDateField`).

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
from datetime import date

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString

# Dates are typed and shown the English way, day/month/year. The settings' DATE_INPUT_FORMATS read
# 27/3/2026 and 27/03/2026 (strptime's %d and %m take one or two digits) and ISO 2026-03-27.
DATE_HINT = "For example, 27/3/2026"
DATE_INVALID = "Enter a real date as day/month/year, for example 27/3/2026."


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


class EnglishDateInput(forms.DateInput):
    """A date typed day/month/year in a text box, with its example below it.

    Not <input type="date">: Chromium shows that picker in the order of the computer's locale (month
    first on most council laptops) whatever the page's language, and reads a typed 3/4 as 4 March."""

    input_type = "text"

    def __init__(self, attrs=None):
        attrs = {"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false", **(attrs or {})}
        super().__init__(attrs=attrs, format="%d/%m/%Y")

    def format_value(self, value):
        # Dates stored as text (an audit's date answers) are ISO: show them the English way too.
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                return value  # what the person typed, shown back as typed next to its error
        return super().format_value(value)

    def render(self, name, value, attrs=None, renderer=None):
        attrs = dict(attrs or {})
        field_id = attrs.get("id") or self.attrs.get("id")
        if not field_id:
            return super().render(name, value, attrs, renderer)
        hint_id = f"{field_id}_date_hint"
        described = attrs.get("aria-describedby") or self.attrs.get("aria-describedby") or ""
        attrs["aria-describedby"] = f"{described} {hint_id}".strip()
        box = super().render(name, value, attrs, renderer)
        return format_html('{}<div id="{}" class="form-text">{}</div>', box, hint_id, DATE_HINT)


class EnglishDateField(forms.DateField):
    """A date field typed the English way (EnglishDateInput), saying how to write a date it cannot read."""

    widget = EnglishDateInput
    default_error_messages = {"invalid": DATE_INVALID}


class EnglishDateFilter(django_filters.DateFilter):
    """A list filter's date, typed the English way (EnglishDateField)."""

    field_class = EnglishDateField
