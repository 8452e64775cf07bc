"""Deadlines of the monthly cycle: what is overdue, the "what is due" panel, the overdue pages, and the
daily reminders, travelling through November and December 2026 with frozen time.

The November cycle: audits due on Sat 28 Nov, oversight by Sat 5 Dec, on the child's record by Sun 6 Dec.
Reminders go REMINDER_DAYS_BEFORE (3) days before (25 Nov), on the day, and once after the day.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

from audits import services
from audits.cycle import deadlines
from audits.cycle.dates import cycle_dates
from audits.cycle.deadlines import Deadline, cycle_reminders_send, overdue_audits, overdue_counts
from audits.filters import FILTERS_INVALID
from audits.models import Audit, Escalation, SentReminder
from audits.selectors import due_for
from quality.org.models import Notification, Person, Role

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
NOVEMBER = cycle_dates(date(2026, 11, 1))  # due 28 Nov, oversight 5 Dec, record 6 Dec
OVERDUE_URL = reverse("escalations:overdue_list")
EXPORT_URL = reverse("escalations:overdue_export_csv")


def at_seven(day: date) -> datetime:
    """07:00 in London: when beat runs the reminders."""
    return datetime(day.year, day.month, day.day, 7, tzinfo=LONDON)


@dataclass
class World:
    own_area: object
    other_area: object
    own_team: object
    manager: Person
    worker: Person
    lead: Person
    other_manager: Person
    other_lead: Person
    qa_officer: Person
    qa_lead: Person
    hos: Person
    version: object

    def audit(self, reference, *, area=None, auditor=None, due_on=NOVEMBER.audit_due, state=Audit.State.DRAFT, **more):
        """An audit made directly in a state (fast); the cycle's later deadlines follow from `due_on`."""
        area = area or self.own_area
        dates = cycle_dates(due_on) if due_on else None
        return Audit.objects.create(
            case_reference=reference,
            service_area=area,
            team=self.own_team if area == self.own_area else None,
            auditor=auditor or (self.manager if area == self.own_area else self.other_manager),
            tool_version=self.version,
            period_start=date(2026, 4, 1),
            period_end=date(2026, 9, 30),
            state=state,
            due_on=due_on,
            oversight_due_on=dates.oversight_due if dates else None,
            record_due_on=dates.record_due if dates else None,
            **more,
        )


@pytest.fixture
def world(make_person, own_area, other_area, own_team):
    qa_lead = make_person(Role.QA_LEAD, full_name="Quinn Lead")
    tool = services.tool_create(actor=qa_lead.user, name="Shared case audit", service_area=None, purpose="case_audit")
    return World(
        own_area=own_area,
        other_area=other_area,
        own_team=own_team,
        manager=make_person(Role.PRACTICE_MANAGER, own_area, full_name="Mona Manager"),
        worker=make_person(Role.PRACTITIONER, own_area, full_name="Wren Worker"),
        lead=make_person(Role.SERVICE_LEAD, own_area, full_name="Sam Lead"),
        other_manager=make_person(Role.PRACTICE_MANAGER, other_area, full_name="Pat Othermanager"),
        other_lead=make_person(Role.SERVICE_LEAD, other_area, full_name="Lee Otherlead"),
        qa_officer=make_person(Role.QA_OFFICER, full_name="Otto Officer"),
        qa_lead=qa_lead,
        hos=make_person(Role.HEAD_OF_SERVICE, full_name="Hana Head"),
        version=services.version_publish(actor=qa_lead.user, version=tool.versions.get()),
    )


def refs(audits) -> list[str]:
    return [audit.case_reference for audit in audits]


# --- what is overdue -------------------------------------------------------------------------------


@pytest.fixture
def overdue_world(world):
    """On 7 Dec 2026: one audit of each kind overdue in each area, and some that are not."""
    w = world
    w.audit("C-DRAFT-LATE", due_on=date(2026, 11, 28))
    w.audit("C-DRAFT-TODAY", due_on=date(2026, 12, 7))
    w.audit("C-DRAFT-NODATE", due_on=None)
    w.audit("C-SUB-LATE", state=Audit.State.SUBMITTED)  # oversight due 5 Dec
    w.audit("C-DISPUTED", state=Audit.State.DISPUTED)  # waits for QA, not the service lead
    w.audit("C-SEEN-LATE", state=Audit.State.OVERSEEN)  # record due 6 Dec
    w.audit("C-CLOSED", state=Audit.State.CLOSED)
    w.audit("P-DRAFT-LATE", area=w.other_area, due_on=date(2026, 10, 28))
    w.audit("P-SUB-LATE", area=w.other_area, state=Audit.State.SUBMITTED)
    return w


