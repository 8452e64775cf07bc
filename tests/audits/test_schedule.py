"""The audit schedule: services and their messages, theme_for_month, the calendar selectors, the
demo year, calendar feed addresses, and the pages by role (PostgreSQL)."""

import logging
from datetime import date, time

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

from audits.cycle import schedule
from audits.models import CalendarSubscription, ScheduleEntry
from quality.org.models import ChangeRecord, Role
from quality.org.services import membership_end

from ..factories import ServiceAreaFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

PANEL = {
    "kind": "panel",
    "title": "Moderation panel",
    "starts_on": date(2026, 12, 17),
    "starts_at": time(15, 0),
    "ends_at": time(17, 0),
}


def changes_of(entry_pk: int) -> list[ChangeRecord]:
    return list(
        ChangeRecord.objects.filter(
            target_type=ContentType.objects.get_for_model(ScheduleEntry), target_id=entry_pk
        ).order_by("at", "pk")
    )


def entry_fields(entry: ScheduleEntry, **changes) -> dict:
    return {name: getattr(entry, name) for name in schedule._FIELDS} | changes


# -- services --------------------------------------------------------------------------------------


def test_adding_an_entry_records_who_added_it_and_what(qa_lead, own_area):
    entry = schedule.schedule_entry_create(actor=qa_lead.user, service_areas=[own_area], **PANEL)

    assert entry.created_by == qa_lead.user
    assert list(entry.service_areas.all()) == [own_area]
    (record,) = changes_of(entry.pk)
    assert record.actor == qa_lead.user and record.action == "schedule_entry.create"
    assert record.summary == "Added moderation panel 'Moderation panel', Thu 17 Dec 2026, 15:00 to 17:00"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": "  "}, "title", schedule.TITLE_REQUIRED),
        ({"kind": "party"}, "kind", schedule.KIND_INVALID),
        ({"starts_on": None}, "starts_on", schedule.STARTS_ON_REQUIRED),
        (
            {"starts_at": None, "ends_at": None, "ends_on": date(2026, 12, 16)},
            "ends_on",
            schedule.ENDS_BEFORE_STARTS,
        ),
        ({"starts_at": None}, "starts_at", schedule.END_TIME_WITHOUT_START),
        ({"ends_at": time(14, 0)}, "ends_at", schedule.END_TIME_BEFORE_START),
        ({"ends_at": time(15, 0)}, "ends_at", schedule.END_TIME_BEFORE_START),
        ({"ends_on": date(2026, 12, 18)}, "ends_on", schedule.TIMES_ON_ONE_DAY),
        ({"legal_statuses": ["cp", "adopted"]}, "legal_statuses", schedule.LEGAL_STATUS_INVALID),
        ({"audit_kind": "weekly"}, "audit_kind", schedule.AUDIT_KIND_INVALID),
        ({"kind": "theme", "audit_kind": ""}, "audit_kind", schedule.THEME_NEEDS_AUDIT_KIND),
    ],
)
def test_an_entry_that_breaks_a_rule_is_refused_with_the_message_on_its_field(qa_lead, changes, field, message):
    with pytest.raises(ValidationError) as refused:
        schedule.schedule_entry_create(actor=qa_lead.user, **(PANEL | changes))

    assert refused.value.message_dict == {field: [message]}
    assert not ScheduleEntry.objects.exists() and not ChangeRecord.objects.exists()


def test_every_broken_rule_is_reported_at_once(qa_lead):
    with pytest.raises(ValidationError) as refused:
        schedule.schedule_entry_create(
            actor=qa_lead.user, kind="theme", title="", starts_on=date(2027, 1, 1), legal_statuses=["nope"]
        )
    assert set(refused.value.message_dict) == {"title", "legal_statuses", "audit_kind"}


def test_a_last_day_equal_to_the_first_is_stored_as_a_single_day(qa_lead):
    entry = schedule.schedule_entry_create(actor=qa_lead.user, **(PANEL | {"ends_on": PANEL["starts_on"]}))
    assert entry.ends_on is None


