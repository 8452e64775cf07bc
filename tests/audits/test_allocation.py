"""The month's allocation: the proposal's rules, QA's review, distribution, the pages and the command.

Services run on PostgreSQL. A month is November 2026 unless a test says otherwise; "today" is the
real date, so audits started by a test count as done in the last 12 months.
"""

import threading
import time
from datetime import date, datetime
from datetime import time as dtime
from html import unescape
from io import StringIO
from unittest.mock import patch

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audits import services
from audits.cycle import allocation
from audits.cycle.allocation import (
    ALREADY_DISTRIBUTED,
    AUDITOR_NOT_MANAGER,
    CASE_ALREADY_ALLOCATED,
    CASE_CLOSED,
    CASE_OUTSIDE_AREA,
    CASE_OWN,
    CASE_RECENTLY_AUDITED,
    CASE_UNKNOWN,
    NOT_PROPOSED,
    REASON_MANAGED,
    REASON_NO_FIT,
    REASON_NO_THEME,
    allocation_distribute,
    allocation_item_add,
    allocation_item_remove,
    allocation_item_swap,
    allocation_propose,
    proposal_compute,
)
from audits.cycle.allocation_forms import CONFIRM_REQUIRED
from audits.cycle.allocation_views import PROPOSAL_ASKED, PROPOSAL_EXISTS
from audits.cycle.dates import cycle_dates
from audits.models import Allocation, AllocationItem, Audit, AuditEvent, Case, ScheduleEntry
from quality.months import add_months, month_start
from quality.org.messages import REASON_REQUIRED
from quality.org.models import ChangeRecord, Notification, Role
from tests.factories import ServiceAreaFactory, TeamFactory

pytestmark = pytest.mark.django_db

MONTH = date(2026, 11, 1)
MONTH_KEY = "2026-11"
REFS = ["C-1001", "C-1002", "C-1003", "C-1004", "C-1005", "C-1006"]


def make_case(ref, area, *, team=None, worker=None, manager=None, status="cin", since=date(2022, 1, 10), **fields):
    return Case.objects.create(
        child_ref=ref,
        service_area=area,
        team=team,
        worker=worker,
        manager=manager,
        legal_status=status,
        open_since=since,
        **fields,
    )


def make_theme(*, statuses=(), disability=False, areas=(), title="Child protection", kind="monthly", month=MONTH):
    entry = ScheduleEntry.objects.create(
        kind=ScheduleEntry.Kind.THEME,
        title=title,
        starts_on=month,
        ends_on=month.replace(day=28),
        audit_kind=kind,
        legal_statuses=list(statuses),
        prefers_disability=disability,
    )
    entry.service_areas.set(areas)
    return entry


def publish_tool(area, actor=None):
    tool = services.tool_create(actor=actor, name=f"{area.code} case audit", service_area=area, purpose="case_audit")
    return services.version_publish(actor=actor, version=tool.versions.get())


def audited(case_reference, area, auditor, version, *, case=None, on=None, imported_on=None):
    """An audit of the case, started `on` (default now), or imported as completed on `imported_on`."""
    audit = services.audit_create(
        actor=None, case_reference=case_reference, service_area=area, auditor=auditor, tool_version=version
    )
    changes = {"case": case}
    if on is not None:
        changes["created_at"] = timezone.make_aware(datetime.combine(on, dtime.min))
    if imported_on is not None:
        changes |= {"completed_on": imported_on, "import_reference": f"QA-{case_reference}"}
        changes["created_at"] = timezone.now()  # imported today, whatever the file says
    Audit.objects.filter(pk=audit.pk).update(**changes)
    return audit


def picks(proposal):
    return [(pick.auditor.full_name, pick.case.child_ref, pick.reason) for pick in proposal.picks]


@pytest.fixture
def people(make_person, own_area, other_area):
    return {
        "qa_lead": make_person(Role.QA_LEAD, full_name="Quinn Lead"),
        "qa_officer": make_person(Role.QA_OFFICER, full_name="Olu Officer"),
        "alex": make_person(Role.PRACTICE_MANAGER, own_area, full_name="Alex Manager"),
        "blake": make_person(Role.PRACTICE_MANAGER, own_area, full_name="Blake Manager"),
        "casey": make_person(Role.PRACTICE_MANAGER, other_area, full_name="Casey Manager"),
        "wendy": make_person(Role.PRACTITIONER, own_area, full_name="Wendy Worker"),
        "will": make_person(Role.PRACTITIONER, own_area, full_name="Will Worker"),
        "lead": make_person(Role.SERVICE_LEAD, own_area, full_name="Sam Lead"),
    }


@pytest.fixture
def teams(own_area):
    return TeamFactory(service_area=own_area, name="SWF East"), TeamFactory(service_area=own_area, name="SWF West")


@pytest.fixture
def versions(own_area, other_area):
    return {"own": publish_tool(own_area), "other": publish_tool(other_area)}


# ---------------------------------------------------------------------------------------
# The proposal


