"""Each role's waiting work on the home page (issue 16, item 4): one selector per kind of work
(audits/waiting.py, moderation/waiting.py, performance/waiting.py, quality/reports/waiting.py), each
shown when there is such work, gone when it is done, limited to what the person may see; and the home
page that gathers them, in a fixed number of queries whatever the number of rows."""

from datetime import date, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audits import waiting as audit_waiting
from audits.models import Allocation, AllocationItem, Audit, Case, Escalation
from moderation import panels
from moderation import waiting as moderation_waiting
from moderation.models import Panel
from performance import waiting as performance_waiting
from performance.models import Commentary, MonthLock
from quality.reports import waiting as report_waiting
from quality.reports.models import Report
from tests.factories import (
    AuditFactory,
    IndicatorFactory,
    ReportFactory,
    indicator_value,
    panel_decision,
    panel_in_session,
    published_tool_version,
    sample_by_hand,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

TODAY = date(2026, 11, 16)  # tests/clock.py SUITE_NOW
OCTOBER, SEPTEMBER, NOVEMBER = date(2026, 10, 1), date(2026, 9, 1), date(2026, 11, 1)
HOME = reverse("home")
NOTHING_DUE = "Nothing is due for you at the moment."


def sampled(tool_version, n: int, **fields) -> list[Audit]:
    """n submitted, graded audits of the own area: what a panel's sample is made of."""
    return [AuditFactory(submitted=True, tool_version=tool_version, **fields) for _ in range(n)]


def planned_panel(qa_lead, members, *, held_on=TODAY + timedelta(days=10)) -> Panel:
    return panels.panel_create(
        actor=qa_lead.user, kind="monthly", held_on=held_on, starts_at=time(15), ends_at=time(17), members=members
    )


def notes(waiting) -> list[str]:
    return [f"{entry.text}: {entry.note}" if entry.note else entry.text for entry in waiting.entries]


# --- the QA unit: the month's allocation ------------------------------------------------------------


def test_this_months_allocation_is_to_propose_from_its_day_until_someone_proposes_it(qa_officer, frozen_today):
    waiting = audit_waiting.allocation_to_propose(qa_officer.user)
    assert (waiting.count, notes(waiting)) == (
        1,
        ["Allocation for November 2026: not proposed yet (due on 3 November)"],
    )
    assert waiting.entries[0].url == reverse("allocation:allocation_detail", args=["2026-11"])

    Allocation.objects.create(month=NOVEMBER)
    assert audit_waiting.allocation_to_propose(qa_officer.user) is None

    frozen_today.move_to("2026-12-02 10:00:00+00:00")  # before December's allocation day
    assert audit_waiting.allocation_to_propose(qa_officer.user) is None


def test_a_proposed_allocation_waits_for_review_until_it_is_distributed(qa_lead, practice_manager, own_area):
    allocation = Allocation.objects.create(month=date(2026, 12, 1))
    for number in range(3):
        case = Case.objects.create(
            child_ref=f"C-90{number}", service_area=own_area, legal_status="cin", open_since=date(2025, 1, 1)
        )
        item = AllocationItem.objects.create(allocation=allocation, case=case, auditor=practice_manager, reason="Theme")
    AllocationItem.objects.filter(pk=item.pk).update(removed_at=timezone.now(), removed_reason="Closed")

    waiting = audit_waiting.allocations_to_review(qa_lead.user)

    assert waiting.count == 1
    assert notes(waiting) == ["Allocation for December 2026: 2 cases proposed: review and distribute"]
    assert waiting.entries[0].url == reverse("allocation:allocation_detail", args=["2026-12"])
    Allocation.objects.filter(pk=allocation.pk).update(state=Allocation.State.DISTRIBUTED)
    assert audit_waiting.allocations_to_review(qa_lead.user).count == 0


def test_the_allocation_is_the_qa_units_alone(service_lead, moderator, performance_officer):
    Allocation.objects.create(month=date(2026, 12, 1))
    for person in (service_lead, moderator, performance_officer):
        assert audit_waiting.allocations_to_review(person.user) is None
        assert audit_waiting.allocation_to_propose(person.user) is None


def test_an_inadequate_grade_waits_for_qa_until_it_is_moderated(qa_officer, service_lead, tool_version):
    audit = AuditFactory(tool_version=tool_version, overall_grade="inadequate", case_reference="C-4242")
    escalation = Escalation.objects.create(
        audit=audit, kind=Escalation.Kind.INADEQUATE, stage=Escalation.Stage.AWAITING_MODERATION
    )

    waiting = audit_waiting.grades_to_moderate(qa_officer.user)

    assert waiting.count == 1
    assert notes(waiting) == ["Case C-4242: SWF, graded Inadequate, waiting since 16 Nov 2026"]
    assert waiting.entries[0].url == escalation.get_absolute_url()
    assert audit_waiting.grades_to_moderate(service_lead.user) is None
    Escalation.objects.filter(pk=escalation.pk).update(stage=Escalation.Stage.ESCALATED)
    assert audit_waiting.grades_to_moderate(qa_officer.user).count == 0


# --- the QA lead: reports -----------------------------------------------------------------------------


def test_a_draft_report_waits_for_the_qa_lead_until_it_is_published(qa_lead, qa_officer):
    draft = ReportFactory()
    ReportFactory(kind="quarterly", period="2023-Q4", period_start=date(2023, 10, 1), state=Report.State.FAILED)

    waiting = report_waiting.reports_to_publish(qa_lead.user)

    assert notes(waiting) == ["Monthly audit analysis, November 2023: write the analysis and publish it"]
    assert (waiting.count, waiting.entries[0].url) == (1, draft.get_absolute_url())
    assert notes(report_waiting.reports_failed(qa_lead.user)) == [
        "Quarterly audit analysis, Q4 2023 (October to December): generate it again"
    ]
    assert report_waiting.reports_to_publish(qa_officer.user) is None  # publishing is the QA lead's
    Report.objects.filter(pk=draft.pk).update(state=Report.State.PUBLISHED, published_at=timezone.now())
    assert report_waiting.reports_to_publish(qa_lead.user).count == 0


# --- panels: the QA unit prepares them, members sit on them ------------------------------------------


def test_a_panel_is_to_prepare_until_its_session_opens(qa_lead, moderator, tool_version):
    panel = planned_panel(qa_lead, [moderator])

    assert notes(moderation_waiting.panels_to_prepare(qa_lead.user)) == [
        "Monthly heads-of-service panel, 26 November 2026, 15:00 to 17:00: draw its sample"
    ]
    panel = sample_by_hand(qa_lead, panel, sampled(tool_version, 2))
    assert notes(moderation_waiting.panels_to_prepare(qa_lead.user)) == [
        "Monthly heads-of-service panel, 26 November 2026, 15:00 to 17:00: open its session (2 audits in the sample)"
    ]
    assert moderation_waiting.panels_to_prepare(moderator.user) is None  # preparing is the QA unit's

    panels.panel_open(actor=qa_lead.user, panel=panel)
    assert moderation_waiting.panels_to_prepare(qa_lead.user).count == 0
    assert moderation_waiting.sessions_open(qa_lead.user).count == 1


def test_a_members_panels_coming_up_are_the_ones_they_sit_on_still_to_come(
    qa_lead, moderator, other_moderator, frozen_today
):
    mine = planned_panel(qa_lead, [moderator])
    planned_panel(qa_lead, [other_moderator], held_on=TODAY + timedelta(days=3))

    waiting = moderation_waiting.panels_coming_up(moderator.user)

    assert notes(waiting) == ["Monthly heads-of-service panel, 26 November 2026, 15:00 to 17:00: sample not drawn yet"]
    assert (waiting.count, waiting.entries[0].url) == (1, mine.get_absolute_url())
    assert moderation_waiting.panels_coming_up(qa_lead.user) is None  # the QA unit has its panels to prepare
    frozen_today.move_to("2026-11-27 10:00:00+00:00")  # its day has passed without a session
    assert moderation_waiting.panels_coming_up(moderator.user).count == 0


def test_a_session_open_waits_for_its_members_grades_and_then_to_be_concluded(
    qa_lead, moderator, other_moderator, tool_version, other_area, make_person
):
    # A member sees the whole sample, whichever areas their moderator role covers (the access rules:
    # a panel's members see its items); a moderator not on the panel has no session to grade.
    audits = sampled(tool_version, 2) + sampled(published_tool_version(area=other_area), 1)
    panel = panel_in_session(qa_lead, audits, members=[moderator])

    waiting = moderation_waiting.sessions_open(moderator.user)

    assert (waiting.count, waiting.entries[0].url) == (1, panel.get_absolute_url())
    assert waiting.entries[0].note == "3 audits of 3 still to grade"
    assert moderation_waiting.sessions_open(other_moderator.user).count == 0
    for item in panel.items.all():
        panel_decision(moderator, item, "good")
    assert moderation_waiting.sessions_open(moderator.user).entries[0].note == "all 3 audits graded: ready to conclude"
    panels.panel_conclude(actor=qa_lead.user, panel=panel)
    assert moderation_waiting.sessions_open(moderator.user).count == 0
    assert moderation_waiting.sessions_open(qa_lead.user).count == 0


def test_moderation_work_is_not_a_service_leads(service_lead, head_of_service):
    for person in (service_lead, head_of_service):
        assert moderation_waiting.sessions_open(person.user) is None
        assert moderation_waiting.panels_coming_up(person.user) is None


# --- the performance officer, and indicator leads -----------------------------------------------------


def test_last_months_figures_are_to_load_until_every_active_indicator_has_one(performance_officer, senior_leader):
    loaded, missing = IndicatorFactory(code="M1"), IndicatorFactory(code="M2", title="Visits on time")
    IndicatorFactory(code="M3", is_active=False)
    indicator_value(loaded, OCTOBER, 80)
    indicator_value(missing, OCTOBER, 50, breakdown="area:1")  # a breakdown is not the council's figure
    indicator_value(missing, SEPTEMBER, 55)

    waiting = performance_waiting.figures_to_load(performance_officer.user)

    assert (waiting.heading, waiting.count, notes(waiting)) == (
        "Figures to load for October 2026",
        1,
        ["M2 Visits on time"],
    )
    assert waiting.link == reverse("performance:value_load_upload")
    assert performance_waiting.figures_to_load(senior_leader.user) is None
    indicator_value(missing, OCTOBER, 52)
    assert performance_waiting.figures_to_load(performance_officer.user).count == 0


def test_a_locked_month_has_no_figures_to_load_nor_commentary_to_write(performance_officer):
    IndicatorFactory()
    indicator = IndicatorFactory()
    indicator_value(indicator, OCTOBER, 80)
    MonthLock.objects.create(period=OCTOBER, locked_by=performance_officer)

    assert performance_waiting.figures_to_load(performance_officer.user) is None
    assert performance_waiting.commentary_to_write(performance_officer.user) is None


def test_commentary_is_to_write_by_the_officer_on_every_indicator_and_by_a_lead_on_theirs(
    performance_officer, senior_leader, reader
):
    led = IndicatorFactory(code="M1", title="Assessments on time", lead=senior_leader)
    other = IndicatorFactory(code="M2", title="Visits on time")
    for indicator in (led, other):
        indicator_value(indicator, OCTOBER, 80)

    officer = performance_waiting.commentary_to_write(performance_officer.user)
    lead = performance_waiting.commentary_to_write(senior_leader.user)

    assert (officer.heading, officer.count, lead.count) == ("Commentary to write for October 2026", 2, 1)
    assert notes(lead) == ["M1 Assessments on time"]
    assert lead.entries[0].url == reverse("performance:commentary_edit", args=["2026-10", led.pk])
    assert performance_waiting.commentary_to_write(reader.user) is None
    Commentary.objects.create(indicator=led, period=OCTOBER, commentary="Up on September.")
    assert performance_waiting.commentary_to_write(performance_officer.user).count == 1
    assert performance_waiting.commentary_to_write(senior_leader.user).count == 0


def test_past_months_with_figures_are_to_lock_each_saying_whether_its_commentary_is_written(performance_officer):
    indicators = [IndicatorFactory(), IndicatorFactory()]
    for period in (SEPTEMBER, OCTOBER, NOVEMBER, date(2026, 8, 1)):
        for indicator in indicators:
            indicator_value(indicator, period, 70)
    for indicator in indicators:
        Commentary.objects.create(indicator=indicator, period=SEPTEMBER, commentary="Steady.")
    Commentary.objects.create(indicator=indicators[0], period=OCTOBER, commentary="Up.")
    MonthLock.objects.create(period=date(2026, 8, 1), locked_by=performance_officer)

    waiting = performance_waiting.months_to_lock(performance_officer.user)

    # November is the month still running: its figures are not final.
    assert waiting.count == 2
    assert notes(waiting) == [
        "October 2026: commentary missing on 1 indicator",
        "September 2026: all commentary written: lock it when its pack is final",
    ]
    assert waiting.entries[1].url == f"{reverse('performance:commentary')}?month=2026-09"
    MonthLock.objects.create(period=SEPTEMBER, locked_by=performance_officer)
    assert performance_waiting.months_to_lock(performance_officer.user).count == 1


# --- readers: the latest report and scorecard month ----------------------------------------------------


def test_readers_are_shown_the_latest_published_report_and_scorecard_month(senior_leader, reader, qa_lead):
    ReportFactory(published=True, published_by=qa_lead)
    latest = ReportFactory(
        published=True,
        published_by=qa_lead,
        period="2023-12",
        period_start=date(2023, 12, 1),
        period_end=date(2023, 12, 31),
    )
    Report.objects.filter(pk=latest.pk).update(published_at=timezone.now())
    ReportFactory(period="2024-01", period_start=date(2024, 1, 1), period_end=date(2024, 1, 31))  # a draft
    indicator_value(IndicatorFactory(), OCTOBER, 80)

    for person in (senior_leader, reader):
        report = report_waiting.latest_report(person.user)
        assert notes(report) == ["Monthly audit analysis, December 2023: published 16 November 2026"]
        assert report.entries[0].url == latest.get_absolute_url()
        scorecard = performance_waiting.latest_scorecard_month(person.user)
        assert notes(scorecard) == ["Scorecard for October 2026: the latest month with figures"]
        assert scorecard.entries[0].url == f"{reverse('performance:scorecard')}?month=2026-10"
    assert report_waiting.latest_report(qa_lead.user) is None  # the QA lead has reports to publish instead


def test_readers_with_nothing_published_are_told_nothing_is_due(client, reader):
    assert report_waiting.latest_report(reader.user) is None
    assert performance_waiting.latest_scorecard_month(reader.user) is None
    client.force_login(reader.user)
    assert NOTHING_DUE in client.get(HOME).content.decode()


# --- the home page -------------------------------------------------------------------------------------


def waiting_on(response) -> dict[str, int]:
    return {kind.key: kind.count for kind in response.context["waiting"] + response.context["to_read"]}


def test_the_moderators_home_lists_their_panels_and_never_says_nothing_is_due(client, qa_lead, moderator, tool_version):
    planned_panel(qa_lead, [moderator])
    panel_in_session(qa_lead, sampled(tool_version, 2), members=[moderator])
    client.force_login(moderator.user)

    response = client.get(HOME)

    page = response.content.decode()
    assert waiting_on(response) == {"panels_coming_up": 1, "sessions_open": 1}
    assert "Your panels coming up" in page and "Panel sessions open now" in page
    assert "2 audits of 2 still to grade" in page
    assert NOTHING_DUE not in page


def test_the_qa_leads_home_lists_each_kind_of_work_with_its_count(client, qa_lead, moderator, tool_version):
    Allocation.objects.create(month=NOVEMBER)
    Allocation.objects.create(month=date(2026, 12, 1))
    ReportFactory()
    planned_panel(qa_lead, [moderator])
    client.force_login(qa_lead.user)

    response = client.get(HOME)

    assert waiting_on(response) == {"allocations_to_review": 2, "panels_to_prepare": 1, "reports_to_publish": 1}
    page = " ".join(response.content.decode().split())
    assert 'Allocations to review <span class="badge rounded-pill text-bg-secondary" data-count>2</span>' in page


def test_a_partner_auditor_with_no_audit_is_told_so_in_a_sentence(client, partner_auditor, tool_version):
    AuditFactory(draft=True, tool_version=tool_version)  # another auditor's draft
    client.force_login(partner_auditor.user)

    page = client.get(HOME).content.decode()

    assert "You have no audits to complete. When the QA unit allocates you a partnership audit" in page
    assert "Partner auditor, the audits you are allocated or invited to" in page  # not "all service areas"
    assert NOTHING_DUE not in page
    AuditFactory(draft=True, tool_version=tool_version, auditor=partner_auditor, case_reference="C-7001")
    page = client.get(HOME).content.decode()
    assert "Case C-7001" in page and "You have no audits to complete" not in page


def test_someone_with_nothing_waiting_is_told_nothing_is_due(client, practitioner):
    client.force_login(practitioner.user)
    response = client.get(HOME)
    assert waiting_on(response) == {}
    assert NOTHING_DUE in response.content.decode()


# --- a fixed number of queries, whatever the rows ---------------------------------------------------------

FEW, MANY = 1, 14


def qa_leads_work(qa_lead, moderator, tool_version, n: int, start: int) -> None:
    """n of each kind of the QA lead's work: allocations, Inadequate grades, panels, draft reports, disputes."""
    for number in range(start, start + n):
        Allocation.objects.create(month=date(2030 + number, 1, 1))
        audit = AuditFactory(tool_version=tool_version, overall_grade="inadequate")
        Escalation.objects.create(audit=audit, kind="inadequate", stage=Escalation.Stage.AWAITING_MODERATION)
        AuditFactory(state=Audit.State.DISPUTED, tool_version=tool_version)
        planned_panel(qa_lead, [moderator], held_on=TODAY + timedelta(days=number + 1))
        ReportFactory(period=f"{2000 + number}-11", period_start=date(2000 + number, 11, 1))


def moderators_work(qa_lead, moderator, tool_version, n: int, start: int) -> None:
    """n panels coming up and n sessions open, each of n audits, the moderator sitting on them all."""
    for number in range(start, start + n):
        planned_panel(qa_lead, [moderator], held_on=TODAY + timedelta(days=number + 1))
        panel_in_session(qa_lead, sampled(tool_version, n), members=[moderator], held_on=TODAY + timedelta(days=number))


@pytest.mark.parametrize(
    ("who", "make_work", "growing"),
    [
        (
            "qa_lead",
            qa_leads_work,
            {"allocations_to_review", "grades_to_moderate", "panels_to_prepare", "reports_to_publish"},
        ),
        ("moderator", moderators_work, {"panels_coming_up", "sessions_open"}),
    ],
)
def test_the_home_page_runs_the_same_queries_for_few_rows_and_many(
    client, qa_lead, moderator, tool_version, who, make_work, growing, django_assert_num_queries
):
    client.force_login({"qa_lead": qa_lead, "moderator": moderator}[who].user)
    make_work(qa_lead, moderator, tool_version, FEW, 0)
    client.get(HOME)  # fill first-use caches
    with CaptureQueriesContext(connection) as few_queries:
        few = waiting_on(client.get(HOME))

    make_work(qa_lead, moderator, tool_version, MANY - FEW, FEW)
    with django_assert_num_queries(len(few_queries)):
        many = waiting_on(client.get(HOME))

    assert {key: many[key] for key in growing} == dict.fromkeys(growing, MANY), many
    assert {key: few[key] for key in growing} == dict.fromkeys(growing, FEW), few