def test_a_theme_keeps_the_legal_statuses_allocation_prefers(qa_lead):
    entry = schedule.schedule_entry_create(
        actor=qa_lead.user,
        kind="theme",
        title="Neglect audits",
        starts_on=date(2027, 2, 1),
        ends_on=date(2027, 2, 28),
        audit_kind="monthly",
        legal_statuses=["cin", "cp", "cin"],
    )
    entry.refresh_from_db()
    assert entry.legal_statuses == ["cin", "cp"]
    assert schedule.legal_status_labels(entry) == ["Child in need", "Child protection"]


def test_changing_an_entry_records_each_change_from_what_to_what(qa_lead, own_area, other_area):
    entry = schedule.schedule_entry_create(actor=qa_lead.user, service_areas=[own_area], **PANEL)

    schedule.schedule_entry_update(
        actor=qa_lead.user,
        entry=entry,
        service_areas=[own_area, other_area],
        **entry_fields(entry, starts_on=date(2026, 12, 10), ends_at=time(17, 30)),
    )

    entry.refresh_from_db()
    assert (entry.starts_on, entry.ends_at) == (date(2026, 12, 10), time(17, 30))
    assert {area.code for area in entry.service_areas.all()} == {"SWF", "PTC"}
    record = changes_of(entry.pk)[-1]
    assert record.action == "schedule_entry.update" and record.actor == qa_lead.user
    assert record.summary == (
        "when changed from 'Thu 17 Dec 2026, 15:00 to 17:00' to 'Thu 10 Dec 2026, 15:00 to 17:30'; "
        "service areas changed from 'SWF' to 'PTC, SWF'"
    )


def test_saving_an_entry_unchanged_records_nothing(qa_lead):
    entry = schedule.schedule_entry_create(actor=qa_lead.user, **PANEL)
    schedule.schedule_entry_update(actor=qa_lead.user, entry=entry, **entry_fields(entry))
    assert len(changes_of(entry.pk)) == 1


def test_a_refused_change_leaves_the_entry_as_it_was(qa_lead):
    entry = schedule.schedule_entry_create(actor=qa_lead.user, **PANEL)
    with pytest.raises(ValidationError):
        schedule.schedule_entry_update(actor=qa_lead.user, entry=entry, **entry_fields(entry, ends_at=time(9, 0)))
    entry.refresh_from_db()
    assert entry.ends_at == time(17, 0) and len(changes_of(entry.pk)) == 1


def test_removing_an_entry_keeps_a_record_of_what_it_was_and_why(qa_lead):
    entry = schedule.schedule_entry_create(actor=qa_lead.user, **PANEL)
    pk = entry.pk

    schedule.schedule_entry_delete(actor=qa_lead.user, entry=entry, reason="Moved to January")

    assert not ScheduleEntry.objects.filter(pk=pk).exists()
    record = changes_of(pk)[-1]
    assert record.action == "schedule_entry.delete" and record.reason == "Moved to January"
    assert "Moderation panel" in record.summary and "17 Dec 2026" in record.summary


# -- theme_for_month ----------------------------------------------------------------------------------


def theme(title, starts_on, ends_on=None):
    return schedule.schedule_entry_create(
        actor=None, kind="theme", title=title, starts_on=starts_on, ends_on=ends_on, audit_kind="monthly"
    )


def test_theme_for_month_is_the_theme_that_starts_in_the_month():
    theme("January theme", date(2027, 1, 1), date(2027, 1, 31))
    february = theme("Neglect audits", date(2027, 2, 1), date(2027, 2, 28))
    schedule.schedule_entry_create(actor=None, **(PANEL | {"starts_on": date(2027, 2, 1)}))

    assert schedule.theme_for_month(date(2027, 2, 1)) == february
    assert schedule.theme_for_month(date(2027, 2, 20)) == february


def test_theme_for_month_takes_the_first_by_date_when_there_are_several():
    theme("Second", date(2027, 3, 15))
    first = theme("First", date(2027, 3, 2))
    assert schedule.theme_for_month(date(2027, 3, 1)) == first


def test_theme_for_month_ignores_a_theme_started_the_month_before_and_other_kinds():
    theme("Runs on", date(2027, 3, 20), date(2027, 4, 20))
    schedule.schedule_entry_create(
        actor=None, kind="thematic", title="Supervision audits", starts_on=date(2027, 4, 1), audit_kind="qa_thematic"
    )
    assert schedule.theme_for_month(date(2027, 4, 1)) is None