def test_each_active_manager_gets_a_case_from_their_own_area(people, own_area, other_area):
    make_case("C-1001", own_area, since=date(2020, 1, 1))
    make_case("C-1002", own_area, since=date(2021, 1, 1))
    make_case("C-2001", other_area, since=date(2019, 1, 1))

    proposal = proposal_compute(month=MONTH)

    assert picks(proposal) == [  # areas by code (PTC, SWF), then managers by name
        ("Casey Manager", "C-2001", REASON_NO_THEME),
        ("Alex Manager", "C-1001", REASON_NO_THEME),
        ("Blake Manager", "C-1002", REASON_NO_THEME),
    ]
    assert proposal.uncovered == []


def test_a_case_fitting_the_theme_is_preferred_to_an_older_one_and_the_reason_says_so(people, own_area, other_area):
    make_theme(statuses=["cp"])
    make_case("C-1001", own_area, status="cin", since=date(2019, 1, 1))
    make_case("C-1002", own_area, status="cp", since=date(2023, 1, 1))
    make_case("C-1003", own_area, status="cla", since=date(2020, 1, 1))
    make_case("C-2001", other_area, status="care_leaver", since=date(2018, 1, 1))

    proposal = proposal_compute(month=MONTH)

    assert picks(proposal) == [
        ("Casey Manager", "C-2001", REASON_NO_FIT),
        ("Alex Manager", "C-1002", "fits the theme: child protection"),
        ("Blake Manager", "C-1001", REASON_NO_FIT),  # no second CP case: the oldest left
    ]
    assert proposal.theme.title == "Child protection"


def test_a_theme_preferring_disability_ranks_full_fits_over_partial_ones(people, own_area):
    make_theme(statuses=["cin"], disability=True, title="Children with disabilities")
    make_case("C-1001", own_area, status="cin", since=date(2019, 1, 1))
    make_case("C-1002", own_area, status="cin", disability="Autism", since=date(2024, 1, 1))
    make_case("C-1003", own_area, status="cla", disability="No", since=date(2018, 1, 1))

    result = picks(proposal_compute(month=MONTH))

    assert result == [
        ("Alex Manager", "C-1002", "fits the theme: child in need, a child with a disability"),
        ("Blake Manager", "C-1001", "fits the theme in part: child in need"),
    ]


def test_a_theme_for_other_areas_or_other_audits_does_not_steer_this_area(people, own_area, other_area):
    make_theme(statuses=["cp"], areas=[other_area])
    make_case("C-1001", own_area, status="cin", since=date(2019, 1, 1))
    make_case("C-1002", own_area, status="cp", since=date(2023, 1, 1))
    make_case("C-2001", other_area, status="cp", since=date(2023, 1, 1))

    result = picks(proposal_compute(month=MONTH))

    assert ("Alex Manager", "C-1001", REASON_NO_THEME) in result
    assert ("Casey Manager", "C-2001", "fits the theme: child protection") in result

    ScheduleEntry.objects.all().delete()
    make_theme(statuses=["cp"], kind="partnership")
    assert proposal_compute(month=MONTH).theme is None


def test_a_theme_for_other_audits_does_not_hide_the_monthly_theme_of_the_same_month(people, own_area):
    make_theme(statuses=["cla"], kind="themed", title="Stability audits")  # first in the month
    make_theme(statuses=["cp"], title="Child protection")
    make_case("C-1001", own_area, status="cin", since=date(2019, 1, 1))
    make_case("C-1002", own_area, status="cp", since=date(2023, 1, 1))

    proposal = proposal_compute(month=MONTH)

    assert proposal.theme.title == "Child protection"
    assert ("Alex Manager", "C-1002", "fits the theme: child protection") in picks(proposal)


def test_a_case_audited_in_the_last_12_months_is_never_proposed(people, own_area, versions):
    by_link = make_case("C-1001", own_area, since=date(2018, 1, 1))
    make_case("C-1002", own_area, since=date(2018, 2, 1))
    make_case("C-1003", own_area, since=date(2018, 3, 1))
    make_case("C-1004", own_area, since=date(2018, 4, 1))
    make_case("C-1005", own_area, since=date(2018, 5, 1))
    make_case("C-1006", own_area, since=date(2025, 1, 1))
    auditor = people["alex"]
    audited("C-9999", own_area, auditor, versions["own"], case=by_link)  # linked by the case list entry
    audited("c-1002", own_area, auditor, versions["own"])  # by reference only, typed in lower case
    audited("C-1003", own_area, auditor, versions["own"], on=date(2025, 11, 2))  # inside 12 months
    audited("C-1004", own_area, auditor, versions["own"], imported_on=date(2025, 12, 15))  # imported, recent
    audited("C-1005", own_area, auditor, versions["own"], imported_on=date(2025, 10, 31))  # imported, older

    proposed = {pick.case.child_ref for pick in proposal_compute(month=MONTH).picks}

    assert proposed == {"C-1005", "C-1006"}


