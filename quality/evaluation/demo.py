"""The demo's triangulation rules: the defaults, so the rules page and the flags work after `make run`.

The demo's other apps already give the pages something to show; this adds the rules and, so that a
flag shows on the first area's page for the last whole month, one upheld complaint more where the demo
has good grades, only when no flag would show otherwise. Idempotent."""

from __future__ import annotations

from django.utils import timezone

from evidence.complaints.models import Entry, Kind, Outcome, Theme
from quality.months import add_months, month_start
from quality.org.models import ServiceArea

from .models import TriangulationRule
from .rules import ensure_default_rules
from .triangulation import area_triangulation, span_for


def _last_whole_month() -> str:
    return f"{add_months(month_start(timezone.localdate()), -1):%Y-%m}"


def load() -> None:
    ensure_default_rules()
    span = span_for("monthly", _last_whole_month())
    areas = list(ServiceArea.objects.filter(is_active=True).order_by("code"))
    if any(area_triangulation(area, span).flags for area in areas):
        return
    # The first area whose grades look good gets the upheld complaints the rule asks for.
    rule = TriangulationRule.objects.get(kind=TriangulationRule.Kind.GOOD_GRADES_UPHELD_COMPLAINTS)
    for area in areas:
        figures = area_triangulation(area, span)
        share = figures.audits_now.good_after_pct
        if share is not None and share >= rule.threshold_pct:
            for _ in range(max(0, rule.threshold_count - figures.complaints.upheld)):
                Entry.objects.create(
                    received_on=span.start,
                    service_area=area,
                    kind=Kind.COMPLAINT,
                    theme=Theme.TIMELINESS,
                    outcome=Outcome.UPHELD,
                    learning="Letters to the family to say when the assessment will be done.",
                )
            return
