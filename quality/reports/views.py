"""The report pages: the archive, one report, generating on demand, editing and publishing a draft,
correcting a published report, and one's report e-mails.

- Reading (Action.VIEW_REPORTS): QA, heads of service, senior leaders, read-only readers,
  administrators and service leads, who see the sections of their own areas only
  (selectors.figures_for). Drafts, reports being generated and failed ones are for those who
  manage reports only: anyone else gets a 404, as for a report that does not exist.
- Generating, editing, publishing and correcting (Action.MANAGE_REPORTS): the QA lead. Every change
  is a POST with its CSRF token, and goes through quality/reports/services.py. The draft's page also
  saves itself while the QA lead types (report_autosave, the audit form's way: static/js/autosave.js).
While a report is generated its page shows the worker's progress, asked again by htmx every 2 s.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from audits.messages import AUTOSAVE_SIGNED_OUT, autosave_saved
from moderation import charts
from moderation import tables as moderation_tables
from moderation.statistics import GRADE_LABELS
from quality.access import Action, can, get_for, require
from quality.forms import call_service

from . import output_views, selectors, services, tables
from .forms import CorrectionForm, DraftForms, GenerateForm, SubscriptionForm
from .models import Report, ReportSubscription
from .outputs import date_in_words, in_words

REQUESTED = {
    "created": "{title} is being generated. This page shows its progress; you will be told when it is ready.",
    "refreshed": "{title} is being generated again from the current data. Your narrative and picks are kept.",
    "queued": "{title} is already being generated: this page shows its progress.",
}
SAVED = "Draft saved."
PUBLISHED = "{title} is published. Its figures are frozen as taken on {taken}; subscribers have been e-mailed."
CORRECTION_STARTED = (
    "A correction is being generated from the current data, with the narrative copied. Publishing it "
    "supersedes the published report."
)
SUBSCRIPTION_SAVED = "Your report e-mails are saved."
NOT_DRAFT_PAGE = "{title} is {state}: only a draft can be edited."
AUTOSAVE_CLOSED = "This report is {state}: changes here are no longer saved."
AUTOSAVE_REFUSED = (
    "Not saved: the page sent a form the portal could not read. Reload the page; your text is kept in this browser."
)
RESTORED = "Unsaved text from your last visit was restored from this browser and is being saved."

TREND_UNITS = {Report.Kind.MONTHLY: "months", Report.Kind.QUARTERLY: "quarters", Report.Kind.ANNUAL: "years"}


# -- reading --


def _report(request, pk: int, action: Action = Action.VIEW_REPORTS) -> Report:
    queryset = selectors.reports_for(request.user).select_related(
        "requested_by__person", "published_by", "supersedes", "superseded_by"
    )
    return get_for(request.user, action, queryset, pk=pk)


@require(Action.VIEW_REPORTS)
@require_safe
def report_list(request):
    """The archive: every report by kind, newest period first."""
    kind = request.GET.get("kind", "")
    if kind and kind not in Report.Kind.values:
        kind = ""
    reports = selectors.reports_listed(request.user, kind=kind or None)
    for report in reports:
        report.title = selectors.report_title(report)
        report.period_text = selectors.period_label(
            report.kind, report.period, year_to_date=report.year_to_date, period_end=report.period_end
        )
    groups = [
        {"kind": value, "label": label, "reports": [r for r in reports if r.kind == value]}
        for value, label in Report.Kind.choices
        if not kind or value == kind
    ]
    context = {
        "groups": groups,
        "kind": kind,
        "kinds": Report.Kind.choices,
        "may_manage": can(request.user, Action.MANAGE_REPORTS),
    }
    return render(request, "reports/report_list.html", context)


def _moderation_context(summary: dict | None) -> dict:
    """What the moderation outcomes partial shows (templates/moderation/outcomes/_figures.html)."""
    if not summary or "original" not in summary:
        return {}
    return moderation_tables.figures_context(summary, chart_id="report-moderation")


def _highlight_groups(highlights) -> list[dict]:
    """Highlights by service area, good practice then areas for improvement."""
    groups: dict[int, dict] = {}
    for highlight in highlights:
        group = groups.setdefault(
            highlight.service_area_id, {"area": highlight.service_area, "good_practice": [], "improvement": []}
        )
        group[highlight.kind].append(highlight)
    return list(groups.values())


def _figures_context(request, report: Report) -> dict:
    figures = selectors.figures_for(request.user, report)
    if figures is None:
        return {"figures": None}
    threshold = figures.get("small_sample_threshold", 20)
    audits = figures["audits"]
    may_open_audits = can(request.user, Action.VIEW_AUDITS)
    themes = selectors.theme_rows(figures, linked=may_open_audits)
    report_tables = tables.report_tables(figures)
    trends = report_tables["area_trends"]
    return {
        "figures": figures,
        "threshold": threshold,
        "scoped": "scoped_to_areas" in figures,
        "may_open_audits": may_open_audits,
        "small_graded": audits.get("graded", 0) < threshold,
        "tables": report_tables,
        "previous_label": selectors.period_label(report.kind, figures["previous"]["period"])
        if figures.get("previous", {}).get("period") and report.kind != Report.Kind.ANNUAL
        else (figures.get("previous") or {}).get("period", ""),
        "grade_chart": charts.grade_bars(
            audits.get("grades", {}), (figures.get("moderated") or {}).get("grades", {}), chart_id="report-grades"
        )
        if figures.get("moderated")
        else "",
        "trend_periods": [row.label for row in trends[0].rows if row.key == "trend"] if trends else [],
        "trend_unit": TREND_UNITS[report.kind],
        "quarter_periods": [row.label for row in trends[0].rows if row.key == "quarter"] if trends else [],
        "themes": themes,
        "exemplars": [
            {**row, "grade_label": GRADE_LABELS.get(row.get("grade"), "Not graded")}
            for row in figures.get("exemplars", [])
        ],
        "report_period": selectors.period_label(
            report.kind, report.period, year_to_date=report.year_to_date, period_end=report.period_end
        ),
        "moderation": _moderation_context(figures.get("moderation")),
        "moderation_from": date_in_words((figures.get("moderation") or {}).get("date_from")),
        "moderation_to": date_in_words((figures.get("moderation") or {}).get("date_to")),
    }


@require(Action.VIEW_REPORTS)
@require_safe
def report_detail(request, pk):
    """The report. While it is generated, htmx asks for the progress block again every 2 s; once the
    worker is done the answer tells htmx to load the whole page, now with the figures."""
    report = _report(request, pk)
    report.title = selectors.report_title(report)
    stranded = selectors.is_stranded(report)
    if request.htmx:
        if report.state != Report.State.QUEUED:
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return render(request, "reports/includes/progress.html", {"report": report, "stranded": stranded})
    may_manage = can(request.user, Action.MANAGE_REPORTS)
    context = {
        "report": report,
        "stranded": stranded,
        "may_manage": may_manage,
        "highlight_groups": _highlight_groups(selectors.highlights_for(request.user, report, included_only=True)),
        "points": list(report.improvement_points.all()),
        "progress_rows": selectors.progress_rows(report),
        "downloads": output_views.download_links(report, request.user),
        "history": list(selectors.report_history(report)) if may_manage else [],
        **_figures_context(request, report),
    }
    return render(request, "reports/report_detail.html", context)


# -- generating and editing --


@require(Action.MANAGE_REPORTS)
@require_http_methods(["GET", "HEAD", "POST"])
def report_generate(request):
    """Generate a report for any period now (in the worker)."""
    form = GenerateForm(request.POST if request.method == "POST" else None, initial=request.GET.dict() or None)
    if request.method == "POST" and form.is_valid():
        requested = call_service(form, services.report_request, actor=request.user, **form.cleaned_data)
        if requested is not None:
            title = selectors.report_title(requested.report)
            messages.success(request, REQUESTED[requested.outcome].format(title=title))
            return redirect(requested.report)
    status = 422 if form.is_bound else 200
    context = {"form": form, "cancel_url": reverse("reports:report_list")}
    return render(request, "reports/report_generate.html", context, status=status)


def _draft_forms(request, report: Report, data=None) -> DraftForms:
    highlights = selectors.highlights_for(request.user, report, included_only=False)
    themes, mentioned = selectors.highlight_themes(highlights)
    return DraftForms(report, highlights, selectors.progress_rows(report), data, themes=themes, mentioned=mentioned)


def _edit_page(request, report: Report, forms: DraftForms, status: int = 200, conflict=None):
    context = {
        "report": report,
        "forms": forms,
        "conflict": conflict,
        "picked_count": sum(1 for highlight in forms.highlights if highlight.included),
        "signed_out_message": AUTOSAVE_SIGNED_OUT,
        "restored_message": RESTORED,
        **_figures_context(request, report),
    }
    return render(request, "reports/report_edit.html", context, status=status)


def _posted_revision(request) -> int:
    try:
        return int(request.POST.get("revision", ""))
    except ValueError:
        return -1  # no revision: never the saved one, so a change is refused as a conflict


@require(Action.MANAGE_REPORTS)
@require_http_methods(["GET", "HEAD", "POST"])
def report_edit(request, pk):
    """The draft's page, in sections: the narrative around the figures, the highlights to pick and
    reword (filtered on the page by service area, theme and kind), the improvement points, and progress
    on earlier reports' points. It saves itself as the QA lead types (report_autosave); the Save
    buttons, always in view, save it all at once."""
    report = _report(request, pk, Action.MANAGE_REPORTS)
    report.title = selectors.report_title(report)
    if report.state != Report.State.DRAFT:
        messages.info(request, NOT_DRAFT_PAGE.format(title=report.title, state=report.get_state_display().lower()))
        return redirect(report)
    forms = _draft_forms(request, report, request.POST if request.method == "POST" else None)
    if request.method != "POST":
        return _edit_page(request, report, forms)
    if forms.is_valid():
        try:
            saved = call_service(
                forms,
                services.report_edit,
                actor=request.user,
                report=report,
                revision=_posted_revision(request),
                **forms.service_kwargs(),
            )
        except services.ReportConflict as conflict:
            # The page shows the text sent, with the revision saved now: saving again keeps this version.
            conflict.report.title = report.title
            return _edit_page(request, conflict.report, forms, status=422, conflict=conflict)
        if saved:
            messages.success(request, SAVED)
            target = reverse("reports:report_edit", args=[report.pk])
            return redirect(target if "save" in request.POST else report.get_absolute_url())
    return _edit_page(request, report, forms, status=422)


@require(Action.MANAGE_REPORTS, json=True)
@require_POST
def report_autosave(request, pk):
    """The draft's page saves what is typed, a moment after typing stops (and once more as the page is
    left). The answer is JSON naming the revision saved: the page's script drops its browser copy only
    on that answer, so anything else (a log-in page, an error page) leaves the typing kept."""
    report = _report(request, pk, Action.MANAGE_REPORTS)
    if report.state != Report.State.DRAFT:
        state = report.get_state_display().lower()
        return JsonResponse({"saved": False, "closed": True, "message": AUTOSAVE_CLOSED.format(state=state)})
    forms = _draft_forms(request, report, request.POST)
    if not forms.is_valid():
        return JsonResponse({"saved": False, "message": AUTOSAVE_REFUSED})
    try:
        autosaved = services.report_autosave(
            actor=request.user, report=report, revision=_posted_revision(request), **forms.service_kwargs()
        )
    except services.ReportConflict as conflict:
        return JsonResponse({"saved": False, "conflict": True, "message": str(conflict)})
    except ValidationError as error:  # no longer a draft: published or generated again meanwhile
        return JsonResponse({"saved": False, "closed": True, "message": " ".join(error.messages)})
    saved_at = timezone.localtime(autosaved.report.updated_at).strftime("%H:%M:%S")
    return JsonResponse(
        {
            "saved": True,
            "revision": autosaved.report.revision,
            "invalid": autosaved.unsaved,
            "message": autosave_saved(saved_at, autosaved.unsaved),
        }
    )


def _refused(request, report: Report, error: ValidationError):
    for message in error.messages:
        messages.error(request, message)
    return redirect(report)


@require(Action.MANAGE_REPORTS)
@require_POST
def report_refresh(request, pk):
    report = _report(request, pk, Action.MANAGE_REPORTS)
    try:
        report = services.report_refresh(actor=request.user, report=report)
    except ValidationError as error:
        return _refused(request, report, error)
    messages.success(request, REQUESTED["refreshed"].format(title=selectors.report_title(report)))
    return redirect(report)


@require(Action.MANAGE_REPORTS)
@require_POST
def report_publish(request, pk):
    report = _report(request, pk, Action.MANAGE_REPORTS)
    try:
        report = services.report_publish(actor=request.user, report=report)
    except ValidationError as error:
        return _refused(request, report, error)
    taken = in_words(report.data_taken_at) if report.data_taken_at else "the day it was generated"
    messages.success(request, PUBLISHED.format(title=selectors.report_title(report), taken=taken))
    return redirect(report)


@require(Action.MANAGE_REPORTS)
@require_http_methods(["GET", "HEAD", "POST"])
def report_correct(request, pk):
    """Correct a published report: a new report of the same period, which supersedes it once published."""
    report = _report(request, pk, Action.MANAGE_REPORTS)
    report.title = selectors.report_title(report)
    if report.state != Report.State.PUBLISHED:
        raise Http404("Only a published report can be corrected.")
    form = CorrectionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        correction = call_service(
            form, services.report_correct, actor=request.user, report=report, reason=form.cleaned_data["reason"]
        )
        if correction is not None:
            messages.success(request, CORRECTION_STARTED)
            return redirect(correction)
    status = 422 if form.is_bound else 200
    return render(request, "reports/report_correct.html", {"report": report, "form": form}, status=status)


# -- one's own e-mails --


@require(Action.VIEW_REPORTS)
@require_http_methods(["GET", "HEAD", "POST"])
def report_subscription(request):
    """Which reports e-mail me when they are published."""
    person = getattr(request.user, "person", None)
    if person is None:
        raise Http404("Only people in the directory can subscribe.")
    current = ReportSubscription.objects.filter(person=person).first()
    form = SubscriptionForm(
        request.POST if request.method == "POST" else None, initial={"kinds": current.kinds if current else []}
    )
    if request.method == "POST" and form.is_valid():
        services.subscription_set(person=person, kinds=form.cleaned_data["kinds"])
        messages.success(request, SUBSCRIPTION_SAVED)
        return redirect("reports:report_subscription")
    status = 422 if form.is_bound else 200
    return render(request, "reports/report_subscription.html", {"form": form}, status=status)
