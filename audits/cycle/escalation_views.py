"""Escalation pages: the board of open and closed chains, one escalation with its timeline and the
forms the viewer may use (QA's review and closing, the service lead's updates); exemplars: the
buttons on an audit's page and the list for practice forums. QA's review is moderation's form and
view (moderation/qa_review_views.py): this page shows it, through review_form_register.

Rows come from audits.cycle.escalations through the access rules; next deadlines and lateness are
computed in SQL, and a late chain says so in words, not by colour alone.
"""

import django_tables2 as tables
from django import forms as django_forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST, require_safe

from quality.access import Action, can, require
from quality.forms import call_service
from quality.pagination import paginate_table
from quality.security.access import Kind as AccessKind
from quality.security.access import record_access

from .. import selectors
from ..models import Audit, Escalation, Grade
from ..tables import DAY
from ..templatetags.grade_tags import grade_tag_html
from . import escalations
from .escalation_forms import (
    BoardFilter,
    CloseForm,
    ExemplarFilter,
    ExemplarForm,
    ExemplarUnmarkForm,
    UpdateForm,
)

TABLE_TEMPLATE = "audits/escalations/table.html"  # django-tables2's Bootstrap 5 table, with a caption
TABLE_ATTRS = {"class": "table table-striped align-middle"}
BOARD_TITLES = {False: "Open escalations", True: "Closed escalations"}
LATE_BADGE = '{} by {} <span class="badge text-bg-danger">Late</span>'  # in words, not by colour alone


def stage_label(escalation: Escalation) -> str:
    if escalation.kind == Escalation.Kind.REMEDIAL and escalation.stage == Escalation.Stage.ESCALATED:
        return "Open: remedial actions owned by the service lead"
    return escalation.get_stage_display()


def next_step_html(escalation: Escalation):
    """The next step and its deadline, with a 'Late' label when it has passed."""
    label = escalations.STEP_LABELS.get(escalation.next_step, "")
    if not label:
        return "–"
    if escalation.next_deadline is None:
        return label
    when = escalation.next_deadline.strftime("%-d %b %Y")
    return format_html(LATE_BADGE if escalation.is_late else "{} by {}", label, when)


# The board's kind of chain, "Inadequate grade" or "Requires Improvement: remedial actions", with its
# grade as a grade tag followed by the rest of the words.
KIND_GRADES = {Escalation.Kind.INADEQUATE: Grade.INADEQUATE, Escalation.Kind.REMEDIAL: Grade.REQUIRES_IMPROVEMENT}
KIND_AFTER_GRADE = {Escalation.Kind.INADEQUATE: " grade", Escalation.Kind.REMEDIAL: ": remedial actions"}


class BoardTable(tables.Table):
    # A case is named by its reference only, never by the child's name.
    case = tables.Column(
        accessor="audit__case_reference",
        verbose_name="Case",
        order_by=("audit__case_reference",),
        linkify=lambda record: escalations.escalation_url(record),
    )
    service_area = tables.Column(accessor="audit__service_area__name", verbose_name="Service area")
    kind = tables.Column()
    stage = tables.Column()
    next_step = tables.Column(verbose_name="Next step and deadline", order_by=("next_deadline", "pk"), empty_values=())
    opened_at = tables.DateTimeColumn(format=DAY, verbose_name="Opened")
    closed_at = tables.DateTimeColumn(format=DAY, verbose_name="Closed")
    closing_note = tables.Column(verbose_name="How it ended", orderable=False)

    class Meta:
        model = Escalation
        fields = ("case", "service_area", "kind", "stage", "next_step", "opened_at", "closed_at", "closing_note")
        attrs = TABLE_ATTRS
        template_name = TABLE_TEMPLATE
        empty_text = "No escalations match."

    def render_kind(self, record):
        return format_html("{}{}", grade_tag_html(KIND_GRADES[record.kind]), KIND_AFTER_GRADE[record.kind])

    def render_stage(self, record):
        return stage_label(record)

    def render_next_step(self, record):
        return next_step_html(record)

    def render_closing_note(self, value):
        return value if len(value) <= 140 else f"{value[:139]}…"


def _tab_url(closed: bool, query: str) -> str:
    url = reverse("escalations:board_closed" if closed else "escalations:board")
    return f"{url}?{query}" if query else url


