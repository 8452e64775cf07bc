"""The error summary a refused form shows at the top of its page: {% error_summary form other_form %}.

On a long page the fields that were refused may be far below where the page opens, so every problem
is listed first, each a link to its field (includes/error_summary.html); static/js/portal.js moves
focus to the summary and puts "Error: " before the page's title, for people who use a screen reader.
Messages and labels are text, never markup: the template escapes them.
"""

from django import template

register = template.Library()

DEFAULT_HEADING = "There is a problem"


@register.inclusion_tag("includes/error_summary.html")
def error_summary(*forms, heading: str = DEFAULT_HEADING) -> dict:
    """The problems of the bound forms among `forms` (None and unbound forms have none): each its
    message, with its field's label, and the id of the field it is about (None for the whole form)."""
    problems = []
    for form in forms:
        if form is None or not getattr(form, "is_bound", False):
            continue
        problems += [{"message": error, "target": None} for error in form.non_field_errors()]
        for field in form:
            problems += [{"message": f"{field.label}: {error}", "target": _target(field)} for error in field.errors]
    return {"problems": problems, "heading": heading}


def _target(field) -> str | None:
    """The id to focus for a field: its input, or a group's first (Django labels a radio group by
    its fieldset, so the group itself has no id to link to)."""
    if field.id_for_label:
        return field.id_for_label
    first = next(iter(field.subwidgets), None)
    return first.id_for_label if first is not None else None
