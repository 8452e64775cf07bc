"""The audit schedule pages: the year as a calendar, one month day by day, an entry (add, change,
remove: the QA unit and administrators), "Subscribe in Outlook", and the iCalendar file: by a
person's secret feed address (no session: Outlook cannot sign in) or downloaded when signed in.

Every internal role but the read-only reader reads the schedule (VIEW_SCHEDULE); it holds nothing
about children, but it is the QA unit's working calendar, not a published report.
"""

from contextlib import suppress
from datetime import date

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseNotFound
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from quality.access import Action, can, require
from quality.forms import call_service
from quality.idempotency import create_once
from quality.months import add_months
from quality.org.selectors import changes_to

from . import ical, schedule
from .schedule_forms import EntryDeleteForm, ScheduleEntryForm, ScheduleFilterForm

FIRST_YEAR, LAST_YEAR = 2000, 2100
CALENDAR_TYPE = "text/calendar; charset=utf-8"
FEED_NOT_FOUND = "No calendar at this address. Open the portal's schedule page for your current address."


def _year(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404
    return year


def _month(year: int, month: int) -> date:
    if not 1 <= month <= 12:
        raise Http404
    return date(_year(year), month, 1)


def _kind(request) -> tuple[ScheduleFilterForm, str | None]:
    form = ScheduleFilterForm(request.GET or None)
    return form, (form.cleaned_data["kind"] or None) if form.is_valid() else None


def _with_kind(url: str, kind: str | None) -> str:
    return f"{url}?kind={kind}" if kind else url


def _month_url(month: date, kind: str | None = None) -> str:
    return _with_kind(reverse("schedule:month", args=[month.year, month.month]), kind)


@require(Action.VIEW_SCHEDULE)
@require_safe
def year_view(request, year: int | None = None):
    year = _year(timezone.localdate().year if year is None else year)
    form, kind = _kind(request)
    context = {
        "year": year,
        "months": schedule.year_calendar(request.user, year, kind),
        "filter_form": form,
        "kind": kind,
        "previous_url": _with_kind(reverse("schedule:year", args=[year - 1]), kind),
        "next_url": _with_kind(reverse("schedule:year", args=[year + 1]), kind),
        "this_year_url": _with_kind(reverse("schedule:calendar"), kind),
        "today": timezone.localdate(),
        "may_manage": can(request.user, Action.MANAGE_SCHEDULE),
    }
    return render(request, "audits/schedule/year.html", context)


@require(Action.VIEW_SCHEDULE)
@require_safe
def month_view(request, year: int, month: int):
    first = _month(year, month)
    form, kind = _kind(request)
    previous, following = add_months(first, -1), add_months(first, 1)
    context = {
        "calendar": schedule.month_calendar(request.user, first, kind),
        "filter_form": form,
        "kind": kind,
        "previous": previous,
        "following": following,
        "previous_url": _month_url(previous, kind),
        "next_url": _month_url(following, kind),
        "year_url": _with_kind(reverse("schedule:year", args=[first.year]), kind),
        "today": timezone.localdate(),
        "may_manage": can(request.user, Action.MANAGE_SCHEDULE),
        "add_url": f"{reverse('schedule:entry_create')}?date={first:%Y-%m-%d}",
    }
    return render(request, "audits/schedule/month.html", context)


@require(Action.VIEW_SCHEDULE)
@require_safe
def entry_detail(request, pk: int):
    entry = schedule.entry_for_page(request.user, Action.VIEW_SCHEDULE, pk)
    context = {
        "entry": entry,
        "when": schedule.dates_text(entry),
        "month_url": _month_url(entry.starts_on),
        "legal_statuses": schedule.legal_status_labels(entry),
        "may_manage": can(request.user, Action.MANAGE_SCHEDULE),
        "changes": changes_to(entry)[:20],
    }
    return render(request, "audits/schedule/entry_detail.html", context)


def _initial_from_query(request) -> dict:
    """Add-an-entry links may name the day (?date=2026-11-19) and the kind (?kind=panel)."""
    initial = {}
    with suppress(ValueError):  # a date that does not parse simply leaves the field empty
        initial["starts_on"] = date.fromisoformat(request.GET.get("date", ""))
    if request.GET.get("kind") in schedule.Kind.values:
        initial["kind"] = request.GET["kind"]
    return initial


@require(Action.MANAGE_SCHEDULE)
def entry_create(request):
    form = ScheduleEntryForm(request.POST or None, initial=_initial_from_query(request))
    if request.method == "POST" and form.is_valid():
        entry, again = create_once(
            request,
            form,
            schedule.schedule_entry_create,
            location=lambda entry: _month_url(entry.starts_on),
            actor=request.user,
            **form.cleaned_data,
        )
        if again:
            return again
        if entry:
            messages.success(request, f"Added '{entry.title}', {schedule.dates_text(entry)}.")
            return redirect(_month_url(entry.starts_on))
    return render(request, "audits/schedule/entry_form.html", {"form": form, "entry": None})


@require(Action.MANAGE_SCHEDULE)
def entry_edit(request, pk: int):
    entry = schedule.entry_for_page(request.user, Action.MANAGE_SCHEDULE, pk)
    form = ScheduleEntryForm(request.POST or None, entry=entry)
    if request.method == "POST" and form.is_valid():
        saved = call_service(form, schedule.schedule_entry_update, actor=request.user, entry=entry, **form.cleaned_data)
        if saved:
            messages.success(request, f"Saved '{saved.title}', {schedule.dates_text(saved)}.")
            return redirect("schedule:entry_detail", pk=saved.pk)
    return render(request, "audits/schedule/entry_form.html", {"form": form, "entry": entry})


@require(Action.MANAGE_SCHEDULE)
def entry_delete(request, pk: int):
    """A confirmation page (GET); removing happens only on its POST."""
    entry = schedule.entry_for_page(request.user, Action.MANAGE_SCHEDULE, pk)
    form = EntryDeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        month_url, title = _month_url(entry.starts_on), entry.title
        schedule.schedule_entry_delete(actor=request.user, entry=entry, reason=form.cleaned_data["reason"])
        messages.success(request, f"Removed '{title}' from the schedule.")
        return redirect(month_url)
    context = {"entry": entry, "when": schedule.dates_text(entry), "form": form}
    return render(request, "audits/schedule/entry_delete.html", context)


def feed_url(subscription) -> str:
    return f"{settings.PORTAL_URL.rstrip('/')}{reverse('schedule:feed', args=[subscription.token])}"


@require(Action.VIEW_SCHEDULE)
@require_safe
def subscribe(request):
    subscription = schedule.subscription_of(request.user.person)
    context = {
        "subscription": subscription,
        "feed_url": feed_url(subscription) if subscription else "",
    }
    return render(request, "audits/schedule/subscribe.html", context)


@require(Action.VIEW_SCHEDULE)
@require_POST
def subscription_create(request):
    schedule.calendar_subscription_create(person=request.user.person)
    messages.success(request, "Your calendar address is ready: copy it into Outlook.")
    return redirect("schedule:subscribe")


@require(Action.VIEW_SCHEDULE)
@require_POST
def subscription_replace(request):
    schedule.calendar_subscription_replace(person=request.user.person)
    messages.success(
        request, "You have a new calendar address. The old one no longer works: subscribe again with this one."
    )
    return redirect("schedule:subscribe")


def _calendar_response(**headers) -> HttpResponse:
    body = ical.calendar_text(schedule.feed_entries(), portal_url=settings.PORTAL_URL)
    return HttpResponse(body, content_type=CALENDAR_TYPE, headers=headers)


@require(Action.VIEW_SCHEDULE)
@require_safe
def download(request):
    return _calendar_response(**{"Content-Disposition": 'attachment; filename="audit-schedule.ics"'})


def _unlogged(response: HttpResponse) -> HttpResponse:
    # Django logs 4xx answers with the request path, and the path holds the secret token.
    response._has_been_logged = True
    return response


@csrf_exempt  # it changes nothing; and a CSRF refusal would log the path, token included
@never_cache
def feed(request, token: str):
    """The calendar at a person's secret address. No session: the token is the whole check, and a
    token that is unknown, replaced, or of a person no longer active or with no role gets a 404."""
    if request.method not in ("GET", "HEAD"):
        return _unlogged(HttpResponseNotAllowed(["GET", "HEAD"]))
    if schedule.feed_person(token) is None:
        return _unlogged(HttpResponseNotFound(FEED_NOT_FOUND, content_type="text/plain; charset=utf-8"))
    return _calendar_response(**{"X-Robots-Tag": "noindex"})