def test_cases_are_spread_across_teams_then_workers(people, own_area, teams, make_person):
    east, west = teams
    wendy, will = people["wendy"], people["will"]
    make_case("C-1001", own_area, team=east, worker=wendy, since=date(2019, 1, 1))
    make_case("C-1002", own_area, team=east, worker=wendy, since=date(2019, 2, 1))
    make_case("C-1003", own_area, team=east, worker=will, since=date(2019, 3, 1))
    make_case("C-1004", own_area, team=west, worker=wendy, since=date(2019, 4, 1))
    make_person(Role.PRACTICE_MANAGER, own_area, full_name="Carol Manager")

    result = picks(proposal_compute(month=MONTH))

    # Alex: the oldest. Blake: another team (West). Carol: both teams used once, so another worker (Will).
    assert [(name, ref) for name, ref, _ in result] == [
        ("Alex Manager", "C-1001"),
        ("Blake Manager", "C-1004"),
        ("Carol Manager", "C-1003"),
    ]


def test_a_manager_is_never_proposed_a_case_they_manage_or_hold(people, own_area, make_person):
    alex = people["alex"]
    make_case("C-1001", own_area, manager=alex, since=date(2018, 1, 1))
    make_case("C-1002", own_area, worker=alex, since=date(2018, 6, 1))
    make_case("C-1003", own_area, since=date(2024, 1, 1))
    people["blake"].memberships.update(ended_at=timezone.now())

    result = picks(proposal_compute(month=MONTH))

    assert [(name, ref) for name, ref, _ in result] == [("Alex Manager", "C-1003")]


def test_a_manager_who_manages_every_case_of_their_area_still_gets_one_never_one_they_hold(people, own_area):
    # An area with one practice manager, who manages all its cases: a case they manage is better than none.
    alex = people["alex"]
    for other in ("blake", "casey"):
        people[other].memberships.update(ended_at=timezone.now())
    make_case("C-1001", own_area, manager=alex, worker=alex, since=date(2018, 1, 1))
    make_case("C-1002", own_area, manager=alex, since=date(2019, 1, 1))

    proposal = proposal_compute(month=MONTH)

    assert picks(proposal) == [("Alex Manager", "C-1002", f"{REASON_NO_THEME}; {REASON_MANAGED}")]
    assert proposal.uncovered == []


def test_qa_may_add_a_case_the_auditor_manages_only_when_their_area_has_no_other(people, own_area, other_area):
    qa, casey = people["qa_lead"].user, people["casey"]
    managed = make_case("C-2001", other_area, manager=casey)
    held = make_case("C-2002", other_area, worker=casey)
    allocation = Allocation.objects.create(month=MONTH)

    with pytest.raises(ValidationError) as refused:
        allocation_item_add(actor=qa, allocation=allocation, case=held, auditor=casey, reason="Only case left")
    assert refused.value.message_dict == {"case": [CASE_OWN]}
    item = allocation_item_add(actor=qa, allocation=allocation, case=managed, auditor=casey, reason="Only case left")
    assert item.case == managed

    allocation_item_remove(actor=qa, item=item, reason="Another case came in")
    make_case("C-2003", other_area)
    with pytest.raises(ValidationError) as refused:
        allocation_item_add(actor=qa, allocation=allocation, case=managed, auditor=casey, reason="Only case left")
    assert refused.value.message_dict == {"case": [CASE_OWN]}


def test_inactive_managers_are_skipped(people, own_area, other_area, make_person):
    people["blake"].user.is_active = False
    people["blake"].user.save()
    people["casey"].memberships.update(ended_at=timezone.now())
    retired = ServiceAreaFactory(code="OLD", is_active=False, retired_at=timezone.now())
    make_person(Role.PRACTICE_MANAGER, retired, full_name="Retired Area Manager")
    for ref in REFS:
        make_case(ref, own_area)
    make_case("C-2001", other_area)
    make_case("C-3001", retired)

    proposal = proposal_compute(month=MONTH)

    assert [name for name, _, _ in picks(proposal)] == ["Alex Manager"]
    assert proposal.uncovered == []


def test_a_manager_whose_area_has_no_eligible_case_is_recorded_not_a_failure(people, own_area, other_area):
    make_case("C-1001", own_area)
    make_case("C-2001", other_area, is_open=False, closed_on=date(2026, 10, 1))

    created = allocation_propose(month=MONTH)

    assert [(m.person.full_name, m.service_area.code) for m in allocation.managers_without_case(created)] == [
        ("Casey Manager", "PTC"),
        ("Blake Manager", "SWF"),
    ]
    record = ChangeRecord.objects.get(action="allocation.propose")
    assert "Proposed 1 case(s) for November 2026" in record.summary
    assert f"person {people['casey'].pk} (PTC)" in record.summary
    assert "Casey" not in record.summary  # ids, not names, in the record


def test_the_same_data_gives_the_same_proposal_and_ties_are_broken_by_the_month(people, own_area):
    people["blake"].memberships.update(ended_at=timezone.now())
    for ref in REFS:
        make_case(ref, own_area, since=date(2020, 1, 1))  # all alike: only the month's shuffle decides

    chosen = {month: proposal_compute(month=month).picks[0].case.child_ref for month in _months(2026, 1, 12)}

    assert chosen == {month: proposal_compute(month=month).picks[0].case.child_ref for month in _months(2026, 1, 12)}
    assert len(set(chosen.values())) > 1, "every month chose the same case: the tie-break ignores the month"


