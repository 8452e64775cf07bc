"""Panel pages: the list, planning, the dip sample and its re-draw check, the session and each audit's
re-grading. Views check access, bind a form, call one service in moderation.panels, then redirect."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from audits import selectors as audit_selectors
from audits.models import Question
from quality.access import Action, can, require
from quality.forms import call_service
from quality.org.selectors import changes_to

from . import panels
from .models import Panel, PanelItem
from .panel_forms import DecisionForm, DrawForm, PanelForm, RemoveForm, SampleAddForm

HIDDEN = "Hidden until the panel records its grade"


def _remove_prefix(item: PanelItem) -> str:
    return f"remove-{item.pk}"


@require(Action.VIEW_MODERATION)
@require_safe
def panel_list(request):
    context = {"panels": panels.panels_for(request.user), "may_manage": can(request.user, Action.MANAGE_PANELS)}
    return render(request, "moderation/panels/panel_list.html", context)


@require(Action.MANAGE_PANELS)
@require_http_methods(["GET", "HEAD", "POST"])
def panel_create(request):
    form = PanelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        panel = call_service(form, panels.panel_create, actor=request.user, **form.cleaned_data)
        if panel:
            messages.success(request, "Panel planned. Draw its sample when the month's audits are in.")
            return redirect(panel)
    context = {"form": form, "title": "Plan a moderation panel"}
    return render(request, "moderation/panels/panel_form.html", context, status=422 if form.errors else 200)


@require(Action.MANAGE_PANELS)
@require_http_methods(["GET", "HEAD", "POST"])
def panel_edit(request, pk):
    panel = panels.panel_for_page(request.user, Action.MANAGE_PANELS, pk)
    form = PanelForm(request.POST or None, panel=panel)
    if request.method == "POST" and form.is_valid():
        if call_service(form, panels.panel_update, actor=request.user, panel=panel, **form.cleaned_data):
            messages.success(request, "Panel changed.")
            return redirect(panel)
    context = {"form": form, "panel": panel, "title": f"Change the panel of {panel.held_on:%-d %B %Y}"}
    return render(request, "moderation/panels/panel_form.html", context, status=422 if form.errors else 200)


def _panel_page(request, panel, status=200, **forms):
    """The panel with its sample, and the forms of whatever this person may do next."""
    user = request.user
    manage = can(user, Action.MANAGE_PANELS, panel)
    sampling = manage and panel.state in panels.SAMPLE_STATES
    items = list(panels.sample_items(user, panel))
    refused = forms.get("remove_form")
    rows = [
        (item, refused if refused is not None and refused.prefix == _remove_prefix(item) else None) for item in items
    ]
    if sampling:
        rows = [(item, form or RemoveForm(prefix=_remove_prefix(item))) for item, form in rows]
    context = {
        "panel": panel,
        "rows": rows,
        "decided": sum(1 for item in items if item.decision_id),
        "removed": panels.removed_items(user, panel) if manage else [],
        "may_manage": manage,
        "may_draw": manage and panel.state == Panel.State.PLANNED,
        "may_edit": manage and panel.state in (Panel.State.PLANNED, Panel.State.SAMPLE_DRAWN),
        "may_sample": sampling,
        "may_open": manage and panel.state == Panel.State.SAMPLE_DRAWN,
        "may_conclude": manage and panel.state == Panel.State.IN_SESSION,
        "add_form": forms.get("add_form") or (SampleAddForm(panel=panel) if sampling else None),
        "changes": changes_to(panel).select_related("actor__person")[:50],
    }
    return render(request, "moderation/panels/panel_detail.html", context, status=status)


@require(Action.VIEW_MODERATION)
@require_safe
def panel_detail(request, pk):
    return _panel_page(request, panels.panel_for_page(request.user, Action.VIEW_MODERATION, pk))


@require(Action.MANAGE_PANELS)
@require_http_methods(["GET", "HEAD", "POST"])
def panel_draw(request, pk):
    panel = panels.panel_for_page(request.user, Action.MANAGE_PANELS, pk)
    if panel.state != Panel.State.PLANNED:
        messages.info(request, panels.NOT_PLANNED)
        return redirect(panel)
    form = DrawForm(request.POST or None, initial={"sample_from": panels.default_sample_from(panel)})
    if request.method == "POST" and form.is_valid():
        if call_service(form, panels.sample_draw, actor=request.user, panel=panel, **form.cleaned_data):
            messages.success(request, "Sample drawn. Its seed is kept: the re-draw check repeats the draw.")
            return redirect(panel)
    context = {"form": form, "panel": panel}
    return render(request, "moderation/panels/panel_draw.html", context, status=422 if form.errors else 200)


@require(Action.MANAGE_PANELS)
@require_safe
def panel_draw_check(request, pk):
    panel = panels.panel_for_page(request.user, Action.MANAGE_PANELS, pk)
    if panel.sample_drawn_at is None:
        messages.info(request, panels.NOT_READY_TO_OPEN)
        return redirect(panel)
    return render(request, "moderation/panels/draw_check.html", {"panel": panel, "check": panels.draw_check(panel)})


@require(Action.MANAGE_PANELS)
@require_POST
def sample_add(request, pk):
    panel = panels.panel_for_page(request.user, Action.MANAGE_PANELS, pk)
    form = SampleAddForm(request.POST, panel=panel)
    if form.is_valid():
        data = form.cleaned_data
        item = call_service(
            form, panels.sample_add, actor=request.user, panel=panel, audit=data["audit"], reason=data["reason"]
        )
        if item:
            messages.success(request, f"Case {item.audit.case_reference} added to the sample.")
            return redirect(panel)
    return _panel_page(request, panel, status=422, add_form=form)


def _item(request, action, pk):
    return panels.item_for_page(request.user, action, pk)


@require(Action.MANAGE_PANELS)
@require_POST
def sample_remove(request, pk):
    item = _item(request, Action.MANAGE_PANELS, pk)
    form = RemoveForm(request.POST, prefix=_remove_prefix(item))
    if form.is_valid() and call_service(
        form, panels.sample_remove, actor=request.user, item=item, reason=form.cleaned_data["reason"]
    ):
        messages.success(request, f"Case {item.audit.case_reference} taken out of the sample.")
        return redirect(item.panel)
    return _panel_page(request, item.panel, status=422, remove_form=form)


@require(Action.MANAGE_PANELS)
@require_POST
def item_blind(request, pk):
    item = _item(request, Action.MANAGE_PANELS, pk)
    blind = request.POST.get("blind") == "on"
    try:
        panels.item_set_blind(actor=request.user, item=item, blind=blind)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        shown = "hidden from the panel until it records its own" if blind else "shown to the panel"
        messages.success(request, f"Case {item.audit.case_reference}: the auditor's grades are {shown}.")
    return redirect(item.panel)


def _panel_step(request, pk, service, done: str):
    panel = panels.panel_for_page(request.user, Action.MANAGE_PANELS, pk)
    try:
        service(actor=request.user, panel=panel)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect(panel)


@require(Action.MANAGE_PANELS)
@require_POST
def panel_open(request, pk):
    return _panel_step(request, pk, panels.panel_open, "The session is open: members can record their grades.")


@require(Action.MANAGE_PANELS)
@require_POST
def panel_conclude(request, pk):
    return _panel_step(
        request, pk, panels.panel_conclude, "Panel concluded. The auditors and service leads have been told."
    )


def _record(item, hidden: bool) -> dict:
    """The audit as completed, for the panel: with the auditor's grades masked while they are hidden."""
    audit = item.audit
    sections = audit_selectors.answered_sections(audit)
    if hidden:
        sections = [
            (section, [(q, HIDDEN if q.type == Question.Type.GRADE and answer else answer) for q, answer in rows])
            for section, rows in sections
        ]
    return {
        "audit": audit,
        "area_name": audit.service_area.name_on(audit.created_at),
        "sections": sections,
        "area_grades": [] if hidden else list(audit.area_grades.all()),
        "disputes": audit.disputes.select_related("raised_by", "resolved_by"),
        "hidden": hidden,
    }


