"""The demo's triangulation rules and self-evaluation, so the pages show something after `make run`.

The rules: the defaults, so the rules page and the flags work.

The demo's other apps already give the pages something to show; this adds the rules and, so that a
flag shows on the first area's page for the last whole month, one upheld complaint more where the demo
has good grades, only when no flag would show otherwise. Idempotent."""

from __future__ import annotations

from django.utils import timezone

from evidence.complaints.models import Entry, Kind, Outcome, Theme
from quality.months import add_months, month_start
from quality.org.models import Membership, Role, ServiceArea

from . import self_evaluation
from .models import Citation, Question, SelfEvaluation, TriangulationRule
from .rules import ensure_default_rules
from .triangulation import area_triangulation, span_for


def _last_whole_month() -> str:
    return f"{add_months(month_start(timezone.localdate()), -1):%Y-%m}"


def load() -> None:
    ensure_default_rules()
    _flag_one_area()
    _self_evaluation_draft()


def _flag_one_area() -> None:
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


def _self_evaluation_draft() -> None:
    """This year's self-evaluation as the QA lead has begun it: a statement about the first area citing
    its good grades over the last whole month, sent for review, and a head of service's comment on it.
    Nothing when the year's is there or there is no QA lead."""
    lead = Membership.objects.current().filter(role=Role.QA_LEAD).select_related("person__user").first()
    area = ServiceArea.objects.filter(is_active=True).order_by("code").first()
    year = timezone.localdate().year
    if lead is None or area is None or SelfEvaluation.objects.filter(year=year).exists():
        return
    actor = lead.person.user
    evaluation = self_evaluation.self_evaluation_start(actor=actor, year=year)
    statement = self_evaluation.statement_save(
        actor=actor,
        evaluation=evaluation,
        question=Question.KNOW,
        service_area=area,
        text=f"Most audits in {area.name} are graded good or outstanding, and moderation mostly agrees.",
    )
    source = {"area": area.pk, "figure": "good_after", "kind": "monthly", "period": _last_whole_month()}
    self_evaluation.citation_add(actor=actor, statement=statement, kind=Citation.Kind.FIGURE, source=source)
    self_evaluation.review_send(actor=actor, evaluation=evaluation)
    head = Membership.objects.current().filter(role=Role.HEAD_OF_SERVICE).select_related("person__user").first()
    if head is not None:
        self_evaluation.comment_add(
            actor=head.person.user,
            evaluation=evaluation,
            statement=statement,
            text="Say what the families told us as well as the grades.",
        )
