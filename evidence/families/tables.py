"""The list of benchmarking forms: one row per form, by case reference (never a name)."""

import django_tables2 as tables

from .models import BenchmarkingForm

DAY = "j M Y"


class BenchmarkingTable(tables.Table):
    caption = "Supporting Families benchmarking forms, newest first, by case reference"
    case_reference = tables.Column(verbose_name="Case", linkify=True)
    service_area = tables.Column(verbose_name="Service area", accessor="service_area__code")
    team = tables.Column(order_by=("team__name",))
    completed_by = tables.Column(verbose_name="Completed by", order_by=("completed_by__full_name",))
    completed_on = tables.DateColumn(format=DAY, verbose_name="Date completed")
    identified_at_start = tables.Column(verbose_name="Concerns at the start")
    positive_outcomes = tables.Column(verbose_name="Positive outcomes")

    class Meta:
        model = BenchmarkingForm
        fields = ("case_reference", "service_area", "team", "completed_by", "completed_on")
        sequence = (*fields, "identified_at_start", "positive_outcomes")
        template_name = "audits/cases/case_table.html"  # the list tables' template with its caption
        attrs = {"class": "table table-striped align-middle"}
        empty_text = "No benchmarking forms match."
