"""Reports' services on real PostgreSQL: asking for a report, generating it, editing the draft,
publishing (the snapshot rule), correcting, the schedule's due dates, stranded reports, subscribers."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from unittest.mock import patch

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from audits import figure_months
from audits.models import AreaGrade, Audit
from quality.org.models import ChangeRecord, Notification, Role
from quality.reports import services
from quality.reports.models import Highlight, ImprovementPoint, Report, ReportSubscription
from quality.reports.selectors import earlier_points, figures_for, period_label, report_title
from quality.reports.services import Due, PointChange
from tests.moderation.outcome_world import published_version

pytestmark = pytest.mark.django_db

LONDON = timezone.get_default_timezone()
TODAY = date(2026, 11, 23)


def at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)), LONDON)


class AuditMaker:
    """Submitted audits on a given day (London noon), with strengths and areas for improvement."""

    def __init__(self, version, auditor, area):
        self.version, self.auditor, self.area, self.count = version, auditor, area, 0

    def __call__(self, on: date, grade: str = "good", *, area=None, **fields) -> Audit:
        self.count += 1
        fields.setdefault("strengths", f"Strength {self.count}: the chronology is up to date.")
        fields.setdefault("areas_for_improvement", f"Improvement {self.count}: the plan is not SMART.")
        audit = Audit.objects.create(
            case_reference=f"C{700000 + self.count}",
            service_area=area or self.area,
            auditor=self.auditor,
            tool_version=self.version,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 6, 30),
            state=Audit.State.SUBMITTED,
            overall_grade=grade,
            submitted_at=at(on),
            discussion_held=fields.pop("discussion_held", True),
            **fields,
        )
        AreaGrade.objects.create(audit=audit, area="planning", grade=grade or "good")
        return audit


@pytest.fixture
def people(qa_lead, practice_manager, service_lead, head_of_service, practitioner):
    """The shared cast by their part in a report."""
    return {
        "qa_lead": qa_lead,
        "manager": practice_manager,
        "service_lead": service_lead,
        "head": head_of_service,
        "practitioner": practitioner,
    }


@pytest.fixture
def make_audit(people, own_area):
    return AuditMaker(published_version(), people["manager"], own_area)


@pytest.fixture
def october(make_audit, other_area):
    """October 2026: three audits in SWF, one in PTC."""
    return [
        make_audit(date(2026, 10, 2), "good"),
        make_audit(date(2026, 10, 9), "requires_improvement"),
        make_audit(date(2026, 10, 20), "outstanding", discussion_held=False),
        make_audit(date(2026, 10, 21), "inadequate", area=other_area),
    ]


def queued(kind="monthly", period="2026-10", **fields) -> Report:
    from quality.reports.figures import parse_period

    start, end = parse_period(kind, period)
    return Report.objects.create(kind=kind, period=period, period_start=start, period_end=end, **fields)


def generated(report: Report) -> Report:
    result = services.report_generate(report_id=report.pk)
    assert result is not None
    return result


@pytest.fixture
def no_queue():
    """Record what would be queued instead of sending it to Redis."""
    with patch("quality.reports.tasks.generate_report.delay") as delay:
        yield delay


# ---------------------------------------------------------------------------------------
# Asking for a report


def test_asking_for_a_month_queues_a_report_and_its_generation_once_committed(
    people, no_queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        requested = services.report_request(actor=people["qa_lead"].user, kind="monthly", period="2026-10", today=TODAY)

    report = requested.report
    assert requested.outcome == "created"
    assert (report.state, report.period_start, report.period_end, report.year_to_date) == (
        Report.State.QUEUED,
        date(2026, 10, 1),
        date(2026, 10, 31),
        False,
    )
    assert report.requested_by == people["qa_lead"].user
    no_queue.assert_called_once_with(report.pk)
    assert ChangeRecord.objects.filter(action="report.request", target_id=report.pk).exists()


def test_a_quarter_written_in_lower_case_is_stored_in_its_usual_form(people, no_queue):
    report = services.report_request(actor=None, kind="quarterly", period="2026-q3", today=TODAY).report

    assert (report.period, report.period_start, report.period_end) == ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30))


@pytest.mark.parametrize(
    ("kind", "period", "field"),
    [("monthly", "2026-13", "period"), ("quarterly", "2026-10", "period"), ("weekly", "2026-10", "kind")],
)
def test_a_wrong_period_or_kind_is_refused_next_to_its_field(people, no_queue, kind, period, field):
    with pytest.raises(ValidationError) as refused:
        services.report_request(actor=None, kind=kind, period=period, today=TODAY)

    assert list(refused.value.message_dict) == [field]
    assert not Report.objects.exists()


def test_a_period_that_has_not_started_is_refused(people, no_queue):
    with pytest.raises(ValidationError) as refused:
        services.report_request(actor=None, kind="monthly", period="2026-12", today=TODAY)

    assert refused.value.message_dict["period"] == [services.PERIOD_NOT_STARTED.format(period="December 2026")]


def test_an_annual_report_of_this_year_covers_the_year_to_yesterday(people, no_queue):
    report = services.report_request(actor=None, kind="annual", period="2026", today=TODAY).report

    assert (report.year_to_date, report.period_start, report.period_end) == (True, date(2026, 1, 1), date(2026, 11, 22))
    assert report_title(report) == "Annual audit report, 2026, year to date (1 January to 22 November)"


def test_asking_again_for_a_period_with_a_draft_generates_that_draft_again(people, october, no_queue):
    first = generated(services.report_request(actor=None, kind="monthly", period="2026-10", today=TODAY).report)

    again = services.report_request(actor=people["qa_lead"].user, kind="monthly", period="2026-10", today=TODAY)

    assert again.outcome == "refreshed" and again.report.pk == first.pk
    assert Report.objects.get().state == Report.State.QUEUED
    assert services.report_request(actor=None, kind="monthly", period="2026-10", today=TODAY).outcome == "queued"
    assert Report.objects.count() == 1


def test_a_published_period_is_not_generated_again(people, october, no_queue):
    report = generated(queued())
    services.report_publish(actor=people["qa_lead"].user, report=report)

    with pytest.raises(ValidationError) as refused:
        services.report_request(actor=None, kind="monthly", period="2026-10", today=TODAY)

    assert refused.value.message_dict["period"] == [services.ALREADY_PUBLISHED.format(period="October 2026")]


def test_a_failed_report_asked_for_again_is_queued_again_not_duplicated(people, no_queue):
    failed = queued(state=Report.State.FAILED)

    requested = services.report_request(actor=None, kind="monthly", period="2026-10", today=TODAY)

    assert requested.report.pk == failed.pk and requested.report.state == Report.State.QUEUED
    assert Report.objects.count() == 1


# ---------------------------------------------------------------------------------------
# Generating (the worker's part)


@pytest.mark.parametrize("stale_answers,refreshes", [([False, False, True], 3), ([False] * 5, 5)])
def test_a_month_made_stale_while_the_snapshot_is_taken_is_counted_again_before_the_figures(
    people, october, stale_answers, refreshes
):
    """An audit changed between bringing the counts up to date and taking the snapshot: the snapshot is
    given up and taken again; the last attempt computes anyway (the figures rebuild stale months)."""
    with (
        patch.object(figure_months, "is_fresh", side_effect=stale_answers),
        patch.object(figure_months, "refresh_all", wraps=figure_months.refresh_all) as refresh_all,
    ):
        report = generated(queued())
    assert refresh_all.call_count == refreshes
    assert report.figures["audits"]["completed"] == 4


def test_generating_counts_the_figures_draws_highlights_and_tells_the_requester(people, october, own_area):
    report = queued(requested_by=people["qa_lead"].user)
    before = timezone.now()

    report = generated(report)

    assert report.state == Report.State.DRAFT and report.progress == 100
    assert report.data_taken_at >= before
    assert report.figures["audits"]["completed"] == 4
    assert report.figures["audits"]["grades"] == {
        "outstanding": 1,
        "good": 1,
        "requires_improvement": 1,
        "inadequate": 1,
    }
    assert [row["code"] for row in report.figures["by_service_area"]] == ["PTC", "SWF"]
    highlights = list(report.highlights.all())
    assert len(highlights) == 8  # strengths and areas for improvement of four audits
    assert {h.kind for h in highlights} == {Highlight.Kind.GOOD_PRACTICE, Highlight.Kind.IMPROVEMENT}
    assert not any(h.included for h in highlights)
    assert all(h.text == h.source_text for h in highlights)
    notice = Notification.objects.get(recipient=people["qa_lead"].user)
    assert notice.subject == "Monthly audit analysis, October 2026: the draft is ready"
    assert notice.url == report.get_absolute_url()


def test_a_report_made_by_the_schedule_tells_the_qa_leads(people, october):
    generated(queued())

    assert list(Notification.objects.values_list("recipient", flat=True)) == [people["qa_lead"].user.pk]


def test_generating_a_report_not_queued_does_nothing(people, october):
    report = generated(queued())
    taken = report.data_taken_at

    assert services.report_generate(report_id=report.pk) is None

    report.refresh_from_db()
    assert report.data_taken_at == taken and report.highlights.count() == 8


def test_a_report_another_worker_is_generating_is_left_to_it(people, october):
    report = queued()
    assert services._claim(report.pk)  # the other worker

    assert services.report_generate(report_id=report.pk) is None
    assert Report.objects.get().state == Report.State.QUEUED


def test_a_report_whose_worker_went_quiet_long_ago_can_be_claimed_again(people, october):
    report = queued()
    Report.objects.filter(pk=report.pk).update(progress=60, updated_at=timezone.now() - timedelta(minutes=16))

    assert services.report_generate(report_id=report.pk).state == Report.State.DRAFT


def test_progress_is_written_as_generation_goes(people, october):
    report = queued()
    seen = []
    real = services.report_progress

    def spy(report_id, progress, note):
        real(report_id, progress, note)
        row = Report.objects.get(pk=report_id)
        seen.append((row.progress, row.state))

    with patch.object(services, "report_progress", spy):
        generated(report)

    assert [progress for progress, _ in seen] == [15, 60, 90]
    assert {state for _, state in seen} == {Report.State.QUEUED}


def test_generating_again_keeps_the_picked_and_reworded_highlights_and_replaces_the_rest(
    people, october, make_audit, no_queue
):
    report = generated(queued())
    picked, reworded, *others = list(report.highlights.order_by("pk"))
    picked.included = True
    picked.save()
    reworded.text = "Reworded by QA."
    reworded.save()
    make_audit(date(2026, 10, 30), "good", strengths="A new strength.", areas_for_improvement="")

    services.report_refresh(actor=people["qa_lead"].user, report=report)
    generated(report)

    texts = list(report.highlights.values_list("text", flat=True))
    assert "Reworded by QA." in texts and picked.text in texts and "A new strength." in texts
    assert len(texts) == 9  # 8 drawn again (2 kept) + the new strength
    assert report.highlights.filter(included=True).count() == 1


def test_only_a_draft_failed_or_stranded_report_can_be_generated_again(people, no_queue):
    report = queued()

    with pytest.raises(ValidationError):
        services.report_refresh(actor=None, report=report)

    Report.objects.filter(pk=report.pk).update(updated_at=timezone.now() - timedelta(minutes=20))
    assert services.report_refresh(actor=None, report=report).progress == 0


def test_failing_marks_the_report_failed_and_tells_whoever_asked(people):
    report = queued(requested_by=people["qa_lead"].user)

    services.report_fail(report_id=report.pk)

    assert Report.objects.get().state == Report.State.FAILED
    assert Notification.objects.get(recipient=people["qa_lead"].user).urgent


# ---------------------------------------------------------------------------------------
# Editing the draft


def test_editing_saves_the_narrative_the_picked_highlights_and_the_improvement_points(people, october):
    report = generated(queued())
    first, second, *_ = report.highlights.order_by("pk")

    services.report_edit(
        actor=people["qa_lead"].user,
        report=report,
        summary=" Four audits. ",
        analysis="Planning is the weakest area.",
        next_steps="Plan workshops.",
        highlights={first.pk: (True, "Up-to-date chronologies."), second.pk: (False, "")},
        points=[PointChange(None, "SMART plans in every case"), PointChange(None, "  ")],
    )

    report.refresh_from_db()
    assert (report.summary, report.analysis, report.next_steps) == (
        "Four audits.",
        "Planning is the weakest area.",
        "Plan workshops.",
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.included, first.text) == (True, "Up-to-date chronologies.")
    assert (second.included, second.text) == (False, second.source_text)
    assert list(report.improvement_points.values_list("text", "order")) == [("SMART plans in every case", 1)]


def test_improvement_points_are_changed_reordered_and_removed(people, october):
    report = generated(queued())
    one = ImprovementPoint.objects.create(report=report, text="One", order=1)
    two = ImprovementPoint.objects.create(report=report, text="Two", order=2)

    services.report_edit(
        actor=None,
        report=report,
        summary="",
        analysis="",
        next_steps="",
        points=[
            PointChange(one.pk, "One", remove=True),
            PointChange(two.pk, "Two, reworded"),
            PointChange(None, "New"),
        ],
    )

    assert list(report.improvement_points.values_list("text", "order")) == [("Two, reworded", 1), ("New", 2)]


def test_a_highlight_picked_with_no_wording_is_refused(people, october):
    report = generated(queued())
    highlight = report.highlights.first()

    with pytest.raises(ValidationError) as refused:
        services.report_edit(
            actor=None, report=report, summary="", analysis="", next_steps="", highlights={highlight.pk: (True, " ")}
        )

    assert refused.value.message_dict["highlights"] == [services.HIGHLIGHT_TEXT_REQUIRED]


def test_a_highlight_of_another_report_is_not_touched(people, october, no_queue):
    report = generated(queued())
    other = generated(queued(period="2026-09"))
    foreign = report.highlights.first()

    services.report_edit(
        actor=None, report=other, summary="", analysis="", next_steps="", highlights={foreign.pk: (True, "Hijacked")}
    )

    foreign.refresh_from_db()
    assert (foreign.included, foreign.text) == (False, foreign.source_text)


def test_a_published_report_cannot_be_edited(people, october):
    report = services.report_publish(actor=people["qa_lead"].user, report=generated(queued()))

    with pytest.raises(ValidationError) as refused:
        services.report_edit(actor=None, report=report, summary="Changed", analysis="", next_steps="")

    assert refused.value.messages == [services.NOT_A_DRAFT.format(state="published")]
    assert Report.objects.get().summary == ""


# ---------------------------------------------------------------------------------------
# Improvement points of earlier reports (quarterly and annual)


def published_with_points(people, kind, period, texts) -> Report:
    report = generated(queued(kind=kind, period=period))
    services.report_edit(
        actor=None,
        report=report,
        summary="",
        analysis="",
        next_steps="",
        points=[PointChange(None, text) for text in texts],
    )
    return services.report_publish(actor=people["qa_lead"].user, report=report)


def test_a_quarterly_report_records_progress_on_the_points_of_the_years_earlier_reports(people, october):
    july = published_with_points(people, "monthly", "2026-07", ["Chronologies"])
    published_with_points(people, "monthly", "2025-12", ["Last year's point"])
    published_with_points(people, "monthly", "2026-10", ["After the quarter"])
    quarter = generated(queued(kind="quarterly", period="2026-Q3"))

    points = list(earlier_points(quarter))
    assert [p.text for p in points] == ["Chronologies"]

    services.report_edit(
        actor=None,
        report=quarter,
        summary="",
        analysis="",
        next_steps="",
        progress={points[0].pk: ("in_progress", "Training booked."), 999999: ("achieved", "")},
    )
    services.report_publish(actor=people["qa_lead"].user, report=quarter)

    assert list(quarter.improvement_progress.values_list("point__report", "status", "note")) == [
        (july.pk, "in_progress", "Training booked.")
    ]


def test_publishing_freezes_the_list_of_earlier_points_with_their_progress(people, october):
    published_with_points(people, "monthly", "2026-07", ["Chronologies", "Supervision"])
    quarter = services.report_publish(actor=people["qa_lead"].user, report=generated(queued("quarterly", "2026-Q3")))

    assert sorted(quarter.improvement_progress.values_list("point__text", "status")) == [
        ("Chronologies", "not_started"),
        ("Supervision", "not_started"),
    ]
    published_with_points(people, "monthly", "2026-08", ["Published later"])
    assert quarter.improvement_progress.count() == 2


def test_a_monthly_report_records_no_progress_on_other_reports(people, october):
    published_with_points(people, "monthly", "2026-07", ["Chronologies"])

    assert list(earlier_points(generated(queued()))) == []


# ---------------------------------------------------------------------------------------
# Publishing: the snapshot rule, subscribers


def test_publishing_freezes_the_figures_as_they_were_taken(people, october):
    report = generated(queued())
    taken, figures = report.data_taken_at, report.figures

    services.report_publish(actor=people["qa_lead"].user, report=report)
    # Later: an audit of the month is regraded and moderated, another one is added.
    Audit.objects.filter(pk=october[0].pk).update(overall_grade="inadequate", moderated_grade="inadequate")
    AuditMaker(october[0].tool_version, october[0].auditor, october[0].service_area)(date(2026, 10, 25))

    report = Report.objects.get()
    assert report.state == Report.State.PUBLISHED
    assert (report.data_taken_at, report.figures) == (taken, figures)
    assert report.figures["audits"]["completed"] == 4
    assert report.figures["audits"]["grades"]["inadequate"] == 1
    assert report.published_by == people["qa_lead"] and report.published_at is not None


def test_publishing_a_report_still_being_generated_is_refused(people):
    with pytest.raises(ValidationError) as refused:
        services.report_publish(actor=None, report=queued())

    assert refused.value.messages == [services.NOT_A_DRAFT.format(state="being generated")]


def test_subscribers_who_still_read_reports_are_emailed_on_publication(
    people, october, make_person, own_area, django_capture_on_commit_callbacks, email_worker
):
    leaver = make_person(Role.PRACTITIONER, own_area, full_name="Lee Worker")
    for person, kinds in (
        (people["head"], ["monthly", "annual"]),
        (people["service_lead"], ["monthly"]),
        (people["qa_lead"], ["quarterly"]),
        (leaver, ["monthly"]),  # a practitioner may not read reports: not told
    ):
        services.subscription_set(person=person, kinds=kinds)
    report = generated(queued())
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.report_publish(actor=people["qa_lead"].user, report=report)

    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [people["head"].user.email, people["service_lead"].user.email]
    )
    assert mail.outbox[0].subject == "Published: Monthly audit analysis, October 2026"
    assert report.get_absolute_url() in mail.outbox[0].body


def test_a_subscription_keeps_only_known_kinds_and_none_ends_it(people):
    subscription = services.subscription_set(person=people["head"], kinds=["annual", "weekly", "monthly"])
    assert subscription.kinds == ["monthly", "annual"]

    assert services.subscription_set(person=people["head"], kinds=[]) is None
    assert not ReportSubscription.objects.exists()


# ---------------------------------------------------------------------------------------
# Correcting a published report


def test_a_correction_copies_the_narrative_and_picks_and_supersedes_the_report_once_published(
    people, october, no_queue
):
    report = generated(queued())
    highlight = report.highlights.first()
    services.report_edit(
        actor=None,
        report=report,
        summary="Summary",
        analysis="Analysis",
        next_steps="Next",
        highlights={highlight.pk: (True, "Picked")},
        points=[PointChange(None, "Point")],
    )
    report = services.report_publish(actor=people["qa_lead"].user, report=report)

    correction = services.report_correct(actor=people["qa_lead"].user, report=report, reason="An audit was misdated.")

    assert (correction.state, correction.supersedes, correction.summary, correction.analysis) == (
        Report.State.QUEUED,
        report,
        "Summary",
        "Analysis",
    )
    assert list(correction.highlights.values_list("text", "included")) == [("Picked", True)]
    assert list(correction.improvement_points.values_list("text", flat=True)) == ["Point"]
    assert Report.objects.get(pk=report.pk).state == Report.State.PUBLISHED  # until the correction is published

    generated(correction)
    assert correction.highlights.filter(included=True).count() == 1  # the pick survives generation
    services.report_publish(actor=people["qa_lead"].user, report=Report.objects.get(pk=correction.pk))

    states = dict(Report.objects.values_list("pk", "state"))
    assert states == {report.pk: Report.State.SUPERSEDED, correction.pk: Report.State.PUBLISHED}
    assert ChangeRecord.objects.filter(action="report.supersede", target_id=report.pk).get().reason == (
        "An audit was misdated."
    )


def test_a_correction_needs_a_reason_and_a_published_report(people, october, no_queue):
    draft = generated(queued())

    with pytest.raises(ValidationError) as no_reason:
        services.report_correct(actor=None, report=draft, reason=" ")
    with pytest.raises(ValidationError) as not_published:
        services.report_correct(actor=None, report=draft, reason="Why")

    assert no_reason.value.message_dict == {"reason": [services.CORRECTION_REASON_REQUIRED]}
    assert not_published.value.messages == [services.NOT_PUBLISHED.format(state="draft")]


def test_only_one_correction_is_prepared_at_a_time(people, october, no_queue):
    report = services.report_publish(actor=people["qa_lead"].user, report=generated(queued()))
    correction = services.report_correct(actor=None, report=report, reason="First")

    with pytest.raises(ValidationError) as refused:
        services.report_correct(actor=None, report=report, reason="Second")

    assert refused.value.messages == [services.CORRECTION_OPEN.format(title=report_title(correction))]


# ---------------------------------------------------------------------------------------
# The schedule


def due_on(today: date) -> set[tuple]:
    return {(d.kind, d.period, d.year_to_date) for d in services.reports_due(today) if d.on == today}


def test_the_monthly_report_is_due_on_the_9th_for_the_month_before():
    assert due_on(date(2026, 12, 8)) == set()
    assert due_on(date(2026, 12, 9)) == {("monthly", "2026-11", False)}


def test_the_quarterly_report_is_due_on_the_6th_of_january_april_july_and_october():
    assert due_on(date(2026, 10, 6)) == {("quarterly", "2026-Q3", False)}
    assert due_on(date(2026, 4, 6)) == {("quarterly", "2026-Q1", False)}
    assert due_on(date(2026, 5, 6)) == set()


def test_the_annual_report_is_due_on_1_december_to_date_and_on_6_january_in_full():
    assert due_on(date(2026, 12, 1)) == {("annual", "2026", True)}
    assert due_on(date(2027, 1, 6)) == {("annual", "2026", False), ("quarterly", "2026-Q4", False)}


def test_what_is_due_looks_back_about_three_months_and_never_ahead():
    due = services.reports_due(date(2026, 12, 9))

    assert [(d.on, d.kind, d.period) for d in due] == [
        (date(2026, 9, 9), "monthly", "2026-08"),
        (date(2026, 10, 6), "quarterly", "2026-Q3"),
        (date(2026, 10, 9), "monthly", "2026-09"),
        (date(2026, 11, 9), "monthly", "2026-10"),
        (date(2026, 12, 1), "annual", "2026"),
        (date(2026, 12, 9), "monthly", "2026-11"),
    ]
    assert all(d.on <= date(2026, 12, 9) for d in due)


def test_the_daily_job_makes_each_due_report_once_and_queues_it(people, no_queue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.reports_generate_due(today=date(2026, 12, 9))
    with django_capture_on_commit_callbacks(execute=True):
        second = services.reports_generate_due(today=date(2026, 12, 9))

    made = set(Report.objects.values_list("kind", "period", "year_to_date"))
    assert made == {(d.kind, d.period, d.year_to_date) for d in services.reports_due(date(2026, 12, 9))}
    assert len(first.created) == len(made) == Report.objects.count() and second.created == []
    assert Report.objects.filter(kind="monthly", period="2026-11").count() == 1
    ytd = Report.objects.get(kind="annual")
    assert (ytd.year_to_date, ytd.period_end) == (True, date(2026, 11, 30))
    assert sorted(call.args[0] for call in no_queue.call_args_list) == sorted(first.created)


def test_the_daily_job_leaves_a_failed_or_published_period_alone(people, october, no_queue):
    queued(period="2026-09", state=Report.State.FAILED)
    services.report_publish(actor=people["qa_lead"].user, report=generated(queued()))

    run = services.reports_generate_due(today=date(2026, 11, 30))

    assert Report.objects.filter(kind="monthly", period__in=["2026-09", "2026-10"]).count() == 2
    assert [Report.objects.get(pk=pk).period for pk in run.created] == ["2026-08", "2026-Q3"]


def test_a_later_year_to_date_supersedes_the_one_published_earlier_in_the_year(people, october, no_queue):
    earlier = services.report_request(actor=None, kind="annual", period="2026", today=date(2026, 10, 31)).report
    services.report_publish(actor=people["qa_lead"].user, report=generated(earlier))

    services.reports_generate_due(today=date(2026, 12, 1))

    december = Report.objects.get(kind="annual", state=Report.State.QUEUED)
    assert (december.period_end, december.supersedes) == (date(2026, 11, 30), earlier)
    generated(december)
    services.report_publish(actor=people["qa_lead"].user, report=Report.objects.get(pk=december.pk))
    assert Report.objects.get(pk=earlier.pk).state == Report.State.SUPERSEDED


def test_a_year_to_date_draft_asked_for_earlier_is_brought_up_to_30_november_on_1_december(
    people, october, no_queue, django_capture_on_commit_callbacks
):
    earlier = services.report_request(actor=people["qa_lead"].user, kind="annual", period="2026", today=TODAY).report
    generated(earlier)
    services.report_edit(actor=None, report=earlier, summary="Kept.", analysis="", next_steps="")

    with django_capture_on_commit_callbacks(execute=True):
        run = services.reports_generate_due(today=date(2026, 12, 1))

    ytd = Report.objects.get(kind="annual")  # still the one report: no second open one for the period
    assert ytd.pk in run.created and ytd.pk in [call.args[0] for call in no_queue.call_args_list]
    assert (ytd.state, ytd.period_end, ytd.summary, ytd.requested_by) == (
        Report.State.QUEUED,
        date(2026, 11, 30),
        "Kept.",
        None,
    )
    assert generated(ytd).figures["period_end"] == "2026-11-30"
    assert services.reports_generate_due(today=date(2026, 12, 2)).created == []


def test_the_daily_job_queues_again_a_report_whose_worker_died_and_only_that_one(
    people, october, no_queue, django_capture_on_commit_callbacks
):
    dead = queued(period="2026-09")
    Report.objects.filter(pk=dead.pk).update(progress=60, updated_at=timezone.now() - timedelta(minutes=16))
    running = queued(period="2026-10")
    services._claim(running.pk)

    with django_capture_on_commit_callbacks(execute=True):
        run = services.reports_generate_due(today=date(2026, 11, 1))

    assert run.requeued == [dead.pk]
    dead.refresh_from_db()
    assert (dead.state, dead.progress) == (Report.State.QUEUED, 0)
    queued_now = [call.args[0] for call in no_queue.call_args_list]
    assert dead.pk in queued_now and running.pk not in queued_now
    assert services.report_generate(report_id=dead.pk).state == Report.State.DRAFT


def test_a_due_report_made_by_another_run_at_the_same_moment_is_not_made_twice(people, no_queue):
    due = Due(date(2026, 12, 9), "monthly", "2026-11", False)
    with patch.object(services, "_made_for", return_value=False):  # both runs looked before either made it
        assert services._create_due(due) is not None
        assert services._create_due(due) is None

    assert Report.objects.count() == 1


# ---------------------------------------------------------------------------------------
# What a person sees of the figures


def test_a_service_lead_sees_only_their_own_areas_rows(people, october):
    report = generated(queued())

    scoped = figures_for(people["service_lead"].user, report)
    everything = figures_for(people["head"].user, report)

    assert [row["code"] for row in scoped["by_service_area"]] == ["SWF"]
    assert {row["service_area"] for row in scoped["highlight_candidates"]} == {"SWF"}
    assert scoped["audits"] == everything["audits"]  # counts across areas are for every reader
    assert [row["code"] for row in everything["by_service_area"]] == ["PTC", "SWF"]
    assert [row["code"] for row in Report.objects.get().figures["by_service_area"]] == ["PTC", "SWF"]


def test_period_labels_read_as_people_say_them():
    assert period_label("monthly", "2026-11") == "November 2026"
    assert period_label("quarterly", "2026-Q4") == "Q4 2026 (October to December)"
    assert period_label("annual", "2025") == "2025"


# ---------------------------------------------------------------------------------------
# Demo data


def test_the_demo_publishes_two_monthly_reports_and_a_quarterly_one_and_loading_again_adds_nothing():
    import io

    from django.core.management import call_command

    call_command("load_demo", stdout=io.StringIO())
    published = list(Report.objects.filter(state=Report.State.PUBLISHED).order_by("kind", "period_start"))

    assert [report.kind for report in published] == ["monthly", "monthly", "quarterly"]
    assert all(report.summary and report.analysis and report.figures["audits"]["completed"] for report in published)
    assert all(report.highlights.filter(included=True).exists() for report in published)
    assert all(report.improvement_points.exists() for report in published)
    assert Report.objects.count() == 3

    call_command("load_demo", stdout=io.StringIO())
    assert Report.objects.count() == 3