TODAY = date(2026, 12, 7)


def test_an_audit_is_overdue_from_the_day_after_each_deadline_in_its_state(overdue_world):
    qa = overdue_world.qa_officer.user

    assert refs(overdue_audits(qa, Deadline.COMPLETION, today=TODAY)) == ["P-DRAFT-LATE", "C-DRAFT-LATE"]
    # Due the same day: by service area (in the order the areas were made: the partial index's), then case.
    assert refs(overdue_audits(qa, Deadline.OVERSIGHT, today=TODAY)) == ["C-SUB-LATE", "P-SUB-LATE"]
    assert refs(overdue_audits(qa, Deadline.RECORD, today=TODAY)) == ["C-SEEN-LATE"]


def test_overdue_audits_carry_their_due_date_and_days_late(overdue_world):
    late = overdue_audits(overdue_world.qa_officer.user, Deadline.COMPLETION, today=TODAY)

    assert [(a.case_reference, a.due_date, a.days_late) for a in late] == [
        ("P-DRAFT-LATE", date(2026, 10, 28), 40),
        ("C-DRAFT-LATE", date(2026, 11, 28), 9),
    ]


def test_a_disputed_audit_is_not_overdue_oversight_and_counts_again_once_resolved(overdue_world):
    qa = overdue_world.qa_officer.user
    assert "C-DISPUTED" not in refs(overdue_audits(qa, Deadline.OVERSIGHT, today=TODAY))

    Audit.objects.filter(case_reference="C-DISPUTED").update(state=Audit.State.SUBMITTED)

    assert "C-DISPUTED" in refs(overdue_audits(qa, Deadline.OVERSIGHT, today=TODAY))


def test_a_service_lead_sees_only_their_areas_overdue_audits(overdue_world):
    lead = overdue_world.lead.user

    assert refs(overdue_audits(lead, Deadline.COMPLETION, today=TODAY)) == ["C-DRAFT-LATE"]
    assert refs(overdue_audits(lead, Deadline.OVERSIGHT, today=TODAY)) == ["C-SUB-LATE"]


def test_overdue_counts_are_per_service_area_and_scoped(overdue_world):
    w = overdue_world

    counts = {
        row.code: (row.completion, row.oversight, row.record, row.total)
        for row in overdue_counts(w.qa_officer.user, today=TODAY)
    }
    lead_counts = [row.code for row in overdue_counts(w.lead.user, today=TODAY)]

    assert counts == {"SWF": (1, 1, 1, 3), "PTC": (1, 1, 0, 2)}
    assert lead_counts == ["SWF"]
    totals = deadlines.overdue_totals(w.qa_officer.user, today=TODAY)
    assert (totals.completion, totals.oversight, totals.record) == (2, 2, 1)


# --- the "what is due" panel -------------------------------------------------------------------------


@freeze_time("2026-11-25 12:00:00")
def test_a_practice_manager_sees_their_audits_soonest_first_with_days_left(world):
    world.audit("C-3", due_on=date(2026, 11, 28))
    world.audit("C-1", due_on=date(2026, 11, 20))
    world.audit("C-2", due_on=date(2026, 11, 25))
    world.audit("C-4", due_on=None)
    world.audit("C-SUBMITTED", state=Audit.State.SUBMITTED)

    due = due_for(world.manager.user)

    assert [(a.case_reference, a.days_left) for a in due["to_complete"]] == [
        ("C-1", -5),
        ("C-2", 0),
        ("C-3", 3),
        ("C-4", None),
    ]
    assert "overdue" not in due and "to_oversee" not in due


@freeze_time("2026-12-05 12:00:00")
def test_a_service_lead_sees_oversight_and_records_due_with_their_own_deadlines(world):
    world.audit("C-SUB", state=Audit.State.SUBMITTED)
    world.audit("C-SEEN", state=Audit.State.OVERSEEN)
    world.audit("P-SUB", area=world.other_area, state=Audit.State.SUBMITTED)

    due = due_for(world.lead.user)

    assert [(a.case_reference, a.due_date, a.days_left) for a in due["to_oversee"]] == [("C-SUB", date(2026, 12, 5), 0)]
    assert [(a.case_reference, a.due_date, a.days_left) for a in due["to_close"]] == [("C-SEEN", date(2026, 12, 6), 1)]
    assert due["overdue_link"] is True


def escalation(audit, **fields):
    return Escalation.objects.create(audit=audit, **fields)


