"""Moderation's waiting work, for the home page (quality/waiting.py): panels the QA unit has to prepare,
sessions open now with grades to record, and the panels a member sits on that are coming up. Each
selector checks the person may do the work (quality.access), counts only the sampled audits they may
see, and runs a fixed number of queries (a count and the first rows) whatever the number of rows."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from audits.selectors import HOME_ROWS
from quality.access import Action, can, grant_for, visible
from quality.waiting import Entry, Waiting

from .models import Panel, PanelItem

NEXT_STEP = {
    Panel.State.PLANNED: "draw its sample",
    Panel.State.SAMPLE_DRAWN: "open its session",
}


def _with_counts(user, panels: QuerySet[Panel]) -> QuerySet[Panel]:
    """Each panel with `sampled` and `undecided`: the audits in its sample this person may see, and
    those still without the panel's grade (one subquery each, so a panel is never read twice)."""

    def count(**lookup) -> Coalesce:
        items = visible(user, PanelItem.objects.filter(panel=OuterRef("pk"), removed_at__isnull=True, **lookup))
        counted = items.order_by().values("panel").annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))

    return panels.annotate(sampled=count(), undecided=count(decision__isnull=True))


def _when(panel: Panel) -> str:
    times = f", {panel.starts_at:%H:%M} to {panel.ends_at:%H:%M}" if panel.starts_at and panel.ends_at else ""
    return f"{panel.get_kind_display()}, {panel.held_on:%-d %B %Y}{times}"


def _audits(number: int) -> str:
    return f"{number} audit{'' if number == 1 else 's'}"


def _panel_list_link() -> dict:
    return {"link": reverse("moderation:panel_list"), "link_text": "Every moderation panel"}


def panels_to_prepare(user) -> Waiting | None:
    """Panels whose session has not opened: the QA unit draws their sample, then opens the session."""
    if not can(user, Action.MANAGE_PANELS):
        return None
    preparing = visible(user, Panel.objects.filter(state__in=tuple(NEXT_STEP)))
    rows = _with_counts(user, preparing).order_by("held_on", "pk")
    entries = [
        Entry(
            text=_when(panel),
            url=panel.get_absolute_url(),
            note=(
                f"{NEXT_STEP[panel.state]} ({_audits(panel.sampled)} in the sample)"
                if panel.state == Panel.State.SAMPLE_DRAWN
                else NEXT_STEP[panel.state]
            ),
        )
        for panel in rows[:HOME_ROWS]
    ]
    return Waiting("panels_to_prepare", "Panels to prepare", preparing.count(), entries, **_panel_list_link())


def sessions_open(user) -> Waiting | None:
    """Panel sessions open now in which this person records grades: the panels they sit on, and for the
    QA unit (who may record any panel's decisions, and conclude it) every panel in session."""
    if not can(user, Action.MODERATE):
        return None
    in_session = visible(user, Panel.objects.filter(state=Panel.State.IN_SESSION))
    if not can(user, Action.MANAGE_PANELS):
        in_session = in_session.filter(members=grant_for(user).person_id)
    rows = _with_counts(user, in_session).order_by("held_on", "pk")
    entries = [
        Entry(
            text=_when(panel),
            url=panel.get_absolute_url(),
            note=(
                f"{_audits(panel.undecided)} of {panel.sampled} still to grade"
                if panel.undecided
                else f"all {_audits(panel.sampled)} graded: ready to conclude"
            ),
        )
        for panel in rows[:HOME_ROWS]
    ]
    return Waiting("sessions_open", "Panel sessions open now", in_session.count(), entries, **_panel_list_link())


def panels_coming_up(user) -> Waiting | None:
    """The panels this person sits on whose session is still to come (the QA unit sees those among the
    panels it prepares)."""
    if not can(user, Action.MODERATE) or can(user, Action.MANAGE_PANELS):
        return None
    coming = visible(
        user,
        Panel.objects.filter(
            state__in=tuple(NEXT_STEP), members=grant_for(user).person_id, held_on__gte=timezone.localdate()
        ),
    )
    rows = _with_counts(user, coming).order_by("held_on", "pk")
    entries = [
        Entry(
            text=_when(panel),
            url=panel.get_absolute_url(),
            note=f"{_audits(panel.sampled)} in the sample"
            if panel.state == Panel.State.SAMPLE_DRAWN
            else "sample not drawn yet",
        )
        for panel in rows[:HOME_ROWS]
    ]
    return Waiting("panels_coming_up", "Your panels coming up", coming.count(), entries)
