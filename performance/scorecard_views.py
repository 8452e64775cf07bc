"""Pages of the scorecard: the month's scorecard, an indicator's history and breakdowns, the month's
commentary (leads and the performance officer's "still missing" list and lock), the downloads and the
PDF pack (asked for here, made by a worker, downloaded through an access check).

Every page needs Action.VIEW_SCORECARD, except the commentary pages (Action.WRITE_COMMENTARY, whose
object rule is the indicator's lead or a performance officer) and the lock (Action.LOCK_MONTH).
Months are written YYYY-MM in addresses; anything else is a 404.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from quality import built_files
from quality.access import Action, can, get_for, require
from quality.forms import call_service
from quality.months import add_months
from quality.security.access import Kind as AccessKind
from quality.security.access import record_access, record_export

from . import commentary as commentary_services
from . import exports, pack, scorecard
from .models import Commentary, Indicator, MonthLock, PerformancePack
from .scorecard_forms import CommentaryForm, MonthForm, scorecard_month

MONTH_LOCKED_NOTE = "This month is locked: its figures and commentary are final."
PACK_QUEUED = "The PDF pack for {month} is being made."
COMMENTARY_SAVED = "Commentary on {code} for {month} saved."
MONTH_LOCKED_DONE = "{month} is locked. Its figures and commentary no longer change."


def _month(text: str) -> date:
    try:
        return scorecard_month(text)
    except ValueError as error:
        raise Http404 from error


def _chosen_month(request) -> tuple[MonthForm, date | None]:
    """The month asked for (?month=YYYY-MM), or the latest month with figures when none was asked for."""
    if "month" in request.GET:
        form = MonthForm(request.GET)
        return form, form.cleaned_data["month"] if form.is_valid() else None
    period = scorecard.latest_period()
    return MonthForm(initial={"month": f"{period:%Y-%m}"}), period


def _neighbours(period: date) -> dict:
    return {"previous_month": add_months(period, -1), "next_month": add_months(period, 1)}


@require(Action.VIEW_SCORECARD)
@require_safe
def scorecard_page(request):
    form, period = _chosen_month(request)
    context = {"form": form}
    if period is not None:
        card = scorecard.scorecard(period)
        for row in card.rows:
            row.may_write = can(request.user, Action.WRITE_COMMENTARY, row.indicator)
        context |= {
            "card": card,
            "packs": PerformancePack.objects.filter(period=period).select_related("requested_by__person")[:5],
            "may_lock": can(request.user, Action.LOCK_MONTH),
            "month_param": f"{period:%Y-%m}",
            **_neighbours(period),
        }
    return render(request, "performance/scorecard/scorecard.html", context)


@require(Action.VIEW_SCORECARD)
@require_safe
def scorecard_export(request, month: str, file_format: str):
    period = _month(month)
    card = scorecard.scorecard(period)
    record_export(request, "scorecard", rows=len(card.rows))
    content, content_type = exports.scorecard_file(card, file_format)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{exports.file_name(period, file_format)}"'
    return response


# -- one indicator --


@require(Action.VIEW_SCORECARD)
@require_safe
def indicator_detail(request, pk: int):
    indicator = get_for(request.user, Action.VIEW_SCORECARD, Indicator.objects.select_related("lead"), pk=pk)
    history = scorecard.indicator_history(indicator)
    context = {
        "indicator": indicator,
        "history": history,
        "may_write": can(request.user, Action.WRITE_COMMENTARY, indicator),
        "may_manage": can(request.user, Action.MANAGE_INDICATORS),
    }
    return render(request, "performance/scorecard/indicator_detail.html", context)


@require(Action.VIEW_SCORECARD)
@require_safe
def indicator_breakdown(request, pk: int, month: str):
    period = _month(month)
    indicator = get_for(request.user, Action.VIEW_SCORECARD, Indicator.objects.all(), pk=pk)
    rows = scorecard.breakdown_rows(request.user, indicator, period)
    context = {
        "indicator": indicator,
        "period": period,
        "rows": rows,
        "all_areas": scorecard.breakdown_area_ids(request.user) is None,
    }
    return render(request, "performance/scorecard/breakdown.html", context)


# -- commentary and the month's lock --


@require(Action.WRITE_COMMENTARY)
@require_safe
def commentary_month(request):
    form, period = _chosen_month(request)
    context = {"form": form}
    if period is not None:
        indicators = [
            indicator
            for indicator in Indicator.objects.filter(is_active=True).order_by("display_order", "code")
            if can(request.user, Action.WRITE_COMMENTARY, indicator)
        ]
        written = {
            c.indicator_id: c
            for c in Commentary.objects.filter(period=period, indicator__in=indicators).select_related("written_by")
        }
        may_lock = can(request.user, Action.LOCK_MONTH)
        context |= {
            "period": period,
            "month_param": f"{period:%Y-%m}",
            "rows": [(indicator, written.get(indicator.pk)) for indicator in indicators],
            "lock": MonthLock.objects.filter(period=period).select_related("locked_by").first(),
            "may_lock": may_lock,
            "missing": list(commentary_services.commentary_missing(period)) if may_lock else None,
            **_neighbours(period),
        }
    return render(request, "performance/scorecard/commentary_month.html", context)


@require(Action.WRITE_COMMENTARY)
@require_http_methods(["GET", "HEAD", "POST"])
def commentary_edit(request, month: str, pk: int):
    period = _month(month)
    indicator = get_for(request.user, Action.WRITE_COMMENTARY, Indicator.objects.select_related("lead"), pk=pk)
    existing = Commentary.objects.filter(indicator=indicator, period=period).select_related("written_by").first()
    locked = commentary_services.is_locked(period)
    form = CommentaryForm(
        request.POST if request.method == "POST" else None,
        initial={"commentary": existing.commentary, "next_steps": existing.next_steps} if existing else None,
    )
    if request.method == "POST" and form.is_valid():
        saved = call_service(
            form,
            commentary_services.commentary_write,
            actor=request.user,
            indicator=indicator,
            period=period,
            commentary=form.cleaned_data["commentary"],
            next_steps=form.cleaned_data["next_steps"],
        )
        if saved is not None:
            messages.success(request, COMMENTARY_SAVED.format(code=indicator.code, month=f"{period:%B %Y}"))
            return redirect(f"{reverse('performance:commentary')}?month={period:%Y-%m}")
    context = {
        "indicator": indicator,
        "period": period,
        "month_param": f"{period:%Y-%m}",
        "form": form,
        "existing": existing,
        "locked": locked,
        "locked_note": MONTH_LOCKED_NOTE,
        "row": scorecard.scorecard_row(indicator, period),
    }
    return render(request, "performance/scorecard/commentary_form.html", context)


@require(Action.LOCK_MONTH)
@require_POST
def month_lock(request, month: str):
    period = _month(month)
    try:
        commentary_services.month_lock(actor=request.user, period=period)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, MONTH_LOCKED_DONE.format(month=f"{period:%B %Y}"))
    return redirect(f"{reverse('performance:commentary')}?month={period:%Y-%m}")


# -- the PDF pack --


@require(Action.VIEW_SCORECARD)
@require_POST
def pack_request(request, month: str):
    """Ask for the month's pack (made by a worker). Asked by htmx ("Try again" on the pack's page),
    the answer is the new pack's status block, which then polls in place; otherwise its page."""
    period = _month(month)
    made = pack.pack_request(actor=request.user, period=period)
    if request.htmx:
        return render(request, "includes/built_file_status.html", _pack_status(made))
    messages.info(request, PACK_QUEUED.format(month=f"{period:%B %Y}"))
    return redirect("performance:pack_detail", pk=made.pk)