@freeze_time("2026-12-10 12:00:00")
def test_a_service_lead_sees_the_escalation_updates_they_owe_soonest_first(world):
    inadequate = world.audit("C-INAD", state=Audit.State.OVERSEEN)
    escalation(
        inadequate,
        kind=Escalation.Kind.INADEQUATE,
        stage=Escalation.Stage.ESCALATED,
        first_update_due=date(2026, 12, 8),
        second_update_due=date(2026, 12, 12),
    )
    half_done = world.audit("C-HALF", state=Audit.State.OVERSEEN)
    escalation(
        half_done,
        kind=Escalation.Kind.INADEQUATE,
        stage=Escalation.Stage.ESCALATED,
        first_update_due=date(2026, 12, 4),
        first_update_at=datetime(2026, 12, 4, 9, tzinfo=LONDON),
        second_update_due=date(2026, 12, 10),
    )
    remedial = world.audit("C-RI", state=Audit.State.OVERSEEN)
    escalation(
        remedial, kind=Escalation.Kind.REMEDIAL, stage=Escalation.Stage.ESCALATED, remedial_due_on=date(2027, 1, 2)
    )
    waiting = world.audit("C-WAIT", state=Audit.State.SUBMITTED)
    escalation(waiting, kind=Escalation.Kind.INADEQUATE, stage=Escalation.Stage.AWAITING_MODERATION)
    closed = world.audit("C-DONE", state=Audit.State.CLOSED)
    escalation(closed, kind=Escalation.Kind.REMEDIAL, stage=Escalation.Stage.CLOSED, remedial_due_on=date(2026, 12, 1))
    elsewhere = world.audit("P-INAD", area=world.other_area, state=Audit.State.OVERSEEN)
    escalation(
        elsewhere, kind=Escalation.Kind.INADEQUATE, stage=Escalation.Stage.ESCALATED, first_update_due=date(2026, 12, 9)
    )

    steps = due_for(world.lead.user)["escalation_steps"]

    assert [(s.escalation.audit.case_reference, s.label, s.due_date, s.days_left) for s in steps] == [
        ("C-INAD", "Update within 3 days", date(2026, 12, 8), -2),
        ("C-HALF", "Update after a week", date(2026, 12, 10), 0),
        ("C-INAD", "Update after a week", date(2026, 12, 12), 2),
        ("C-RI", "Remedial actions", date(2027, 1, 2), 23),
    ]
    expected_url = getattr(steps[0].escalation, "get_absolute_url", inadequate.get_absolute_url)()
    assert steps[0].url == expected_url


def test_the_qa_unit_sees_the_overdue_counts_and_others_do_not(overdue_world):
    w = overdue_world
    with freeze_time("2026-12-07 12:00:00"):
        qa_due, manager_due, hos_due = due_for(w.qa_officer.user), due_for(w.manager.user), due_for(w.hos.user)

    assert (qa_due["overdue"].completion, qa_due["overdue"].oversight, qa_due["overdue"].record) == (2, 2, 1)
    assert "overdue" not in manager_due and "overdue_link" not in manager_due
    assert "overdue" not in hos_due and hos_due["overdue_link"] is True


def panel_items(response, heading: str) -> list[str]:
    """The text of each item of one list of the home page's panel."""
    from html.parser import HTMLParser

    class Items(HTMLParser):
        def __init__(self):
            super().__init__()
            self.items, self.in_list, self.after_heading, self.heading, self.text = [], False, False, None, ""

        def handle_starttag(self, tag, attrs):
            if tag == "h3":
                self.heading = ""
            if tag == "li" and self.after_heading:
                self.text = ""

        def handle_endtag(self, tag):
            if tag == "h3":
                self.after_heading = self.heading.strip() == heading
                self.heading = None
            elif tag == "li" and self.after_heading:
                self.items.append(" ".join(self.text.split()))
            elif tag == "ul" and self.after_heading:
                self.after_heading = False

        def handle_data(self, data):
            if self.heading is not None:
                self.heading += data
            self.text += data

    parser = Items()
    parser.feed(response.content.decode())
    return parser.items


@freeze_time("2026-11-25 12:00:00")
def test_the_home_page_labels_each_item_in_words(client, world):
    world.audit("C-1", due_on=date(2026, 11, 20))
    world.audit("C-2", due_on=date(2026, 11, 25))
    world.audit("C-3", due_on=date(2026, 11, 28))
    world.audit("C-4", due_on=date(2026, 11, 26))
    client.force_login(world.manager.user)

    items = panel_items(client.get(reverse("home")), "Audits to complete")

    assert items == [
        "Case C-1 (SWF), due 20 Nov 2026 Overdue",
        "Case C-2 (SWF), due 25 Nov 2026 Due today",
        "Case C-4 (SWF), due 26 Nov 2026 Due in 1 day",
        "Case C-3 (SWF), due 28 Nov 2026 Due in 3 days",
    ]


