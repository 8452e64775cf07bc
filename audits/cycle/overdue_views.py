"""The overdue lists: audits not completed, oversight not recorded, not on the child's record.

The QA unit and the cross-area roles see every service area, service leads their own (through
visible(), in audits.cycle.deadlines). The page and its CSV read the same area filter, so the file holds
exactly the rows the page shows.
"""

from django import forms
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from quality import spreadsheets
from quality.access import Action, can, require, visible
from quality.org.models import ServiceArea
from quality.security.access import record_export

from ..filters import ANY, FILTERS_INVALID
from .deadlines import RULES, Deadline, counts_total, overdue_audits, overdue_counts, overdue_export_rows

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


@require(Action.VIEW_OVERDUE)
@require_safe
def overdue_list(request):
    today = timezone.localdate()
    form = OverdueFilterForm(request.GET, user=request.user)
    sections = []
    for deadline, audits in _lists(request, form, today).items():
        rows = list(audits)
        row_action = ROW_ACTIONS.get(deadline)
        for audit in rows:
            audit.may_act = row_action is not None and can(request.user, row_action, audit)
        sections.append({"deadline": deadline.value, "title": RULES[deadline].title, "rows": rows})
    counts = overdue_counts(request.user, today=today)
    query = request.GET.urlencode()
    export_url = reverse("escalations:overdue_export_csv")
    context = {
        "form": form,
        "sections": sections,
        "counts": counts,
        "total": counts_total(counts),
        "today": today,
        "csv_url": f"{export_url}?{query}" if query else export_url,
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