def _pack_of(request, pk: int, **lookup) -> PerformancePack:
    queryset = PerformancePack.objects.select_related("requested_by__person").filter(**lookup)
    return get_for(request.user, Action.VIEW_SCORECARD, queryset, pk=pk)


def _pack_status(made: PerformancePack) -> dict:
    return built_files.status_context(
        made,
        what="the PDF pack",
        status_url=reverse("performance:pack_detail", args=[made.pk]),
        download_url=reverse("performance:pack_download", args=[made.pk]),
        make_url=reverse("performance:pack_request", args=[f"{made.period:%Y-%m}"]),
        status_id="pack-status",
    )


@require(Action.VIEW_SCORECARD)
@require_safe
@never_cache
def pack_detail(request, pk: int):
    """The pack's page, which shows its progress and starts the download once it is ready; asked by
    htmx (polling), only its status block."""
    made = _pack_of(request, pk)
    context = {"pack": made, "month_param": f"{made.period:%Y-%m}", **_pack_status(made)}
    template = "includes/built_file_status.html" if request.htmx else "performance/scorecard/pack_detail.html"
    return render(request, template, context)


@require(Action.VIEW_SCORECARD)
@require_safe
@never_cache
def pack_download(request, pk: int):
    made = _pack_of(request, pk, state=PerformancePack.State.READY)
    if not made.file:
        raise Http404
    response = built_files.file_response(made, filename=pack.download_name(made), content_type="application/pdf")
    record_access(request, AccessKind.REPORT_DOWNLOADED, made)
    return response