@freeze_time("2026-12-07 12:00:00")
def test_an_audits_page_shows_each_deadline_of_its_cycle_and_when_it_was_met(client, world):
    audit = world.audit("C-1", state=Audit.State.OVERSEEN, oversight_at=datetime(2026, 12, 4, 10, tzinfo=LONDON))
    client.force_login(world.lead.user)

    page = " ".join(client.get(audit.get_absolute_url()).content.decode().split())

    assert '<dt class="col-sm-4">Due</dt><dd class="col-sm-8">28 Nov 2026</dd>' in page
    assert 'Oversight due</dt><dd class="col-sm-8">5 Dec 2026, recorded 4 Dec 2026</dd>' in page
    assert 'On the child\'s record by</dt><dd class="col-sm-8">6 Dec 2026</dd>' in page


@freeze_time("2026-12-07 12:00:00")
def test_the_qa_officers_home_page_counts_the_overdue_and_links_to_the_lists(client, overdue_world):
    client.force_login(overdue_world.qa_officer.user)

    response = client.get(reverse("home"))

    assert panel_items(response, "Overdue across the service areas") == [
        "2 audits not completed",
        "2 audits without oversight",
        "1 audit not on the child's record",
    ]
    assert f'href="{OVERDUE_URL}"' in response.content.decode()


# --- the overdue pages ----------------------------------------------------------------------------


def page_refs(response, deadline: Deadline) -> list[str]:
    section = next(s for s in response.context["sections"] if s["deadline"] == deadline)
    return refs(section["rows"])


@freeze_time("2026-12-07 12:00:00")
def test_the_qa_unit_sees_every_areas_overdue_audits_with_counts_per_area(client, overdue_world):
    client.force_login(overdue_world.qa_lead.user)

    response = client.get(OVERDUE_URL)

    assert response.status_code == 200
    assert page_refs(response, Deadline.COMPLETION) == ["P-DRAFT-LATE", "C-DRAFT-LATE"]
    assert page_refs(response, Deadline.OVERSIGHT) == ["C-SUB-LATE", "P-SUB-LATE"]
    assert page_refs(response, Deadline.RECORD) == ["C-SEEN-LATE"]
    assert [(r.name, r.total) for r in response.context["counts"]] == [
        ("Pathways Through Care", 2),
        ("Social Work with Families", 3),
    ]
    assert response.context["total"].total == 5
    page = response.content.decode()
    assert "40 days" in page and "9 days" in page


@freeze_time("2026-12-07 12:00:00")
def test_a_service_lead_sees_their_area_and_can_act_on_its_rows(client, overdue_world):
    client.force_login(overdue_world.lead.user)

    response = client.get(OVERDUE_URL)

    assert page_refs(response, Deadline.COMPLETION) == ["C-DRAFT-LATE"]
    assert page_refs(response, Deadline.OVERSIGHT) == ["C-SUB-LATE"]
    sub_late = Audit.objects.get(case_reference="C-SUB-LATE")
    seen_late = Audit.objects.get(case_reference="C-SEEN-LATE")
    page = response.content.decode()
    assert f'href="{sub_late.get_absolute_url()}#oversight-heading"' in page
    assert f'action="{reverse("audits:audit_on_record", args=[seen_late.pk])}"' in page
    assert "P-SUB-LATE" not in page


@freeze_time("2026-12-07 12:00:00")
def test_a_head_of_service_reads_the_lists_but_is_offered_no_oversight_form(client, overdue_world):
    client.force_login(overdue_world.hos.user)

    page = client.get(OVERDUE_URL).content.decode()

    assert "P-SUB-LATE" in page and "C-SUB-LATE" in page
    assert "#oversight-heading" not in page and "Mark as on the record" not in page


@pytest.mark.parametrize("who", ["manager", "worker"])
def test_people_who_do_not_oversee_the_cycle_may_not_see_the_overdue_lists(client, world, who):
    client.force_login(getattr(world, who).user)

    assert client.get(OVERDUE_URL).status_code == 403
    assert client.get(EXPORT_URL).status_code == 403


def test_the_overdue_lists_only_answer_get(client, world):
    client.force_login(world.qa_officer.user)

    assert client.post(OVERDUE_URL).status_code == 405
    assert client.post(EXPORT_URL).status_code == 405


