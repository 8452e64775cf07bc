"""The overdue lists: audits not completed, oversight not recorded, not on the child's record.

The QA unit and the cross-area roles see every service area, service leads their own (through
visible(), in audits.cycle.deadlines). The page and its CSV read the same area filter, so the file holds
exactly the rows the page's lists hold.

Each list is a table of PER_PAGE rows a page (quality.pagination.paginate_table), paged on its own
(`?completion-page=`, `?oversight-page=`, `?record-page=`): a page reads its rows, never the whole list.
The counts per area are exact (deadlines.overdue_counts, index-only scans), and they number each list's
pages. The CSV holds every row of every list.
"""

import django_tables2 as tables
from django import forms
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from quality import spreadsheets
from quality.access import Action, can, require, visible
from quality.org.models import ServiceArea
from quality.pagination import paginate_table
from quality.security.access import record_export

from ..filters import ANY, FILTERS_INVALID
from .deadlines import (
    RULES,
    AreaCounts,
    Deadline,
    counts_total,
    overdue_audits,
    overdue_counts,
    overdue_export_rows,
)

PER_PAGE = 10  # rows of each list a page shows: three lists on one page, each paged

# What the person can do about an overdue item from the list: the audit page's form for it.
ROW_ACTIONS = {
    Deadline.OVERSIGHT: Action.OVERSEE_AUDIT,
    Deadline.RECORD: Action.OVERSEE_AUDIT,
}


class OverdueFilterForm(forms.Form):
    service_area = forms.ModelChoiceField(queryset=ServiceArea.objects.none(), required=False, empty_label=ANY)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the areas the person may see: another area's id is refused as an invalid choice.
        self.fields["service_area"].queryset = visible(user, ServiceArea.objects.all()).order_by("name")


def _lists(request, form: OverdueFilterForm, today) -> dict[Deadline, object]:
    area = form.cleaned_data.get("service_area") if form.is_valid() else None
    lists = {}
    for deadline in Deadline:
        audits = overdue_audits(request.user, deadline, today=today)
        if not form.is_valid():
            audits = audits.none()
        elif area is not None:
            audits = audits.filter(service_area=area)
        lists[deadline] = audits
    return lists


class OverdueTable(tables.Table):
    """One overdue list, the longest overdue first (deadlines.overdue_audits' order: never re-sorted).
    Its rows are written by its template (audits/overdue/overdue_table.html), the columns name the
    headers; the page's rows carry `may_act`, set by the view."""

    case_reference = tables.Column(verbose_name="Case")
    service_area = tables.Column(verbose_name="Service area")
    team = tables.Column()
    auditor = tables.Column()
    due_date = tables.Column(verbose_name="Due")
    days_late = tables.Column(verbose_name="Days late", attrs={"th": {"class": "text-end"}})
    action = tables.Column(verbose_name="What to do", empty_values=())

    class Meta:
        orderable = False
        template_name = "audits/overdue/overdue_table.html"
        attrs = {"class": "table table-striped align-middle"}
        empty_text = "None overdue."

    def __init__(self, data, *, deadline: Deadline, **kwargs):
        exclude = ("action",) if deadline not in ROW_ACTIONS else ()
        super().__init__(data, prefix=f"{deadline.value}-", exclude=exclude, **kwargs)
        self.deadline = deadline.value
        self.caption = f"{RULES[deadline].title}, the longest overdue first"
        self.pages_label = f"{RULES[deadline].title}: pages"  # one navigation landmark per list, each named
        self.attrs = {**self.attrs, "id": f"{deadline.value}-table"}


def _as_they_are(audits):
    """The page's rows by their keys (quality.pagination reads the keys first: a narrow query, which the
    deadline's partial index serves, then the page's rows with their area, team and auditor), with only
    the columns a row shows or its actions need: an audit has some fifty."""
    return audits.only(
        "case_reference",
        "state",
        "service_area__name",
        "team__name",
        "auditor__full_name",
        *(rule.field for rule in RULES.values()),
    )


def _count_of(counts: list[AreaCounts], area, deadline: Deadline) -> int:
    """How many audits the list holds: the exact counts per area, of the filtered area or of them all."""
    rows = [row for row in counts if row.area_id == area.pk] if area is not None else counts
    return sum(getattr(row, deadline.value) for row in rows)


@require(Action.VIEW_OVERDUE)
@require_safe
def overdue_list(request):
    today = timezone.localdate()
    form = OverdueFilterForm(request.GET, user=request.user)
    counts = overdue_counts(request.user, today=today)
    area = form.cleaned_data.get("service_area") if form.is_valid() else None
    sections = []
    for deadline, audits in _lists(request, form, today).items():
        table = OverdueTable(audits, deadline=deadline)
        count = _count_of(counts, area, deadline) if form.is_valid() else 0
        paginate_table(request, table, per_page=PER_PAGE, count=count, rows_for_page=_as_they_are)
        rows = [row.record for row in table.page.object_list]
        row_action = ROW_ACTIONS.get(deadline)
        for audit in rows:
            audit.may_act = row_action is not None and can(request.user, row_action, audit)
        sections.append(
            {"deadline": deadline.value, "title": RULES[deadline].title, "rows": rows, "count": count, "table": table}
        )
    # The export reads the filter, not the lists' pages.
    export_query = request.GET.copy()
    for section in sections:
        table = section["table"]
        for key in (table.prefixed_page_field, table.prefixed_per_page_field, table.prefixed_order_by_field):
            export_query.pop(key, None)
    export_query = export_query.urlencode()
    export_url = reverse("escalations:overdue_export_csv")
    context = {
        "form": form,
        "sections": sections,
        "counts": counts,
        "total": counts_total(counts),
        "today": today,
        "csv_url": f"{export_url}?{export_query}" if export_query else export_url,
    }
    return render(request, "audits/overdue/overdue_list.html", context)


@require(Action.VIEW_OVERDUE)
@require_safe
def overdue_export(request):
    form = OverdueFilterForm(request.GET, user=request.user)
    if not form.is_valid():
        return HttpResponseBadRequest(FILTERS_INVALID, content_type="text/plain; charset=utf-8")
    lists = _lists(request, form, timezone.localdate())
    record_export(request, "overdue-audits", rows=sum(audits.count() for audits in lists.values()))
    return spreadsheets.csv_response(overdue_export_rows(lists), "overdue-audits")
