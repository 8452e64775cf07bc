"""The scorecard's waiting work, for the home page (quality/waiting.py): last month's figures still to
load, commentary still to write on the scorecard's month, months still to lock, and for readers the
latest month with figures. Each selector checks the person may do the work (quality.access) and runs a
fixed number of queries (a count and the first rows) whatever the number of rows."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from audits.selectors import HOME_ROWS
from quality.access import Action, can, grant_for
from quality.months import add_months, month_start
from quality.org.models import Role
from quality.waiting import READING_ROLES, Entry, Waiting

from .commentary import commentary_missing
from .models import Commentary, Indicator, KpiValue, MonthLock
from .scorecard import latest_period


def _council_figures(period: date | None = None):
    figures = KpiValue.objects.filter(is_current=True, breakdown="")
    return figures if period is None else figures.filter(period=period)


def _commentary_url(period: date) -> str:
    return f"{reverse('performance:commentary')}?month={period:%Y-%m}"


def _indicators(number: int) -> str:
    return f"{number} indicator{'' if number == 1 else 's'}"


def figures_to_load(user) -> Waiting | None:
    """The active indicators with no council-wide figure for last month (the month whose figures are
    loaded now), unless that month is locked."""
    if not can(user, Action.LOAD_KPI_VALUES):
        return None
    period = add_months(month_start(timezone.localdate()), -1)
    if MonthLock.objects.filter(period=period).exists():
        return None
    loaded = _council_figures(period).filter(indicator=OuterRef("pk"))
    missing = Indicator.objects.filter(is_active=True).exclude(Exists(loaded)).order_by("display_order", "code")
    entries = [
        Entry(text=f"{indicator.code} {indicator.title}", url=indicator.get_absolute_url())
        for indicator in missing[:HOME_ROWS]
    ]
    return Waiting(
        "figures_to_load",
        f"Figures to load for {period:%B %Y}",
        missing.count(),
        entries,
        link=reverse("performance:value_load_upload"),
        link_text=f"Load the figures for {period:%B %Y}",
    )


def commentary_to_write(user) -> Waiting | None:
    """The indicators still without commentary on the scorecard's month (the latest with figures), unless
    it is locked: every one for a performance officer, the ones they lead for anyone else."""
    if not can(user, Action.WRITE_COMMENTARY):
        return None
    grant = grant_for(user)
    period = latest_period()
    if MonthLock.objects.filter(period=period).exists():
        return None
    missing = commentary_missing(period)
    if Role.PERFORMANCE_OFFICER not in grant.roles:
        missing = missing.filter(lead_id=grant.person_id)
    entries = [
        Entry(
            text=f"{indicator.code} {indicator.title}",
            url=reverse("performance:commentary_edit", args=[f"{period:%Y-%m}", indicator.pk]),
        )
        for indicator in missing[:HOME_ROWS]
    ]
    return Waiting(
        "commentary_to_write",
        f"Commentary to write for {period:%B %Y}",
        missing.count(),
        entries,
        link=_commentary_url(period),
        link_text=f"The commentary for {period:%B %Y}",
    )


def months_to_lock(user) -> Waiting | None:
    """Past months with figures that are not locked yet, latest first, each saying whether its
    commentary is all written (then its pack can be made final and the month locked)."""
    if not can(user, Action.LOCK_MONTH):
        return None
    locked = MonthLock.objects.filter(period=OuterRef("period"))
    months = (
        _council_figures()
        .filter(period__lt=month_start(timezone.localdate()))
        .exclude(Exists(locked))
        .order_by()
        .values("period")
        .distinct()
    )
    written = (
        Commentary.objects.filter(period=OuterRef("period"), indicator__is_active=True)
        .exclude(commentary="")
        .order_by()
        .values("period")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = months.annotate(
        written=Coalesce(Subquery(written, output_field=IntegerField()), Value(0)),
        indicators=Subquery(
            Indicator.objects.filter(is_active=True).order_by().values("is_active").annotate(n=Count("pk")).values("n"),
            output_field=IntegerField(),
        ),
    ).order_by("-period")
    entries = [_month_to_lock(row["period"], (row["indicators"] or 0) - row["written"]) for row in rows[:HOME_ROWS]]
    return Waiting("months_to_lock", "Months to lock", months.count(), entries)


def _month_to_lock(period: date, missing: int) -> Entry:
    note = (
        f"commentary missing on {_indicators(missing)}"
        if missing > 0
        else "all commentary written: lock it when its pack is final"
    )
    return Entry(text=f"{period:%B %Y}", url=_commentary_url(period), note=note)


def latest_scorecard_month(user) -> Waiting | None:
    """For readers: the latest month with council-wide figures, to open the scorecard on."""
    if not grant_for(user).roles & READING_ROLES or not can(user, Action.VIEW_SCORECARD):
        return None
    period = latest_period()
    if not _council_figures(period).exists():
        return None
    entry = Entry(
        text=f"Scorecard for {period:%B %Y}",
        url=f"{reverse('performance:scorecard')}?month={period:%Y-%m}",
        note="the latest month with figures",
    )
    return Waiting("latest_scorecard_month", "Latest scorecard month", 1, [entry])