def _months(year, first, last):
    return [date(year, month, 1) for month in range(first, last + 1)]


def test_the_proposal_runs_the_same_queries_for_few_cases_and_many(people, own_area, other_area, teams):
    make_theme(statuses=["cp"])

    def measure(count, start):
        for index in range(count):
            area = own_area if index % 2 else other_area
            make_case(f"C-{start + index}", area, team=teams[index % 2] if area == own_area else None, status="cp")
        with CaptureQueriesContext(connection) as queries:
            proposal = proposal_compute(month=MONTH)
        return len(proposal.picks), len(queries.captured_queries)

    few = measure(4, 5000)
    many = measure(40, 6000)

    assert few[0] == many[0] == 3
    assert few[1] == many[1] <= 6


def test_proposing_twice_for_a_month_never_allocates_twice(people, own_area):
    for ref in REFS:
        make_case(ref, own_area)

    first = allocation_propose(month=MONTH)
    second = allocation_propose(month=date(2026, 11, 17), actor=people["qa_lead"].user)

    assert first.pk == second.pk
    assert Allocation.objects.count() == 1
    assert AllocationItem.objects.count() == 2
    assert first.proposed_by is None  # the scheduled job
    assert Notification.objects.filter(subject__startswith="Allocation for November 2026 proposed").count() == 2


# ---------------------------------------------------------------------------------------
# Review: remove, add, swap


@pytest.fixture
def proposed(people, own_area, other_area, teams):
    make_theme(statuses=["cp"])
    make_case("C-1001", own_area, team=teams[0], worker=people["wendy"], status="cp", since=date(2019, 1, 1))
    make_case("C-1002", own_area, team=teams[1], worker=people["will"], status="cp", since=date(2020, 1, 1))
    make_case("C-1003", own_area, team=teams[0], worker=people["will"], status="cin", since=date(2021, 1, 1))
    make_case("C-2001", other_area, status="cla", since=date(2020, 1, 1))
    return allocation_propose(month=MONTH)


def live(allocation_):
    return sorted(
        (item.auditor.full_name, item.case.child_ref) for item in allocation_.items.filter(removed_at__isnull=True)
    )


def test_the_proposed_fixture_is_as_the_rules_say(proposed):
    assert live(proposed) == [
        ("Alex Manager", "C-1001"),
        ("Blake Manager", "C-1002"),
        ("Casey Manager", "C-2001"),
    ]


def test_removing_a_case_needs_a_reason_and_keeps_the_item_with_who_and_why(proposed, people):
    item = proposed.items.get(case__child_ref="C-1002")
    qa = people["qa_lead"].user

    with pytest.raises(ValidationError) as refused:
        allocation_item_remove(actor=qa, item=item, reason="  ")
    assert refused.value.message_dict == {"reason": [REASON_REQUIRED]}

    allocation_item_remove(actor=qa, item=item, reason="Case is going to court next week")

    item.refresh_from_db()
    assert (item.removed_by, item.removed_reason) == (qa, "Case is going to court next week")
    assert item.removed_at is not None
    assert ("Blake Manager", "C-1002") not in live(proposed)


def test_adding_a_case_checks_it_and_says_what_is_wrong_next_to_the_field(proposed, people, own_area, other_area):
    qa, blake = people["qa_lead"].user, people["blake"]
    closed = make_case("C-1090", own_area, is_open=False)
    elsewhere = Case.objects.get(child_ref="C-2001")
    already = Case.objects.get(child_ref="C-1001")
    own = make_case("C-1091", own_area, manager=blake)
    recent = make_case("C-1092", own_area)
    publish_tool_version = publish_tool(own_area, qa)
    audited("C-1092", own_area, people["alex"], publish_tool_version)
    fine = Case.objects.get(child_ref="C-1003")

    def refusal(case, auditor=blake):
        with pytest.raises(ValidationError) as refused:
            allocation_item_add(actor=qa, allocation=proposed, case=case, auditor=auditor, reason="QA choice")
        return refused.value.message_dict

    assert refusal(closed) == {"case": [CASE_CLOSED]}
    assert refusal(elsewhere) == {"case": [CASE_OUTSIDE_AREA]}
    assert refusal(already) == {"case": [CASE_ALREADY_ALLOCATED]}
    assert refusal(own) == {"case": [CASE_OWN]}
    assert refusal(recent) == {"case": [CASE_RECENTLY_AUDITED]}
    assert refusal(fine, auditor=people["wendy"]) == {"auditor": [AUDITOR_NOT_MANAGER]}
    with pytest.raises(ValidationError) as no_reason:
        allocation_item_add(actor=qa, allocation=proposed, case=fine, auditor=blake, reason="")
    assert no_reason.value.message_dict == {"reason": [REASON_REQUIRED]}

    item = allocation_item_add(actor=qa, allocation=proposed, case=fine, auditor=blake, reason="A second CIN case")

    assert (item.added_by, item.reason) == (qa, "A second CIN case")
    assert ("Blake Manager", "C-1003") in live(proposed)