# -- the calendar selectors ------------------------------------------------------------------------


def test_the_year_lists_each_month_by_kind_and_an_entry_over_two_months_in_both(practice_manager):
    theme("Neglect audits", date(2027, 2, 1), date(2027, 2, 28))
    week = schedule.schedule_entry_create(
        actor=None, kind="practice_week", title="Practice week", starts_on=date(2027, 3, 29), ends_on=date(2027, 4, 2)
    )
    schedule.schedule_entry_create(actor=None, **(PANEL | {"starts_on": date(2027, 2, 18)}))
    schedule.schedule_entry_create(actor=None, kind="report", title="Old report", starts_on=date(2026, 12, 9))

    months = schedule.year_calendar(practice_manager.user, 2027)

    assert [block.month for block in months] == [date(2027, n, 1) for n in range(1, 13)]
    february = months[1]
    assert [(kind, [e.title for e in entries]) for kind, _, entries in february.groups] == [
        ("theme", ["Neglect audits"]),
        ("panel", ["Moderation panel"]),
    ]
    assert [entries for _, _, entries in months[2].groups] == [[week]]
    assert [entries for _, _, entries in months[3].groups] == [[week]]
    assert months[0].count == 0


def test_the_year_can_show_one_kind(practice_manager):
    theme("Neglect audits", date(2027, 2, 1), date(2027, 2, 28))
    schedule.schedule_entry_create(actor=None, **(PANEL | {"starts_on": date(2027, 2, 18)}))
    months = schedule.year_calendar(practice_manager.user, 2027, kind="panel")
    assert [kind for kind, _, _ in months[1].groups] == ["panel"]


def test_the_month_lists_every_day_with_its_entries_and_the_cycle_deadlines(practice_manager):
    panel = schedule.schedule_entry_create(actor=None, **PANEL)
    week = schedule.schedule_entry_create(
        actor=None, kind="practice_week", title="Practice week", starts_on=date(2026, 11, 30), ends_on=date(2026, 12, 4)
    )

    december = schedule.month_calendar(practice_manager.user, date(2026, 12, 5))

    assert december.month == date(2026, 12, 1)
    assert [day.day for day in december.days] == [date(2026, 12, n) for n in range(1, 32)]
    assert december.running == [week]
    days = {day.day.day: day for day in december.days}
    assert days[17].entries == [panel]
    assert days[3].deadlines == ["Allocation list goes out"]
    assert days[5].deadlines == ["Service leads' oversight of last month's audits due"]
    assert days[6].deadlines == ["Last month's audits due on the child's record"]
    assert days[28].deadlines == ["This month's audits due"]
    assert days[5].is_weekend and not days[17].is_weekend


def test_a_person_with_no_role_sees_no_entries(make_person):
    schedule.schedule_entry_create(actor=None, **PANEL)
    nobody = make_person(Role.PRACTITIONER, ServiceAreaFactory())
    membership_end(actor=None, membership=nobody.memberships.get(), reason="Left the council")
    assert schedule.year_calendar(nobody.user, 2026)[11].count == 0


# -- the demo year ---------------------------------------------------------------------------------


def test_the_demo_year_has_the_shape_of_the_2023_schedule_and_loads_once(qa_lead, make_person):
    ptc = ServiceAreaFactory(code="PTC", name="Pathways Through Care")

    added = schedule.demo_schedule(2023, actor=qa_lead.user)
    again = schedule.demo_schedule(2023, actor=qa_lead.user)

    assert added == len(schedule.demo_entries(2023)) == ScheduleEntry.objects.count()
    assert again == 0
    panels = ScheduleEntry.objects.filter(kind="panel").order_by("starts_on")
    assert [p.starts_on.day for p in panels] == [19, 16, 16, 20, 18, 15, 20, 17, 21, 19, 16, 21]  # as in the seeds
    assert {(p.starts_at, p.ends_at) for p in panels} == {(time(15), time(17))}
    for month in range(1, 13):
        month_theme = schedule.theme_for_month(date(2023, month, 1))
        assert month_theme is not None and month_theme.audit_kind == "monthly"
    assert schedule.theme_for_month(date(2023, 2, 1)).title == "Neglect audits"
    assert schedule.theme_for_month(date(2023, 11, 1)).prefers_disability
    care_leavers = ScheduleEntry.objects.get(title__startswith="Care leavers audits")
    assert list(care_leavers.service_areas.all()) == [ptc]
    reports = ScheduleEntry.objects.filter(kind="report", title__startswith="Quarterly")
    assert sorted(r.starts_on for r in reports) == [date(2023, m, 6) for m in (1, 4, 7, 10)]
    assert ScheduleEntry.objects.filter(kind="report", title__startswith="Monthly", starts_on__day=9).count() == 12