@require(Action.VIEW_ESCALATIONS)
@require_safe
def board(request, closed=False):
    """Every open chain the person may see, with its next deadline; closed ones on the second tab."""
    rows = BoardFilter(
        request.GET, queryset=escalations.escalations_board(request.user, closed=closed), request=request
    )
    exclude = ("next_step",) if closed else ("closed_at", "closing_note")
    table = BoardTable(rows.qs if rows.is_valid() else rows.qs.none(), exclude=exclude)
    table.caption = (
        "Closed and withdrawn escalations, newest first."
        if closed
        else "Open escalations: those awaiting QA moderation first, then the soonest deadline."
    )
    paginate_table(request, table)
    query = request.GET.copy()
    for key in ("page", "sort"):
        query.pop(key, None)
    context = {
        "filter": rows,
        "table": table,
        "title": BOARD_TITLES[closed],
        "tabs": [(BOARD_TITLES[tab], _tab_url(tab, query.urlencode()), tab == closed) for tab in (False, True)],
    }
    return render(request, "audits/escalations/board.html", context)


# Extension point: QA's review of an Inadequate grade is a moderation decision, so its form, and the
# view its POST goes to (moderation:escalation_review), are moderation's; audits never imports them
# (docs/architecture.md, "Dependency direction"). Moderation's AppConfig.ready() registers the form
# here: the escalation's page shows it, unbound, to whoever may review a chain awaiting QA, and
# moderation's view shows the page again with the refused form through escalation_change.
_REVIEW_FORM: list[type[django_forms.Form]] = []


def review_form_register(form_class: type[django_forms.Form]) -> None:
    _REVIEW_FORM[:] = [form_class]


def escalation_page(request, escalation: Escalation, status: int = 200, **forms):
    """One escalation's page; `forms` are the refused forms to show again with their errors."""
    user = request.user
    stage = escalation.stage
    shown = {
        "review_form": bool(_REVIEW_FORM)
        and stage == Escalation.Stage.AWAITING_MODERATION
        and can(user, Action.CONFIRM_ESCALATION, escalation),
        "update_form": bool(escalations.available_steps(escalation))
        and can(user, Action.UPDATE_ESCALATION, escalation),
        "close_form": stage == Escalation.Stage.ESCALATED and can(user, Action.CONFIRM_ESCALATION, escalation),
    }
    for name, form in forms.items():
        if not shown[name]:
            # Someone else moved the chain on first: the refused form is no longer on the page, so say why at the top.
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
    context = {
        "escalation": escalation,
        "audit": escalation.audit,
        "stage_label": stage_label(escalation),
        "next_step": next_step_html(escalation),
        "timeline": escalations.escalation_timeline(escalation),
        "may_review": shown["review_form"],
        "may_update": shown["update_form"],
        "may_close": shown["close_form"],
        "review_form": forms.get("review_form") or (_REVIEW_FORM[0]() if shown["review_form"] else None),
        "update_form": forms.get("update_form") or UpdateForm(escalation=escalation),
        "close_form": forms.get("close_form") or CloseForm(),
    }
    return render(request, "audits/escalations/detail.html", context, status=status)


@require(Action.VIEW_ESCALATIONS)
@require_safe
def escalation_detail(request, pk):
    escalation = escalations.escalation_for_page(request.user, Action.VIEW_ESCALATIONS, pk)
    record_access(request, AccessKind.VIEWED, escalation, case_reference=escalation.audit.case_reference)
    return escalation_page(request, escalation)


def escalation_change(request, pk, action, form, form_name, service, done):
    """POST a form about an escalation; re-show its page with the errors if it is refused."""
    escalation = escalations.escalation_for_page(request.user, action, pk)
    form = form(request.POST, escalation=escalation) if form is UpdateForm else form(request.POST)
    if form.is_valid() and call_service(form, service, actor=request.user, escalation=escalation, **form.cleaned_data):
        messages.success(request, done)
        return redirect(escalations.escalation_url(escalation))
    return escalation_page(request, escalation, status=422, **{form_name: form})