def test_swapping_removes_and_adds_in_one_step_or_changes_nothing(proposed, people, own_area):
    qa = people["qa_lead"].user
    item = proposed.items.get(case__child_ref="C-1002")
    closed = make_case("C-1090", own_area, is_open=False)

    with pytest.raises(ValidationError) as refused:
        allocation_item_swap(actor=qa, item=item, case=closed, reason="Worker on leave")
    assert refused.value.message_dict == {"case": [CASE_CLOSED]}
    assert ("Blake Manager", "C-1002") in live(proposed)

    new = allocation_item_swap(actor=qa, item=item, case=Case.objects.get(child_ref="C-1003"), reason="Worker on leave")

    item.refresh_from_db()
    assert item.removed_reason == "Worker on leave" and new.reason == "Worker on leave"
    assert (new.auditor, new.added_by) == (people["blake"], qa)
    assert live(proposed) == [("Alex Manager", "C-1001"), ("Blake Manager", "C-1003"), ("Casey Manager", "C-2001")]


# ---------------------------------------------------------------------------------------
# Distribution


def test_distributing_creates_each_audit_ready_on_the_areas_published_tool_with_the_cycle_dates(
    proposed, people, own_area, other_area, versions, teams
):
    qa = people["qa_lead"].user
    # A newer draft of the SWF tool is not used: only the published version.
    services.version_start_draft(actor=qa, tool=versions["own"].tool)

    allocation_distribute(actor=qa, allocation=proposed)

    proposed.refresh_from_db()
    assert (proposed.state, proposed.distributed_by) == (Allocation.State.DISTRIBUTED, qa)
    dates = cycle_dates(MONTH)
    audits = {audit.case_reference: audit for audit in Audit.objects.select_related("case")}
    assert set(audits) == {"C-1001", "C-1002", "C-2001"}
    swf = audits["C-1001"]
    assert swf.tool_version == versions["own"] and audits["C-2001"].tool_version == versions["other"]
    assert (swf.kind, swf.theme, swf.state) == (Audit.Kind.MONTHLY, "Child protection", Audit.State.DRAFT)
    assert (swf.service_area, swf.team, swf.auditor) == (own_area, teams[0], people["alex"])
    assert swf.case_holder == people["wendy"]  # a practitioner of the area
    assert audits["C-2001"].case_holder is None  # no worker on the case list
    assert (swf.due_on, swf.oversight_due_on, swf.record_due_on) == (
        date(2026, 11, 28),
        date(2026, 12, 5),
        date(2026, 12, 6),
    )
    assert (dates.audit_due, dates.oversight_due, dates.record_due) == (
        swf.due_on,
        swf.oversight_due_on,
        swf.record_due_on,
    )
    assert swf.case == Case.objects.get(child_ref="C-1001")
    assert {item.audit.case_reference for item in proposed.items.all()} == set(audits)
    assert AuditEvent.objects.filter(audit=swf, what="state", new_value=Audit.State.DRAFT, actor=qa).exists()


def test_a_case_holder_who_is_not_a_practitioner_of_the_area_is_left_empty(proposed, people, versions):
    people["wendy"].memberships.update(ended_at=timezone.now())

    allocation_distribute(actor=people["qa_lead"].user, allocation=proposed)

    assert Audit.objects.get(case_reference="C-1001").case_holder is None
    assert Audit.objects.get(case_reference="C-1002").case_holder == people["will"]


def test_each_auditor_is_told_once_with_all_their_cases(
    proposed, people, own_area, versions, django_capture_on_commit_callbacks, email_worker
):
    qa = people["qa_lead"].user
    allocation_item_add(
        actor=qa,
        allocation=proposed,
        case=Case.objects.get(child_ref="C-1003"),
        auditor=people["alex"],
        reason="A second case",
    )
    Notification.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        allocation_distribute(actor=qa, allocation=proposed)

    alex = Notification.objects.filter(recipient=people["alex"].user)
    assert alex.count() == 1
    assert alex.get().subject == "Your audits for November 2026: 2 cases"
    assert "case C-1001 (SWF)" in alex.get().body and "case C-1003 (SWF)" in alex.get().body
    assert "28 November 2026" in alex.get().body
    assert Notification.objects.filter(recipient=people["blake"].user).get().subject.endswith(": 1 case")
    assert Notification.objects.count() == 3  # Alex, Blake, Casey: one each
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        people[name].user.email for name in ("alex", "blake", "casey")
    )


def test_distributing_twice_never_allocates_twice(proposed, people, versions):
    qa = people["qa_lead"].user
    allocation_distribute(actor=qa, allocation=proposed)

    with pytest.raises(ValidationError) as refused:
        allocation_distribute(actor=qa, allocation=proposed)

    assert refused.value.messages == [ALREADY_DISTRIBUTED]
    assert Audit.objects.count() == 3


