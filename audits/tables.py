"""Tables of the audit lists. Rows come from audits.selectors: `dated` is the stored `listed_at`, and
`area_name` (the area's name when the audit was made) is looked up for the rows of the page only
(selectors.with_area_names), so the column sorts by the area's name today."""

import django_tables2 as tables

from quality.access import GRADES_HIDDEN

from .models import Audit, Grade
from .selectors import HIDDEN_GRADE

DAY = "j M Y"
TABLE_ATTRS = {"class": "table table-striped align-middle"}


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
        return GRADES_HIDDEN if value == HIDDEN_GRADE else dict(Grade.choices).get(value, value)


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