@require(Action.UPDATE_ESCALATION)
@require_POST
def escalation_update(request, pk):
    return escalation_change(
        request,
        pk,
        Action.UPDATE_ESCALATION,
        UpdateForm,
        "update_form",
        escalations.escalation_record_update,
        "Update recorded. The QA unit has been told.",
    )


@require(Action.CONFIRM_ESCALATION)
@require_POST
def escalation_close(request, pk):
    return escalation_change(
        request,
        pk,
        Action.CONFIRM_ESCALATION,
        CloseForm,
        "close_form",
        escalations.escalation_close,
        "Escalation closed.",
    )


# ---------------------------------------------------------------------------------------
# Exemplars.


def audit_panel(request, audit: Audit, forms: dict) -> dict:
    """What an audit's page shows of its escalations and exemplar status (audits.views._audit_page)."""
    user = request.user
    chains = list(audit.escalations.all())
    for chain in chains:
        chain.audit = audit  # the access rules read the area through it: no query per chain
    may_exemplar = can(user, Action.MARK_EXEMPLAR, audit)
    return {
        "escalation_rows": [(chain, stage_label(chain), can(user, Action.VIEW_ESCALATIONS, chain)) for chain in chains],
        "may_mark_exemplar": may_exemplar and escalations.exemplar_problem(audit) is None,
        "may_unmark_exemplar": may_exemplar and audit.is_exemplar,
        "exemplar_form": forms.get("exemplar_form") or ExemplarForm(),
        "exemplar_unmark_form": forms.get("exemplar_unmark_form") or ExemplarUnmarkForm(),
    }


def _exemplar_change(request, pk, form_class, form_name, apply, done):
    audit = selectors.audit_for_page(request.user, Action.MARK_EXEMPLAR, pk)
    form = form_class(request.POST)
    if form.is_valid() and call_service(form, apply, actor=request.user, audit=audit, **form.cleaned_data):
        messages.success(request, done)
        return redirect(audit)
    from ..views import _audit_page  # the audit's page, shown again with the refused form

    return _audit_page(request, audit, status=422, **{form_name: form})


@require(Action.MARK_EXEMPLAR)
@require_POST
def exemplar_mark(request, pk):
    return _exemplar_change(
        request,
        pk,
        ExemplarForm,
        "exemplar_form",
        escalations.audit_mark_exemplar,
        "Marked as an exemplar for practice forums. The auditor has been told.",
    )


@require(Action.MARK_EXEMPLAR)
@require_POST
def exemplar_unmark(request, pk):
    return _exemplar_change(
        request,
        pk,
        ExemplarUnmarkForm,
        "exemplar_unmark_form",
        escalations.audit_unmark_exemplar,
        "No longer an exemplar. The auditor has been told.",
    )


class ExemplarTable(tables.Table):
    case_reference = tables.Column(linkify=True, verbose_name="Case")
    service_area = tables.Column(accessor="service_area__name", verbose_name="Service area")
    kind = tables.Column()
    final_grade = tables.Column(verbose_name="Final grade", empty_values=())  # AuditQuerySet.with_final_grade()
    auditor = tables.Column(accessor="auditor__full_name", verbose_name="Auditor")
    exemplar_marked_at = tables.DateTimeColumn(format=DAY, verbose_name="Chosen on")
    exemplar_note = tables.Column(verbose_name="Why it is an example", orderable=False)

    class Meta:
        model = Audit
        fields = (
            "case_reference",
            "service_area",
            "kind",
            "final_grade",
            "auditor",
            "exemplar_marked_at",
            "exemplar_note",
        )
        attrs = TABLE_ATTRS
        template_name = TABLE_TEMPLATE
        empty_text = "No exemplars yet."

    def render_final_grade(self, record):
        return dict(Grade.choices).get(record.final_grade, "Not graded")


@require(Action.VIEW_AUDITS)
@require_safe
def exemplar_list(request):
    """Good and Outstanding audits chosen as examples for practice forums, through the access rules."""
    rows = ExemplarFilter(request.GET, queryset=escalations.exemplars_for(request.user), request=request)
    table = ExemplarTable((rows.qs if rows.is_valid() else rows.qs.none()).with_final_grade())
    table.caption = "Exemplar audits, most recently chosen first. Case references only."
    paginate_table(request, table)
    return render(request, "audits/escalations/exemplar_list.html", {"filter": rows, "table": table})