def test_distribution_is_refused_naming_the_area_without_a_published_tool_and_creates_nothing(
    proposed, people, own_area
):
    publish_tool(own_area)  # PTC has none

    with pytest.raises(ValidationError) as refused:
        allocation_distribute(actor=people["qa_lead"].user, allocation=proposed)

    assert refused.value.messages == [allocation.NO_PUBLISHED_TOOL.format(areas="PTC")]
    assert not Audit.objects.exists()
    proposed.refresh_from_db()
    assert proposed.state == Allocation.State.PROPOSED


def test_distribution_is_refused_when_an_auditor_has_left_since_the_proposal(proposed, people, versions):
    people["blake"].memberships.update(ended_at=timezone.now())

    with pytest.raises(ValidationError) as refused:
        allocation_distribute(actor=people["qa_lead"].user, allocation=proposed)

    assert refused.value.messages == [allocation.AUDITOR_LEFT.format(name="Blake Manager", area="SWF", case="C-1002")]
    assert not Audit.objects.exists()


def test_a_distributed_allocation_can_no_longer_be_changed(proposed, people, versions):
    qa = people["qa_lead"].user
    allocation_distribute(actor=qa, allocation=proposed)
    item = proposed.items.first()

    with pytest.raises(ValidationError) as refused:
        allocation_item_remove(actor=qa, item=item, reason="Too late")

    assert refused.value.messages == [NOT_PROPOSED]


# ---------------------------------------------------------------------------------------
# Concurrency: two connections propose the same month at once


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_proposals_for_a_month_make_one_allocation(people, own_area, other_area):
    for ref in REFS:
        make_case(ref, own_area)
    make_case("C-2001", other_area)
    real_compute = allocation.proposal_compute
    started = threading.Barrier(2)
    results, errors = [], []

    def slow_compute(**kwargs):
        time.sleep(0.5)  # hold the new Allocation row, uncommitted, while the other run tries
        return real_compute(**kwargs)

    def run():
        try:
            started.wait(timeout=10)
            results.append(allocation_propose(month=MONTH).pk)
        except Exception as error:  # reported below: a thread's exception would otherwise vanish
            errors.append(error)
        finally:
            connection.close()

    with patch("audits.cycle.allocation.proposal_compute", side_effect=slow_compute) as compute:
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert errors == []
    assert len(results) == 2 and results[0] == results[1]
    assert compute.call_count == 1  # the second run found the first's row and computed nothing
    assert Allocation.objects.count() == 1
    assert AllocationItem.objects.count() == 3


# ---------------------------------------------------------------------------------------
# Pages


def text(response) -> str:
    return unescape(response.content.decode())


def month_url(name, **kwargs):
    return reverse(f"allocation:{name}", kwargs={"month": MONTH_KEY, **kwargs})


@pytest.fixture
def qa_client(client, people):
    client.force_login(people["qa_lead"].user)
    return client


def test_the_review_page_groups_cases_by_area_and_warns_about_managers_without_a_case(
    qa_client, proposed, people, make_person, own_area
):
    make_person(Role.PRACTICE_MANAGER, own_area, full_name="Dana Manager")

    response = qa_client.get(month_url("allocation_detail"))

    html = text(response)
    assert response.status_code == 200
    assert "Social Work with Families (SWF): 2 cases" in html
    assert "Pathways Through Care (PTC): 1 case" in html
    assert "fits the theme: child protection" in html
    assert "Practice managers without a case" in html and "Dana Manager (SWF)" in html
    assert "Remove or swap case C-1001" in html


def test_a_month_without_an_allocation_offers_to_propose_it(qa_client, people):
    html = text(qa_client.get(reverse("allocation:allocation_detail", kwargs={"month": "2027-02"})))

    assert "No allocation has been proposed for February 2027 yet" in html
    assert reverse("allocation:allocation_propose", kwargs={"month": "2027-02"}) in html


def test_a_month_that_is_not_a_month_is_not_found(qa_client, people):
    assert qa_client.get(reverse("allocation:allocation_detail", kwargs={"month": "2026-13"})).status_code == 404
    assert qa_client.get("/allocation/november/").status_code == 404


def test_other_roles_may_not_open_or_change_allocations(client, proposed, people):
    client.force_login(people["lead"].user)
    item = proposed.items.first()

    assert client.get(reverse("allocation:allocation_list")).status_code == 403
    assert client.get(month_url("allocation_detail")).status_code == 403
    response = client.post(month_url("item_remove", pk=item.pk), {f"remove-{item.pk}-reason": "Not mine to change"})
    assert response.status_code == 403
    assert client.post(month_url("allocation_distribute"), {"confirm": "on"}).status_code == 403
    assert proposed.items.filter(removed_at__isnull=True).count() == 3


def test_changes_take_post_only(qa_client, proposed):
    item = proposed.items.first()
    for url in (
        month_url("item_remove", pk=item.pk),
        month_url("item_swap", pk=item.pk),
        month_url("item_add"),
        month_url("allocation_distribute"),
        month_url("allocation_propose"),
    ):
        assert qa_client.get(url).status_code == 405, url