def test_the_demo_year_adds_only_what_is_missing(qa_lead):
    schedule.demo_schedule(2027)
    ScheduleEntry.objects.filter(kind="panel", starts_on__month=5).delete()
    assert schedule.demo_schedule(2027) == 1


# -- calendar feed addresses -----------------------------------------------------------------------


def feed(client, token):
    return client.get(reverse("schedule:feed", args=[token]))


def test_asking_twice_for_an_address_gives_the_same_one(practice_manager):
    first = schedule.calendar_subscription_create(person=practice_manager)
    second = schedule.calendar_subscription_create(person=practice_manager)
    assert first.pk == second.pk and first.token == second.token
    assert len(first.token) >= 43  # 32 random bytes, URL-safe


def test_a_replaced_address_stops_working_and_the_new_one_works(client, practice_manager):
    schedule.schedule_entry_create(actor=None, **PANEL)
    old = schedule.calendar_subscription_create(person=practice_manager).token

    new = schedule.calendar_subscription_replace(person=practice_manager).token

    assert new != old
    assert feed(client, old).status_code == 404
    response = feed(client, new)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "SUMMARY:Moderation panel" in response.content.decode()
    assert CalendarSubscription.objects.get(person=practice_manager).token == new


def test_the_change_records_of_an_address_never_hold_its_token(practice_manager):
    token = schedule.calendar_subscription_create(person=practice_manager).token
    replaced = schedule.calendar_subscription_replace(person=practice_manager).token
    records = ChangeRecord.objects.filter(action__startswith="calendar_subscription.")
    assert records.count() == 2
    assert not any(token in r.summary or replaced in r.summary for r in records)


def test_the_feed_needs_no_session(client, practice_manager):
    token = schedule.calendar_subscription_create(person=practice_manager).token
    response = feed(client, token)
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert response.content.startswith(b"BEGIN:VCALENDAR\r\n")


def test_the_feed_of_a_person_no_longer_active_is_not_found(client, practice_manager):
    token = schedule.calendar_subscription_create(person=practice_manager).token
    practice_manager.user.is_active = False
    practice_manager.user.save()
    assert feed(client, token).status_code == 404


def test_the_feed_of_a_person_whose_roles_ended_is_not_found(client, practice_manager):
    token = schedule.calendar_subscription_create(person=practice_manager).token
    membership_end(actor=None, membership=practice_manager.memberships.get(), reason="Left the council")
    assert feed(client, token).status_code == 404


def test_a_partner_auditor_has_no_feed(client, make_person):
    partner = make_person(Role.PARTNER_AUDITOR, full_name="Pat Partner")
    token = schedule.calendar_subscription_create(person=partner).token
    assert feed(client, token).status_code == 404


def test_an_unknown_or_overlong_token_is_not_found(client, practice_manager):
    schedule.calendar_subscription_create(person=practice_manager)
    assert feed(client, "x" * 43).status_code == 404
    assert feed(client, "x" * 200).status_code == 404


def test_the_feed_token_never_reaches_the_logs(client, practice_manager, caplog):
    token = schedule.calendar_subscription_create(person=practice_manager).token
    with caplog.at_level(logging.DEBUG):
        assert feed(client, "unknown-" + token[:20]).status_code == 404
        assert client.post(reverse("schedule:feed", args=[token])).status_code == 405
        assert feed(client, token).status_code == 200
    assert token[:20] not in caplog.text
    assert "/schedule/feed/" not in caplog.text


# -- pages -------------------------------------------------------------------------------------------


