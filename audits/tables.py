"""Tables of the audit lists. Rows come from audits.selectors: `dated` is the stored `listed_at`, and
`area_name` (the area's name when the audit was made) is looked up for the rows of the page only
(selectors.with_area_names), so the column sorts by the area's name today."""

from collections.abc import Callable
from datetime import datetime

import django_tables2 as tables
from django.utils import dateformat
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime

from quality.access import GRADES_HIDDEN

from .models import Audit
from .selectors import HIDDEN_GRADE
from .templatetags.grade_tags import grade_tag_html

DAY = "j M Y"
TABLE_ATTRS = {"class": "table table-striped align-middle"}
EMPTY = "—"  # what a column shows for no value (django-tables2's default)
KINDS, STATES = dict(Audit.Kind.choices), dict(Audit.State.choices)
AUDIT_ROW = '<tr {}><td><a href="{}">{}</a></td>' + "<td>{}</td>" * 9 + "</tr>"
# What AuditTable.page_rows reads of an audit besides `area_name` and `shown_grade`: a page reads only these.
AUDIT_ROW_FIELDS = (
    "case_reference",
    "kind",
    "theme",
    "state",
    "due_on",
    "submitted_at",
    "team__name",
    "auditor__full_name",
)


def _shown(value):
    return EMPTY if value in (None, "") else value


def _days() -> Callable:
    """A writer of days and moments as the DateColumn and DateTimeColumn show them (the `date` filter's
    "j M Y", a moment in the portal's time zone) that formats each day once: a page's rows share a few."""
    written = {}

    def day(value) -> str:
        if value is None:
            return EMPTY
        if isinstance(value, datetime):
            value = template_localtime(value).date()
        if value not in written:
            written[value] = dateformat.format(value, DAY)
        return written[value]

    return day


class AuditTable(tables.Table):
    # A case is named by its reference only, never by the child's name.
    case_reference = tables.Column(linkify=True, verbose_name="Case")
    area_name = tables.Column(verbose_name="Service area", order_by=("service_area__name",))
    team = tables.Column(order_by=("team__name",))
    kind = tables.Column()
    theme = tables.Column()
    auditor = tables.Column(order_by=("auditor__full_name",))
    state = tables.Column()
    # `shown_grade` (audits_listed): the overall grade, unless blind moderation hides it from the viewer.
    overall_grade = tables.Column(verbose_name="Overall grade", accessor="shown_grade", order_by=("shown_grade",))
    due_on = tables.DateColumn(format=DAY, verbose_name="Due")
    submitted_at = tables.DateTimeColumn(format=DAY, verbose_name="Submitted")

    class Meta:
        model = Audit
        fields = (
            "case_reference",
            "area_name",
            "team",
            "kind",
            "theme",
            "auditor",
            "state",
            "overall_grade",
            "due_on",
            "submitted_at",
        )
        attrs = TABLE_ATTRS
        empty_text = "No audits match."

    def render_overall_grade(self, value):
        return GRADES_HIDDEN if value == HIDDEN_GRADE else grade_tag_html(value)

    def page_rows(self) -> SafeString:
        """The page's rows (audits/audit_table.html), written in Python cell by cell and escaped by
        format_html: the cells the columns render (tests/audits/test_bounded_pages.py compares them),
        without django-tables2's or the template engine's work per cell, which cost more than the page's
        queries."""
        day = _days()
        return format_html_join(
            "\n",
            AUDIT_ROW,
            (
                (
                    row.attrs.as_html(),
                    audit.get_absolute_url(),
                    audit.case_reference,
                    _shown(audit.area_name),
                    _shown(audit.team),
                    KINDS.get(audit.kind, audit.kind),
                    _shown(audit.theme),
                    _shown(audit.auditor),
                    STATES.get(audit.state, audit.state),
                    self.render_overall_grade(audit.shown_grade) if audit.shown_grade else EMPTY,
                    day(audit.due_on),
                    day(audit.submitted_at),
                )
                for row in self.page.object_list
                for audit in (row.record,)
            ),
        )


class VoicesTable(tables.Table):
    case_reference = tables.Column(linkify=True, verbose_name="Case")
    area_name = tables.Column(verbose_name="Service area", order_by=("service_area__name",))
    dated = tables.DateTimeColumn(format=DAY, verbose_name="Date", order_by=("listed_at", "pk"))
    child_family_views = tables.TemplateColumn(
        "{{ value|linebreaksbr }}", verbose_name="What the child and family said", orderable=False
    )

    class Meta:
        model = Audit
        fields = ("case_reference", "area_name", "dated", "child_family_views")
        attrs = TABLE_ATTRS
        empty_text = "No views of children and families match."