@require(Action.MODERATE)
@require_http_methods(["GET", "HEAD", "POST"])
def item_detail(request, pk):
    """One sampled audit, as completed, beside the panel's moderation form."""
    item = _item(request, Action.MODERATE, pk)
    audit = item.audit
    graded_areas = set(audit.area_grades.values_list("area", flat=True))
    may_record = panels.may_record(request.user, item)
    decision = item.decision
    form = None
    if may_record:
        form = DecisionForm(request.POST or None, graded_areas=graded_areas, decision=decision)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            saved = call_service(
                form,
                panels.decision_record,
                actor=request.user,
                item=item,
                moderated_grade=data["moderated_grade"],
                area_grades=form.area_grades(),
                rationale=data["rationale"],
                feedback=data["feedback"],
            )
            if saved:
                messages.success(request, f"The panel's grade for case {audit.case_reference} is recorded.")
                return redirect(item)
    elif request.method == "POST":
        messages.error(
            request, panels.NOT_A_MEMBER if item.panel.state == Panel.State.IN_SESSION else panels.NOT_IN_SESSION
        )
        return redirect(item)
    previous, following = panels.neighbours(request.user, item)
    comparison = []
    if decision is not None:
        # Grades as stored: the page shows each as a grade tag.
        comparison = [("Overall", decision.original_grade, decision.moderated_grade)] + [
            (g.get_area_display(), g.original_grade, g.moderated_grade) for g in decision.area_grades.all()
        ]
    context = {
        "item": item,
        "panel": item.panel,
        "decision": decision,
        "comparison": comparison,
        "form": form,
        "may_record": may_record,
        "previous": previous,
        "following": following,
        **_record(item, item.grades_hidden),
    }
    return render(request, "moderation/panels/item_detail.html", context, status=422 if form and form.errors else 200)