def test_a_practice_manager_reads_the_year_and_the_month_but_cannot_change_them(client, practice_manager):
    entry = schedule.schedule_entry_create(actor=None, **PANEL)
    client.force_login(practice_manager.user)

    year = client.get(reverse("schedule:year", args=[2026]))
    month = client.get(reverse("schedule:month", args=[2026, 12]))

    assert year.status_code == month.status_code == 200
    for page in (year, month):
        assert entry.title in page.content.decode()
        assert reverse("schedule:entry_create") not in page.content.decode()
    assert client.get(reverse("schedule:entry_edit", args=[entry.pk])).status_code == 403
    assert client.post(reverse("schedule:entry_delete", args=[entry.pk])).status_code == 403
    assert ScheduleEntry.objects.filter(pk=entry.pk).exists()


def test_the_calendar_page_shows_this_year(client, practice_manager):
    with freeze_time("2027-03-23 10:00"):  # another year than the suite's today
        client.force_login(practice_manager.user)
        response = client.get(reverse("schedule:calendar"))
    assert response.context["year"] == 2027
    assert "Audit schedule 2027" in response.content.decode()


def test_the_year_filter_shows_one_kind(client, practice_manager):
    theme("Neglect audits", date(2026, 2, 1), date(2026, 2, 28))
    schedule.schedule_entry_create(actor=None, **PANEL)
    client.force_login(practice_manager.user)

    response = client.get(reverse("schedule:year", args=[2026]), {"kind": "panel"})

    content = response.content.decode()
    assert "Moderation panel" in content and "Neglect audits" not in content
    assert f"{reverse('schedule:year', args=[2027])}?kind=panel" in content


def test_a_year_or_month_out_of_range_is_not_found(client, practice_manager):
    client.force_login(practice_manager.user)
    assert client.get(reverse("schedule:year", args=[1999])).status_code == 404
    assert client.get(reverse("schedule:year", args=[0])).status_code == 404
    assert client.get(reverse("schedule:month", args=[2026, 13])).status_code == 404


def test_the_schedule_pages_take_no_post(client, practice_manager):
    client.force_login(practice_manager.user)
    assert client.post(reverse("schedule:year", args=[2026])).status_code == 405
    assert client.post(reverse("schedule:subscribe")).status_code == 405


def test_a_partner_auditor_cannot_read_the_schedule(client, make_person):
    client.force_login(make_person(Role.PARTNER_AUDITOR).user)
    assert client.get(reverse("schedule:calendar")).status_code == 403
    assert client.get(reverse("schedule:download")).status_code == 403


def test_the_qa_lead_adds_a_panel_and_is_shown_its_month(client, qa_lead, own_area):
    client.force_login(qa_lead.user)
    form = client.get(reverse("schedule:entry_create"), {"date": "2026-12-17", "kind": "panel"})
    assert form.context["form"].initial == {"starts_on": date(2026, 12, 17), "kind": "panel"}

    response = client.post(
        reverse("schedule:entry_create"),
        {
            "kind": "panel",
            "title": "Moderation panel",
            "starts_on": "2026-12-17",
            "starts_at": "15:00",
            "ends_at": "17:00",
            "service_areas": [own_area.pk],
        },
    )

    entry = ScheduleEntry.objects.get()
    assert response.status_code == 302 and response.url == reverse("schedule:month", args=[2026, 12])
    assert entry.created_by == qa_lead.user and entry.starts_at == time(15)
    assert list(entry.service_areas.all()) == [own_area]