@freeze_time("2026-12-07 12:00:00")
def test_the_lists_filter_by_service_area_and_the_counts_stay_whole(client, overdue_world):
    client.force_login(overdue_world.qa_officer.user)

    response = client.get(OVERDUE_URL, {"service_area": overdue_world.other_area.pk})

    assert page_refs(response, Deadline.COMPLETION) == ["P-DRAFT-LATE"]
    assert page_refs(response, Deadline.OVERSIGHT) == ["P-SUB-LATE"]
    assert page_refs(response, Deadline.RECORD) == []
    assert len(response.context["counts"]) == 2


@freeze_time("2026-12-07 12:00:00")
def test_a_service_lead_filtering_by_another_area_is_told_next_to_the_field(client, overdue_world):
    client.force_login(overdue_world.lead.user)

    response = client.get(OVERDUE_URL, {"service_area": overdue_world.other_area.pk})

    assert response.status_code == 200
    assert "Select a valid choice" in response.context["form"].errors["service_area"][0]
    assert all(not section["rows"] for section in response.context["sections"])
    assert "P-SUB-LATE" not in response.content.decode()
    export = client.get(EXPORT_URL, {"service_area": overdue_world.other_area.pk})
    assert export.status_code == 400
    assert export.content.decode() == FILTERS_INVALID


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


@freeze_time("2026-12-07 12:00:00")
def test_the_csv_holds_the_rows_the_page_shows(client, overdue_world):
    client.force_login(overdue_world.qa_officer.user)

    response = client.get(EXPORT_URL, {"service_area": overdue_world.own_area.pk})

    assert response["Content-Disposition"] == 'attachment; filename="overdue-audits-2026-12-07.csv"'
    assert read_csv(response) == [
        ["List", "Case reference", "Service area", "Team", "Auditor", "Due date", "Days late"],
        [
            "Audits not completed",
            "C-DRAFT-LATE",
            "Social Work with Families",
            "SWF East",
            "Mona Manager",
            "28/11/2026",
            "9",
        ],
        [
            "Oversight not recorded",
            "C-SUB-LATE",
            "Social Work with Families",
            "SWF East",
            "Mona Manager",
            "05/12/2026",
            "2",
        ],
        [
            "Not on the child's record",
            "C-SEEN-LATE",
            "Social Work with Families",
            "SWF East",
            "Mona Manager",
            "06/12/2026",
            "1",
        ],
    ]


# --- a fixed number of queries whatever the rows ----------------------------------------------------

FEW, MANY = 2, 6


def more_overdue(world, n, start):
    for i in range(start, start + n):
        team_area = world.own_area if i % 2 else world.other_area
        world.audit(f"C-L{i}", area=team_area, due_on=date(2026, 11, 28))
        world.audit(f"C-S{i}", area=team_area, state=Audit.State.SUBMITTED)
        world.audit(f"C-R{i}", area=team_area, state=Audit.State.OVERSEEN)
        world.audit(f"C-D{i}", area=team_area, due_on=date(2026, 12, 9))  # not yet due: the panel's
        audit = world.audit(f"C-E{i}", area=team_area, state=Audit.State.OVERSEEN, due_on=None)
        escalation(
            audit,
            kind=Escalation.Kind.INADEQUATE,
            stage=Escalation.Stage.ESCALATED,
            first_update_due=date(2026, 12, 8),
            second_update_due=date(2026, 12, 12),
        )


def shown_on_overdue(response):
    return sum(len(section["rows"]) for section in response.context["sections"])


def shown_on_home(response):
    due = response.context["due"]
    lists = [due.get(key, []) for key in ("to_complete", "to_oversee", "to_close", "escalation_steps")]
    return sum(len(items) for items in lists) + (due["overdue"].total if "overdue" in due else 0)


@pytest.mark.parametrize(
    ("who", "url", "shown"),
    [
        ("qa_officer", OVERDUE_URL, shown_on_overdue),
        ("lead", OVERDUE_URL, shown_on_overdue),
        ("qa_officer", EXPORT_URL, lambda response: len(read_csv(response))),
        ("lead", reverse("home"), shown_on_home),
        ("manager", reverse("home"), shown_on_home),
        ("qa_officer", reverse("home"), shown_on_home),
    ],
)
@freeze_time("2026-12-07 12:00:00")
def test_the_pages_run_the_same_queries_for_few_rows_and_many(
    client, world, who, url, shown, django_assert_num_queries
):
    client.force_login(getattr(world, who).user)
    more_overdue(world, FEW, 0)
    client.get(url)  # fill first-use caches
    with CaptureQueriesContext(connection) as few_queries:
        few = shown(client.get(url))

    more_overdue(world, MANY - FEW, FEW)
    with django_assert_num_queries(len(few_queries)):
        many = shown(client.get(url))

    assert many >= few + (MANY - FEW), f"{url} as {who}: the added rows were not shown ({few} then {many})"


