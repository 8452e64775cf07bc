"""The QA unit's allocation pages: the months, one month's review, and its changes (POST only).

Every page needs Action.MANAGE_ALLOCATION. The review page runs a fixed number of queries
whatever the number of cases: the allocation, its items (live and removed, in one query), the
practice managers left without a case, and the add form's list of managers.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe
from kombu.exceptions import OperationalError

from quality.access import Action, get_for, require, visible
from quality.forms import call_service
from quality.months import month_start, next_month
from quality.queue import enqueue_on_commit
from quality.tabular import parse_month

from ..models import Allocation, AllocationItem
from . import allocation as allocation_services
from .allocation_forms import DistributeForm, ItemAddForm, ItemRemoveForm, ItemSwapForm
from .dates import cycle_dates

PROPOSAL_ASKED = "The proposal for {month} is being made: this page shows it as soon as it is ready."
PROPOSAL_QUEUE_DOWN = (
    "The job queue cannot be reached just now, so the proposal for {month} could not be started. "
    "Nothing is lost: the scheduled allocation job will make it {when}."
)
PROPOSAL_EXISTS = "{month} already has an allocation."
SCHEDULER_NEXT_RUN = "at its next run (every morning at 06:00)"
# "Propose now" is remembered in the person's session (the month and when it was asked), so the month's
# page shows the proposal being made and htmx asks every 2 s whether it is there yet. The worker takes
# seconds, a minute or so with its retries; past PROPOSAL_WAIT the page stops asking and says so.
PROPOSING_SESSION_KEY = "allocation_proposing"
PROPOSAL_WAIT = timedelta(minutes=3)


def _month(text: str) -> date:
    try:
        return parse_month(text)
    except ValueError as error:
        raise Http404 from error


def _month_key(month: date) -> str:
    return f"{month:%Y-%m}"


def _allocation(request, month_text: str) -> Allocation:
    month = _month(month_text)
    queryset = Allocation.objects.select_related("theme", "proposed_by__person", "distributed_by__person")
    return get_for(request.user, Action.MANAGE_ALLOCATION, queryset, month=month)


@require(Action.MANAGE_ALLOCATION)
@require_safe
def allocation_list(request):
    allocations = list(allocation_services.allocations_listed())
    this_month = month_start(timezone.localdate())
    existing = {allocation.month for allocation in allocations}
    to_propose = [month for month in (this_month, next_month(this_month)) if month not in existing]
    context = {"allocations": allocations, "to_propose": [(month, _month_key(month)) for month in to_propose]}
    return render(request, "audits/allocation/allocation_list.html", context)


def _review_page(request, month: date, allocation: Allocation | None, *, bound=None, status: int = 200):
    """The month's page. `bound` is the one form a refused POST brought back: ("add" | "distribute", form)
    or ("remove" | "swap", item id, form)."""
    bound = bound or ()
    context = {"month": month, "month_key": _month_key(month), "allocation": allocation}
    if allocation is None:
        context |= _proposal_context(request, month)
        return render(request, "audits/allocation/allocation_detail.html", context, status=status)
    items = allocation_services.items_for_review(allocation)
    live = [item for item in items if item.removed_at is None]
    editable = allocation.state == Allocation.State.PROPOSED
    if bound and not editable:
        # The refused form is not on a distributed allocation's page: say why at the top instead.
        for error in bound[-1].non_field_errors():
            messages.error(request, error)
    if editable:
        for item in live:
            item.remove_form = ItemRemoveForm(item=item)
            item.swap_form = ItemSwapForm(item=item)
            if bound[:2] in (("remove", item.pk), ("swap", item.pk)):
                setattr(item, f"{bound[0]}_form", bound[2])
                item.open = True
    context |= {
        "items": live,
        "removed": [item for item in items if item.removed_at is not None],
        "editable": editable,
        "uncovered": allocation_services.managers_without_case(allocation) if editable else [],
        "add_form": bound[1] if bound[:1] == ("add",) else ItemAddForm(),
        "distribute_form": bound[1] if bound[:1] == ("distribute",) else DistributeForm(),
        "dates": cycle_dates(month),
    }
    return render(request, "audits/allocation/allocation_detail.html", context, status=status)


@require(Action.MANAGE_ALLOCATION)
@require_safe
def allocation_detail(request, month):
    month = _month(month)
    allocation = (
        visible(
            request.user, Allocation.objects.select_related("theme", "proposed_by__person", "distributed_by__person")
        )
        .filter(month=month)
        .first()
    )
    if allocation is not None:
        _proposed(request, month)
        if request.htmx:  # the proposal being waited for is there: load the whole page with it
            return HttpResponse(status=204, headers={"HX-Refresh": "true"})
    elif request.htmx:
        return render(request, "audits/allocation/_proposal_status.html", _proposal_context(request, month))
    return _review_page(request, month, allocation)


def _proposal_asked_at(request, month: date) -> datetime | None:
    asked = request.session.get(PROPOSING_SESSION_KEY, {}).get(_month_key(month))
    return datetime.fromisoformat(asked) if asked else None


def _proposal_context(request, month: date) -> dict:
    """Whether this person's "Propose now" for `month` is still being made (the page polls), or has
    taken longer than PROPOSAL_WAIT (it stops). Nothing asked: neither."""
    asked_at = _proposal_asked_at(request, month)
    waiting = asked_at is not None and timezone.now() - asked_at < PROPOSAL_WAIT
    return {
        "month": month,
        "month_key": _month_key(month),
        "proposal_asked_at": asked_at,
        "proposal_waiting": waiting,
        "proposal_late": asked_at is not None and not waiting,
        "wait_minutes": int(PROPOSAL_WAIT.total_seconds() // 60),
    }


def _proposing(request, month: date) -> None:
    asked = request.session.get(PROPOSING_SESSION_KEY, {})
    request.session[PROPOSING_SESSION_KEY] = {**asked, _month_key(month): timezone.now().isoformat()}


def _proposed(request, month: date) -> None:
    asked = request.session.get(PROPOSING_SESSION_KEY, {})
    if _month_key(month) in asked:
        request.session[PROPOSING_SESSION_KEY] = {key: at for key, at in asked.items() if key != _month_key(month)}


class _Attempt:
    """Stands in for a task given to enqueue_on_commit, noting whether the broker refused it, so the
    page can say so (enqueue_on_commit itself never lets a broker that is down reach the page)."""

    def __init__(self, task):
        self.task, self.name, self.refused = task, task.name, False

    def delay(self, *args):
        try:
            return self.task.delay(*args)
        except OperationalError:
            self.refused = True
            raise


@require(Action.MANAGE_ALLOCATION)
@require_POST
def allocation_propose(request, month):
    """Propose now, by the worker: the proposal reads every open case, too long for a web request."""
    from ..tasks import propose_monthly_allocation

    month = _month(month)
    label = f"{month:%B %Y}"
    if Allocation.objects.filter(month=month).exists():
        messages.info(request, PROPOSAL_EXISTS.format(month=label))
        return redirect("allocation:allocation_detail", month=_month_key(month))
    attempt = _Attempt(propose_monthly_allocation)
    enqueue_on_commit(attempt, month.isoformat(), request.user.pk)
    if attempt.refused:
        allocation_on = cycle_dates(month).allocation_on
        due_now = timezone.localdate() >= allocation_on
        when = SCHEDULER_NEXT_RUN if due_now else f"on {allocation_on:%-d %B %Y}"
        messages.warning(request, PROPOSAL_QUEUE_DOWN.format(month=label, when=when))
    else:
        _proposing(request, month)
        messages.success(request, PROPOSAL_ASKED.format(month=label))
    return redirect("allocation:allocation_detail", month=_month_key(month))


def _done(request, allocation: Allocation, text: str, anchor: str = ""):
    messages.success(request, text)
    url = allocation_services.allocation_url(allocation.month)
    return redirect(f"{url}#{anchor}" if anchor else url)


def _item(request, allocation: Allocation, pk: int) -> AllocationItem:
    queryset = AllocationItem.objects.filter(allocation=allocation).select_related("case__service_area", "auditor")
    return get_for(request.user, Action.MANAGE_ALLOCATION, queryset, pk=pk)


@require(Action.MANAGE_ALLOCATION)
@require_POST
def item_remove(request, month, pk):
    allocation = _allocation(request, month)
    item = _item(request, allocation, pk)
    form = ItemRemoveForm(request.POST, item=item)
    if form.is_valid() and call_service(
        form,
        allocation_services.allocation_item_remove,
        actor=request.user,
        item=item,
        reason=form.cleaned_data["reason"],
    ):
        return _done(request, allocation, f"Case {item.case.child_ref} taken out of the allocation.", "items")
    return _review_page(request, allocation.month, allocation, bound=("remove", item.pk, form), status=422)


@require(Action.MANAGE_ALLOCATION)
@require_POST
def item_swap(request, month, pk):
    allocation = _allocation(request, month)
    item = _item(request, allocation, pk)
    form = ItemSwapForm(request.POST, item=item)
    if form.is_valid() and call_service(
        form,
        allocation_services.allocation_item_swap,
        actor=request.user,
        item=item,
        case=form.cleaned_data["case"],
        reason=form.cleaned_data["reason"],
    ):
        text = f"Case {item.case.child_ref} swapped for case {form.cleaned_data['case'].child_ref}."
        return _done(request, allocation, text, "items")
    return _review_page(request, allocation.month, allocation, bound=("swap", item.pk, form), status=422)


@require(Action.MANAGE_ALLOCATION)
@require_POST
def item_add(request, month):
    allocation = _allocation(request, month)
    form = ItemAddForm(request.POST)
    if form.is_valid() and call_service(
        form,
        allocation_services.allocation_item_add,
        actor=request.user,
        allocation=allocation,
        case=form.cleaned_data["case"],
        auditor=form.cleaned_data["auditor"].person,
        reason=form.cleaned_data["reason"],
    ):
        text = f"Case {form.cleaned_data['case'].child_ref} added for {form.cleaned_data['auditor'].person}."
        return _done(request, allocation, text, "items")
    return _review_page(request, allocation.month, allocation, bound=("add", form), status=422)


@require(Action.MANAGE_ALLOCATION)
@require_POST
def allocation_distribute(request, month):
    allocation = _allocation(request, month)
    form = DistributeForm(request.POST)
    if form.is_valid():
        distributed = call_service(
            form, allocation_services.allocation_distribute, actor=request.user, allocation=allocation
        )
        if distributed:
            count = distributed.items.filter(audit__isnull=False).count()
            return _done(request, distributed, f"Allocation distributed: {count} audit(s) created, auditors told.")
    return _review_page(request, allocation.month, allocation, bound=("distribute", form), status=422)