def test_a_refused_entry_shows_the_message_next_to_its_field(client, qa_lead):
    client.force_login(qa_lead.user)
    response = client.post(
        reverse("schedule:entry_create"),
        {"kind": "panel", "title": "Panel", "starts_on": "2026-12-17", "starts_at": "15:00", "ends_at": "14:00"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"ends_at": [schedule.END_TIME_BEFORE_START]}
    assert schedule.END_TIME_BEFORE_START in response.content.decode()
    assert not ScheduleEntry.objects.exists()


def test_the_qa_lead_changes_an_entry_and_sees_its_history(client, qa_lead):
    entry = schedule.schedule_entry_create(actor=qa_lead.user, **PANEL)
    client.force_login(qa_lead.user)
    form = client.get(reverse("schedule:entry_edit", args=[entry.pk]))
    assert form.context["form"].initial["title"] == "Moderation panel"

    data = {"kind": "panel", "title": "Moderation panel (moved)", "starts_on": "2026-12-10"}
    response = client.post(reverse("schedule:entry_edit", args=[entry.pk]), data | {"starts_at": "15:00"})

    assert response.status_code == 302 and response.url == reverse("schedule:entry_detail", args=[entry.pk])
    detail = client.get(response.url).content.decode()
    assert "Moderation panel (moved)" in detail
    assert "title changed from &#x27;Moderation panel&#x27; to &#x27;Moderation panel (moved)&#x27;" in detail


def test_removing_asks_first_and_happens_only_on_post(client, qa_lead):
    entry = schedule.schedule_entry_create(actor=qa_lead.user, **PANEL)
    client.force_login(qa_lead.user)

    confirm = client.get(reverse("schedule:entry_delete", args=[entry.pk]))
    assert confirm.status_code == 200 and "Remove Moderation panel from the schedule?" in confirm.content.decode()
    assert ScheduleEntry.objects.filter(pk=entry.pk).exists()

    response = client.post(reverse("schedule:entry_delete", args=[entry.pk]), {"reason": "Cancelled"})
    assert response.status_code == 302 and response.url == reverse("schedule:month", args=[2026, 12])
    assert not ScheduleEntry.objects.filter(pk=entry.pk).exists()
    assert changes_of(entry.pk)[-1].reason == "Cancelled"


def test_an_entry_that_does_not_exist_is_not_found(client, qa_lead):
    client.force_login(qa_lead.user)
    assert client.get(reverse("schedule:entry_detail", args=[999999])).status_code == 404


def test_the_subscribe_page_makes_and_replaces_the_address(client, practice_manager, settings):
    settings.PORTAL_URL = "https://quality.council.example"
    client.force_login(practice_manager.user)
    assert client.get(reverse("schedule:subscribe")).context["subscription"] is None

    client.post(reverse("schedule:subscription_create"))
    first = CalendarSubscription.objects.get(person=practice_manager).token
    page = client.get(reverse("schedule:subscribe"))
    assert page.context["feed_url"] == f"https://quality.council.example/schedule/feed/{first}.ics"
    assert page.context["feed_url"] in page.content.decode()

    client.post(reverse("schedule:subscription_replace"))
    second = CalendarSubscription.objects.get(person=practice_manager).token
    assert second != first
    assert first not in client.get(reverse("schedule:subscribe")).content.decode()


def test_a_signed_in_person_downloads_the_schedule_as_a_calendar_file(client, practice_manager):
    schedule.schedule_entry_create(actor=None, **PANEL)
    client.force_login(practice_manager.user)
    response = client.get(reverse("schedule:download"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="audit-schedule.ics"'
    assert b"DTSTART;TZID=Europe/London:20261217T150000" in response.content


# -- a fixed number of queries ---------------------------------------------------------------------


def fill_year(n: int) -> None:
    areas = [ServiceAreaFactory() for _ in range(2)]
    for i in range(n):
        entry = schedule.schedule_entry_create(
            actor=None,
            kind=["panel", "report", "survey", "theme"][i % 4],
            title=f"Entry {i}",
            starts_on=date(2026, i % 12 + 1, i % 27 + 1),
            audit_kind="monthly",
        )
        entry.service_areas.set(areas)


def queries_for(client, url) -> int:
    client.get(url)  # once first, so caches filled on first use count the same way each time
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url_name", ["schedule:year", "schedule:month"])
def test_the_calendar_pages_run_the_same_few_queries_however_many_entries(client, practice_manager, url_name):
    client.force_login(practice_manager.user)
    url = reverse(url_name, args=[2026] if url_name == "schedule:year" else [2026, 3])
    fill_year(4)
    few = queries_for(client, url)
    fill_year(60)
    many = queries_for(client, url)
    assert few == many <= 10


def test_the_year_page_runs_a_fixed_number_of_queries(client, practice_manager, django_assert_num_queries):
    client.force_login(practice_manager.user)
    fill_year(40)
    url = reverse("schedule:year", args=[2026])
    client.get(url)
    # session, user, otp device, roles, entries, their areas, the person signed in (page header), session update (3)
    with django_assert_num_queries(10):
        client.get(url)