def test_an_item_of_another_month_is_not_found(qa_client, proposed, people, own_area):
    other = Allocation.objects.create(month=date(2026, 12, 1))
    stray = AllocationItem.objects.create(
        allocation=other, case=make_case("C-1200", own_area), auditor=people["alex"], reason="test"
    )

    response = qa_client.post(month_url("item_remove", pk=stray.pk), {f"remove-{stray.pk}-reason": "x"})

    assert response.status_code == 404


def test_removing_by_plain_post_with_and_without_a_reason(qa_client, proposed, people):
    item = proposed.items.get(case__child_ref="C-1002")
    url = month_url("item_remove", pk=item.pk)

    refused = qa_client.post(url, {f"remove-{item.pk}-reason": ""})
    assert refused.status_code == 422
    assert REASON_REQUIRED in text(refused)
    assert "<details open>" in text(refused)  # the refused form is shown open, in its row

    done = qa_client.post(url, {f"remove-{item.pk}-reason": "Family moved away"}, follow=True)
    html = text(done)
    assert "Case C-1002 taken out of the allocation." in html
    assert "Taken out in review" in html and "Family moved away" in html
    item.refresh_from_db()
    assert item.removed_by == people["qa_lead"].user


def test_adding_by_plain_post_shows_the_message_next_to_the_field(qa_client, proposed, people):
    blake = people["blake"].memberships.get()
    url = month_url("item_add")

    unknown = qa_client.post(url, {"add-auditor": blake.pk, "add-case": "C-404", "add-reason": "Why not"})
    assert unknown.status_code == 422 and CASE_UNKNOWN in text(unknown)
    taken = qa_client.post(url, {"add-auditor": blake.pk, "add-case": "c-1001", "add-reason": "Why not"})
    assert taken.status_code == 422 and CASE_ALREADY_ALLOCATED in text(taken)

    response = qa_client.post(url, {"add-auditor": blake.pk, "add-case": "C-1003", "add-reason": "Second case"})

    assert response.status_code == 302
    assert ("Blake Manager", "C-1003") in live(proposed)


def test_swapping_by_plain_post(qa_client, proposed):
    item = proposed.items.get(case__child_ref="C-1002")

    response = qa_client.post(
        month_url("item_swap", pk=item.pk), {f"swap-{item.pk}-case": "C-1003", f"swap-{item.pk}-reason": "On leave"}
    )

    assert response.status_code == 302
    assert ("Blake Manager", "C-1003") in live(proposed) and ("Blake Manager", "C-1002") not in live(proposed)


def test_distributing_needs_the_confirmation_then_creates_the_audits(qa_client, proposed, versions):
    url = month_url("allocation_distribute")

    unconfirmed = qa_client.post(url, {})
    assert unconfirmed.status_code == 422 and CONFIRM_REQUIRED in text(unconfirmed)
    assert not Audit.objects.exists()

    response = qa_client.post(url, {"confirm": "on"}, follow=True)

    html = text(response)
    assert "Allocation distributed: 3 audit(s) created, auditors told." in html
    assert "Audit of case C-1001" in html
    assert Audit.objects.count() == 3
    again = qa_client.post(url, {"confirm": "on"})
    assert again.status_code == 422 and ALREADY_DISTRIBUTED in text(again)
    assert Audit.objects.count() == 3


def test_distribution_refused_for_a_missing_tool_is_shown_on_the_page(qa_client, proposed, own_area):
    publish_tool(own_area)

    response = qa_client.post(month_url("allocation_distribute"), {"confirm": "on"})

    assert response.status_code == 422
    assert allocation.NO_PUBLISHED_TOOL.format(areas="PTC") in text(response)


def test_changes_without_the_csrf_token_are_refused(proposed, people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["qa_lead"].user)
    item = proposed.items.first()

    response = client.post(month_url("item_remove", pk=item.pk), {f"remove-{item.pk}-reason": "No token"})

    assert response.status_code == 403
    assert proposed.items.filter(removed_at__isnull=True).count() == 3


def test_propose_now_queues_the_job_after_commit_and_says_so(qa_client, people, django_capture_on_commit_callbacks):
    with patch("audits.tasks.propose_monthly_allocation.delay") as queue:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = qa_client.post(reverse("allocation:allocation_propose", kwargs={"month": "2026-12"}))
        queue.assert_not_called()  # not before the transaction commits
        for callback in callbacks:
            callback()

    queue.assert_called_once_with("2026-12-01", people["qa_lead"].user.pk)
    assert response.status_code == 302
    page = text(qa_client.get(response.url))
    assert PROPOSAL_ASKED.format(month="December 2026") in page


def test_propose_now_for_a_month_that_has_one_changes_nothing(qa_client, proposed):
    with patch("audits.tasks.propose_monthly_allocation.delay") as queue:
        response = qa_client.post(month_url("allocation_propose"), follow=True)

    queue.assert_not_called()
    assert PROPOSAL_EXISTS.format(month="November 2026") in text(response)


def test_the_list_shows_each_month_with_its_counts_and_offers_to_propose_missing_months(
    qa_client, proposed, versions, people
):
    allocation_item_remove(actor=people["qa_lead"].user, item=proposed.items.first(), reason="Not this one")
    allocation_distribute(actor=people["qa_lead"].user, allocation=proposed)
    this_month = month_start(timezone.localdate())

    html = text(qa_client.get(reverse("allocation:allocation_list")))

    assert "November 2026" in html and "Distributed" in html and "0 of 2" in html
    if this_month != MONTH:
        assert f"Propose now for {this_month:%B %Y}" in html
    assert "Propose now for November 2026" not in html


