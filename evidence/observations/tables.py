"""The list of observations one may see, newest planned first."""

import django_tables2 as tables

from .models import Observation

DAY = "j M Y"


class ObservationTable(tables.Table):
    caption = "Observations of practice you may see, newest first"
    practitioner = tables.Column(
        linkify=lambda record: record.get_absolute_url(), order_by=("practitioner__full_name",)
    )
    observer = tables.Column(order_by=("observer__full_name",))
    team = tables.Column(order_by=("team__name",))
    kind = tables.Column(verbose_name="Kind")
    state = tables.Column(verbose_name="Status")
    planned_on = tables.DateColumn(format=DAY, verbose_name="Planned")
    observed_on = tables.DateColumn(format=DAY, verbose_name="Observed")

    class Meta:
        model = Observation
        fields = ("practitioner", "observer", "team", "kind", "state", "planned_on", "observed_on")
        template_name = "audits/cases/case_table.html"  # the list tables' template with its caption
        attrs = {"class": "table table-striped align-middle"}
        empty_text = "No observations yet."