# --- reminders -----------------------------------------------------------------------------------


def reminders_of(person: Person) -> list[Notification]:
    return list(Notification.objects.filter(recipient=person.user, subject__contains="deadline").order_by("pk"))


def run(day: date, django_capture_on_commit_callbacks) -> int:
    """The daily job at 07:00 on `day`, with the e-mails it queues once its transaction commits (sent at
    once where the test asks for `email_worker`)."""
    with freeze_time(at_seven(day)), django_capture_on_commit_callbacks(execute=True):
        return cycle_reminders_send()


def told_on(world, day, django_capture_on_commit_callbacks) -> dict[str, list[str]]:
    """Who was told what by the run on `day`: {name: [subject, body]}."""
    before = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    run(day, django_capture_on_commit_callbacks)
    return {
        n.recipient.person.full_name: [n.subject, n.body]
        for n in Notification.objects.filter(pk__gt=before).select_related("recipient__person")
    }


def test_a_month_of_reminders_follows_one_audit_from_allocation_to_the_childs_record(
    world, django_capture_on_commit_callbacks
):
    """Day by day from 20 Nov to 10 Dec: the job runs at 07:00; people act at noon on some days."""
    with freeze_time("2026-11-03 10:00:00"):
        audit = services.audit_create(
            actor=world.qa_lead.user,
            case_reference="C-5001",
            service_area=world.own_area,
            auditor=world.manager,
            case_holder=world.worker,
            tool_version=world.version,
            due_on=NOVEMBER.audit_due,
        )
    actions = {
        date(2026, 11, 30): lambda: submit(world, audit),  # two days late
        date(2026, 12, 5): lambda: services.audit_confirm_oversight(
            actor=world.lead.user, audit=audit, comment="Read and agreed."
        ),
        date(2026, 12, 8): lambda: services.audit_mark_on_record(actor=world.lead.user, audit=audit),
    }
    told = {}
    day = date(2026, 11, 20)
    while day <= date(2026, 12, 10):
        told[day] = told_on(world, day, django_capture_on_commit_callbacks)
        if day in actions:
            with freeze_time(datetime(day.year, day.month, day.day, 12, tzinfo=LONDON)):
                actions[day]()
        day += timedelta(days=1)

    subject = "Audit deadline {}: case C-5001"
    expected = {
        date(2026, 11, 25): {
            "Mona Manager": [
                subject.format("coming up"),
                "- Case C-5001 (SWF): the audit is due in 3 days, on 28 Nov 2026",
            ]
        },
        date(2026, 11, 28): {
            "Mona Manager": [subject.format("due today"), "- Case C-5001 (SWF): the audit is due today, 28 Nov 2026"]
        },
        date(2026, 11, 29): {
            name: [subject.format("overdue"), "- Case C-5001 (SWF): the audit is overdue: it was due on 28 Nov 2026"]
            for name in ("Mona Manager", "Sam Lead", "Otto Officer", "Quinn Lead")
        },
        date(2026, 12, 2): {
            "Sam Lead": [
                subject.format("coming up"),
                "- Case C-5001 (SWF): the service lead's oversight is due in 3 days, on 5 Dec 2026",
            ]
        },
        date(2026, 12, 5): {
            "Sam Lead": [
                subject.format("due today"),
                "- Case C-5001 (SWF): the service lead's oversight is due today, 5 Dec 2026",
            ]
        },
        # Oversight was recorded at noon on the 5th: the record's "3 days before" was never due in its
        # state, so the 6th brings the message of the day, not a stale one.
        date(2026, 12, 6): {
            "Sam Lead": [
                subject.format("due today"),
                "- Case C-5001 (SWF): adding the audit to the child's record is due today, 6 Dec 2026",
            ]
        },
        date(2026, 12, 7): {
            name: [
                subject.format("overdue"),
                "- Case C-5001 (SWF): adding the audit to the child's record is overdue: it was due on 6 Dec 2026",
            ]
            for name in ("Sam Lead", "Otto Officer", "Quinn Lead")
        },
    }
    assert {day: who for day, who in told.items() if who} == expected
    assert Audit.objects.get(pk=audit.pk).state == Audit.State.CLOSED
    assert set(SentReminder.objects.values_list("key", flat=True)) == {
        f"audit:{audit.pk}:due_on:2026-11-28:before",
        f"audit:{audit.pk}:due_on:2026-11-28:day",
        f"audit:{audit.pk}:due_on:2026-11-28:overdue",
        f"audit:{audit.pk}:oversight_due_on:2026-12-05:before",
        f"audit:{audit.pk}:oversight_due_on:2026-12-05:day",
        f"audit:{audit.pk}:record_due_on:2026-12-06:day",
        f"audit:{audit.pk}:record_due_on:2026-12-06:overdue",
    }