def test_the_list_puts_the_newest_month_first_as_its_caption_says(qa_client, people, own_area):
    """The counts group the query, and a grouped query leaves out the model's default order."""
    for month in (date(2026, 10, 1), date(2026, 12, 1), date(2026, 11, 1)):
        Allocation.objects.create(month=month)

    html = text(qa_client.get(reverse("allocation:allocation_list")))

    shown = [html.index(month) for month in ("December 2026", "November 2026", "October 2026")]
    assert shown == sorted(shown)


# Fixed query counts: the list and the review page, at two sizes


def grow(people, own_area, start, count):
    """`count` more months, each with a case per manager."""
    for index in range(count):
        month = add_months(date(2020, 1, 1), start + index)
        made = Allocation.objects.create(month=month)
        for manager in ("alex", "blake"):
            case = make_case(f"C-{month:%Y%m}-{manager}", own_area)
            AllocationItem.objects.create(allocation=made, case=case, auditor=people[manager], reason="test")


def grow_items(proposed, people, own_area, start, count):
    for index in range(count):
        case = make_case(f"C-{start + index}", own_area)
        AllocationItem.objects.create(allocation=proposed, case=case, auditor=people["alex"], reason="test")


def _queries(client, url):
    client.get(url)  # warm first-use caches, so both measurements see the same
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def test_the_list_runs_the_same_queries_for_few_months_and_many(qa_client, people, own_area):
    url = reverse("allocation:allocation_list")
    grow(people, own_area, 0, 2)
    few = _queries(qa_client, url)
    grow(people, own_area, 2, 10)
    many = _queries(qa_client, url)

    assert len(few) == len(many)
    assert qa_client.get(url).content.decode().count("<tr>") == 13  # header + 12 months


def test_the_review_page_runs_the_same_queries_for_few_cases_and_many(qa_client, proposed, people, own_area):
    url = month_url("allocation_detail")
    grow_items(proposed, people, own_area, 7000, 2)
    item = proposed.items.first()
    allocation_item_remove(actor=people["qa_lead"].user, item=item, reason="One removed")
    few = _queries(qa_client, url)
    grow_items(proposed, people, own_area, 8000, 30)
    for extra in proposed.items.filter(case__child_ref__startswith="C-80")[:5]:
        allocation_item_remove(actor=people["qa_lead"].user, item=extra, reason="More removed")
    many = _queries(qa_client, url)

    assert len(few) == len(many), "\n".join(sql for sql in many if sql not in few)


# ---------------------------------------------------------------------------------------
# The command


def run(*args):
    out = StringIO()
    call_command("allocate", *args, stdout=out)
    return out.getvalue()


def test_the_command_refuses_a_bad_month():
    with pytest.raises(CommandError, match="not a month"):
        run("--month", "2026-13")
    with pytest.raises(CommandError, match="not a month"):
        run("--month", "November")


def test_a_dry_run_prints_the_proposal_and_saves_nothing(people, own_area):
    make_theme(statuses=["cp"])
    make_case("C-1001", own_area, status="cp")

    out = run("--month", MONTH_KEY, "--dry-run")

    assert "Allocation for 2026-11 (dry run, nothing saved)" in out
    assert "C-1001" in out and people["alex"].user.email in out and "fits the theme: child protection" in out
    assert f"No eligible case for {people['blake'].user.email} (SWF)" in out
    assert "Alex Manager" not in out  # e-mail addresses, never names
    assert not Allocation.objects.exists() and not ChangeRecord.objects.filter(action__startswith="allocation")


def test_the_command_proposes_once_and_distributes(people, own_area, other_area, versions):
    make_case("C-1001", own_area)
    make_case("C-1002", own_area)
    make_case("C-2001", other_area)

    first = run("--month", MONTH_KEY)
    second = run("--month", MONTH_KEY)
    distributed = run("--month", MONTH_KEY, "--distribute")
    again = run("--month", MONTH_KEY, "--distribute")

    assert "(proposed now)" in first and "3 case(s)." in first
    assert "(already proposed, awaiting qa review)" in second
    assert "(distributed now)" in distributed
    assert "(already distributed)" in again
    assert Allocation.objects.count() == 1 and Audit.objects.count() == 3
    assert "  SWF      C-1001" in first and "  PTC      C-2001" in first


def test_the_command_reports_a_refused_distribution(people, own_area):
    make_case("C-1001", own_area)

    with pytest.raises(CommandError, match="No published case audit tool for SWF"):
        run("--month", MONTH_KEY, "--distribute")

    assert Allocation.objects.get().state == Allocation.State.PROPOSED


def test_dry_run_and_distribute_together_are_refused():
    with pytest.raises(CommandError, match="cannot be combined"):
        run("--month", MONTH_KEY, "--dry-run", "--distribute")
