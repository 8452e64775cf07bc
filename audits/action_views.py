"""Learning actions: "My actions", "Area actions", one action's page, and closing an action.

Every recommended action has an owner, a due date and a status: open, done (with the evidence)
or no longer needed (with the reason). Rows come from audits.selectors, through the access rules;
an open action due before today is overdue, and the lists say so in words, not by colour alone.
"""

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from quality.access import Action, can, require, visible
from quality.forms import call_service
from quality.org.models import ServiceArea
from quality.pagination import paginate_table
from quality.security.access import Kind as AccessKind
from quality.security.access import record_access

from . import services
from .filters import ANY
from .messages import ACTION_CLOSE_STATUS, OUTCOME_REQUIRED
from .models import LearningAction
from .selectors import ActionScope, action_for_page, actions_listed
from .tables import TABLE_ATTRS

SCOPE_ACTIONS = {ActionScope.MINE: Action.VIEW_AUDITS, ActionScope.AREA: Action.VIEW_AREA_ACTIONS}
SCOPE_TITLES = {ActionScope.MINE: "My actions", ActionScope.AREA: "Area actions"}
CLOSED_AS = [
    (LearningAction.Status.DONE, "Done"),
    (LearningAction.Status.NOT_NEEDED, "No longer needed"),
]


def _areas(request):
    return visible(request.user, ServiceArea.objects.all())


class ActionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=LearningAction.Status.choices, empty_label=ANY)
    overdue = django_filters.BooleanFilter(
        label="Overdue only", method="filter_overdue", widget=forms.CheckboxInput, field_name="is_overdue"
    )
    service_area = django_filters.ModelChoiceFilter(
        field_name="audit__service_area", queryset=_areas, label="Service area", empty_label=ANY
    )

    class Meta:
        model = LearningAction
        fields = ["status", "overdue", "service_area"]

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(is_overdue=True) if value else queryset


DUE = """{{ record.due_on|date:"j M Y" }}{% if record.is_overdue %}
<span class="badge text-bg-danger">Overdue</span>{% endif %}"""
STATUS = """{{ record.get_status_display }}{% if record.closed_at %}<span class="d-block small">by \
{{ record.closed_by.full_name|default:"someone no longer recorded" }}, {{ record.closed_at|date:"j M Y" }}</span>\
{% endif %}"""


class ActionTable(tables.Table):
    # A case is named by its reference only, never by the child's name.
    case = tables.Column(
        accessor="audit__case_reference",
        verbose_name="Case",
        order_by=("audit__case_reference",),
        linkify=lambda record: record.audit.get_absolute_url(),
    )
    description = tables.TemplateColumn(
        '<a href="{{ record.get_absolute_url }}">{{ record.description|truncatechars:100 }}</a>',
        verbose_name="Action",
        orderable=False,
    )
    service_area = tables.Column(accessor="audit__service_area__name", verbose_name="Service area")
    owner = tables.Column(accessor="owner__full_name", verbose_name="Owner")
    due_on = tables.TemplateColumn(DUE, verbose_name="Due", order_by=("due_on", "pk"))
    status = tables.TemplateColumn(STATUS, verbose_name="Status")

    class Meta:
        model = LearningAction
        fields = ("case", "description", "service_area", "owner", "due_on", "status")
        attrs = TABLE_ATTRS
        empty_text = "No actions match."


class ActionCloseForm(forms.Form):
    status = forms.ChoiceField(
        label="Close the action as",
        choices=CLOSED_AS,
        widget=forms.RadioSelect,
        error_messages={"required": ACTION_CLOSE_STATUS},
    )
    outcome = forms.CharField(
        label="Evidence it was done, or why it is no longer needed",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": OUTCOME_REQUIRED},
    )


def _with_query(url_name: str, query: str) -> str:
    url = reverse(url_name)
    return f"{url}?{query}" if query else url


@require(Action.VIEW_AUDITS)
@require_safe
def action_list(request, scope):
    scope = ActionScope(scope)
    if not can(request.user, SCOPE_ACTIONS[scope]):
        raise PermissionDenied
    actions = ActionFilter(request.GET, queryset=actions_listed(request.user, scope), request=request)
    table = ActionTable(actions.qs if actions.is_valid() else actions.qs.none())
    paginate_table(request, table)
    query = request.GET.copy()
    for key in ("page", "sort"):
        query.pop(key, None)
    context = {
        "filter": actions,
        "table": table,
        "title": SCOPE_TITLES[scope],
        "tabs": [
            (SCOPE_TITLES[tab], _with_query(f"audits:action_list_{tab}", query.urlencode()), tab == scope)
            for tab in ActionScope
            if can(request.user, SCOPE_ACTIONS[tab])
        ],
    }
    return render(request, "audits/action_list.html", context)


def _action_page(request, action: LearningAction, form: ActionCloseForm | None = None, status: int = 200):
    context = {
        "action": action,
        "may_close": action.is_open and can(request.user, Action.CLOSE_ACTION, action),
        "close_form": form or ActionCloseForm(),
    }
    return render(request, "audits/action_detail.html", context, status=status)


@require(Action.VIEW_AUDITS)
@require_safe
def action_detail(request, pk):
    action = action_for_page(request.user, Action.VIEW_AUDITS, pk)
    record_access(request, AccessKind.VIEWED, action, case_reference=action.audit.case_reference)
    return _action_page(request, action)


@require(Action.CLOSE_ACTION)
@require_POST
def action_close(request, pk):
    """Done (with the evidence) or no longer needed (with the reason): the owner or the area's service lead."""
    action = action_for_page(request.user, Action.CLOSE_ACTION, pk)
    form = ActionCloseForm(request.POST)
    if form.is_valid() and call_service(
        form, services.action_close, actor=request.user, action=action, **form.cleaned_data
    ):
        messages.success(request, "Action closed.")
        return redirect(action)
    return _action_page(request, action, form, status=422)