def submit(world, audit):
    audit = services.audit_save_draft(
        actor=world.manager.user,
        audit=audit,
        revision=Audit.objects.get(pk=audit.pk).revision,
        answers=services.seven_area_answers("good", "Seen in the chronology and the plan."),
        fields={"overall_grade": "good", "discussion_held": True, "discussion_on": date(2026, 11, 20)},
    )
    return services.audit_submit(actor=world.manager.user, audit=audit)


def test_the_reminders_also_go_by_e_mail_once_the_run_commits(world, django_capture_on_commit_callbacks, email_worker):
    world.audit("C-1")
    mail.outbox.clear()

    run(date(2026, 11, 25), django_capture_on_commit_callbacks)

    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([world.manager.user.email], "Audit deadline coming up: case C-1")
    ]
    assert "due in 3 days, on 28 Nov 2026" in mail.outbox[0].body


def test_running_twice_on_a_day_sends_once(world, django_capture_on_commit_callbacks, email_worker):
    world.audit("C-1")

    first = run(date(2026, 11, 25), django_capture_on_commit_callbacks)
    second = run(date(2026, 11, 25), django_capture_on_commit_callbacks)
    later_that_week = run(date(2026, 11, 27), django_capture_on_commit_callbacks)

    assert (first, second, later_that_week) == (1, 0, 0)
    assert len(reminders_of(world.manager)) == 1
    assert len(mail.outbox) == 1


def test_a_missed_reminder_day_is_caught_up_with_the_message_of_the_day_it_runs(
    world, django_capture_on_commit_callbacks
):
    world.audit("C-1")  # due 28 Nov; the job was down from the 24th

    run(date(2026, 11, 26), django_capture_on_commit_callbacks)
    run(date(2026, 12, 1), django_capture_on_commit_callbacks)

    assert [n.body for n in reminders_of(world.manager)] == [
        "- Case C-1 (SWF): the audit is due in 2 days, on 28 Nov 2026",
        "- Case C-1 (SWF): the audit is overdue: it was due on 28 Nov 2026",
    ]


def test_a_first_run_after_the_deadline_sends_only_the_overdue_notice(world, django_capture_on_commit_callbacks):
    audit = world.audit("C-1")

    run(date(2026, 11, 30), django_capture_on_commit_callbacks)

    assert [n.subject for n in reminders_of(world.manager)] == ["Audit deadline overdue: case C-1"]
    assert list(SentReminder.objects.values_list("key", flat=True)) == [f"audit:{audit.pk}:due_on:2026-11-28:overdue"]


def test_a_moved_due_date_gets_new_reminders(world, django_capture_on_commit_callbacks):
    audit = world.audit("C-1")
    run(date(2026, 11, 25), django_capture_on_commit_callbacks)

    Audit.objects.filter(pk=audit.pk).update(due_on=date(2026, 12, 4))  # QA gave the auditor another week
    run(date(2026, 11, 29), django_capture_on_commit_callbacks)  # nothing: the old date no longer counts
    run(date(2026, 12, 1), django_capture_on_commit_callbacks)

    assert [n.body for n in reminders_of(world.manager)] == [
        "- Case C-1 (SWF): the audit is due in 3 days, on 28 Nov 2026",
        "- Case C-1 (SWF): the audit is due in 3 days, on 4 Dec 2026",
    ]


def test_each_person_gets_one_message_listing_all_their_items(world, django_capture_on_commit_callbacks, email_worker):
    world.audit("C-3", due_on=date(2026, 11, 28))
    world.audit("C-1", due_on=date(2026, 11, 20))
    world.audit("C-2", due_on=date(2026, 11, 25))
    world.audit("C-SUB", state=Audit.State.SUBMITTED, due_on=date(2026, 10, 28))  # oversight due 5 Nov
    mail.outbox.clear()

    run(date(2026, 11, 25), django_capture_on_commit_callbacks)

    (manager,) = reminders_of(world.manager)
    assert manager.subject == "3 audit deadlines: 1 overdue, 1 due today, 1 coming up"
    assert manager.body.splitlines() == [
        "- Case C-1 (SWF): the audit is overdue: it was due on 20 Nov 2026",
        "- Case C-2 (SWF): the audit is due today, 25 Nov 2026",
        "- Case C-3 (SWF): the audit is due in 3 days, on 28 Nov 2026",
    ]
    assert manager.url == reverse("home")
    (lead,) = reminders_of(world.lead)
    assert lead.subject == "2 audit deadlines: 2 overdue"  # the late audit, and the oversight
    assert lead.url == OVERDUE_URL
    assert not reminders_of(world.other_lead) and not reminders_of(world.hos)
    assert len(mail.outbox) == 4  # the manager, the lead, the QA officer and the QA lead: once each


def test_the_service_leads_are_reminded_of_oversight_and_records_not_of_audits_still_in_time(
    world, django_capture_on_commit_callbacks
):
    world.audit("C-DRAFT")  # due 28 Nov: the auditor's, until it is late
    world.audit("C-SUB", state=Audit.State.SUBMITTED, due_on=date(2026, 10, 28))  # oversight due 5 Nov
    world.audit("P-SUB", area=world.other_area, state=Audit.State.SUBMITTED, due_on=date(2026, 10, 28))

    run(date(2026, 11, 2), django_capture_on_commit_callbacks)

    assert [n.body for n in reminders_of(world.lead)] == [
        "- Case C-SUB (SWF): the service lead's oversight is due in 3 days, on 5 Nov 2026"
    ]
    assert [n.body for n in reminders_of(world.other_lead)] == [
        "- Case P-SUB (PTC): the service lead's oversight is due in 3 days, on 5 Nov 2026"
    ]
    assert not reminders_of(world.qa_officer)  # nothing overdue yet


def test_a_disputed_audit_gets_no_oversight_reminder(world, django_capture_on_commit_callbacks):
    world.audit("C-DISPUTED", state=Audit.State.DISPUTED, due_on=date(2026, 10, 28))

    assert run(date(2026, 11, 6), django_capture_on_commit_callbacks) == 0
    assert not Notification.objects.exists()


def test_an_auditor_who_has_left_is_not_told_but_the_service_lead_is_when_late(
    world, django_capture_on_commit_callbacks
):
    world.audit("C-1")
    world.manager.user.is_active = False
    world.manager.user.save()

    run(date(2026, 11, 25), django_capture_on_commit_callbacks)
    run(date(2026, 11, 29), django_capture_on_commit_callbacks)

    assert not reminders_of(world.manager)
    assert [n.subject for n in reminders_of(world.lead)] == ["Audit deadline overdue: case C-1"]


def test_a_run_that_fails_half_way_leaves_nothing_and_the_next_run_sends_it_all(
    world, monkeypatch, django_capture_on_commit_callbacks, email_worker
):
    world.audit("C-1", due_on=date(2026, 11, 20))  # overdue: the manager, the lead and the QA unit
    real_notify, calls = deadlines.notify, []

    def notify_then_fail(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise ConnectionError("the database went away")
        return real_notify(**kwargs)

    monkeypatch.setattr(deadlines, "notify", notify_then_fail)
    with pytest.raises(ConnectionError):
        run(date(2026, 11, 25), django_capture_on_commit_callbacks)

    assert not SentReminder.objects.exists()
    assert not Notification.objects.filter(subject__contains="deadline").exists()
    assert mail.outbox == []

    monkeypatch.setattr(deadlines, "notify", real_notify)
    assert run(date(2026, 11, 25), django_capture_on_commit_callbacks) == 1
    assert Notification.objects.filter(subject__contains="deadline").count() == 4
    assert len(mail.outbox) == 4


def test_the_reminder_queries_grow_with_the_people_told_not_with_the_audits(world, django_capture_on_commit_callbacks):
    def add(n, start):
        for i in range(start, start + n):
            world.audit(f"C-B{i}", due_on=date(2026, 11, 28))  # before
            world.audit(f"C-O{i}", due_on=date(2026, 11, 20))  # overdue
            world.audit(f"C-S{i}", state=Audit.State.SUBMITTED, due_on=date(2026, 10, 25))  # oversight day
            world.audit(f"P-R{i}", area=world.other_area, state=Audit.State.OVERSEEN, due_on=date(2026, 10, 20))

    def measure(day):
        with CaptureQueriesContext(connection) as queries:
            sent = run(day, django_capture_on_commit_callbacks)
        return sent, len(queries)

    add(FEW, 0)
    few_sent, few_queries = measure(date(2026, 11, 25))
    SentReminder.objects.all().delete()
    add(MANY - FEW, FEW)
    many_sent, many_queries = measure(date(2026, 11, 25))

    assert (few_sent, many_sent) == (4 * FEW, 4 * MANY)
    assert few_queries == many_queries
