"""The schedule as an iCalendar file (RFC 5545): the text is parsed back line by line.

Checked: CRLF line endings, lines folded at 75 octets (never inside a UTF-8 character), TEXT
escaping of backslash, semicolon, comma and new lines, all-day events with an exclusive DTEND,
timed panels in Europe/London with its VTIMEZONE, a stable UID per entry and a DTSTAMP.
"""

import re
from datetime import date, datetime, time

import pytest
from freezegun import freeze_time

from audits.cycle import ical, schedule
from audits.models import ScheduleEntry

PORTAL = "https://quality.council.example"
UTC_STAMP = re.compile(r"^\d{8}T\d{6}Z$")


# -- a small reader, written from the RFC, to read the feed back -------------------------------------


def physical_lines(text: str) -> list[str]:
    assert text.endswith("\r\n"), "the last line ends with CRLF too"
    assert "\n" not in text.replace("\r\n", ""), "a bare LF (or CR) is not a line ending in iCalendar"
    return text[: -len("\r\n")].split("\r\n")


def unfold(text: str) -> list[str]:
    lines: list[str] = []
    for line in physical_lines(text):
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def parse(line: str) -> tuple[str, dict[str, str], str]:
    head, value = line.split(":", 1)  # our parameter values never hold a colon
    name, *params = head.split(";")
    return name, dict(param.split("=", 1) for param in params), value


def components(text: str, kind: str) -> list[dict[str, tuple[dict[str, str], str]]]:
    """Each BEGIN:kind ... END:kind block as {property: (parameters, raw value)}."""
    found, current, depth = [], None, 0
    for line in unfold(text):
        name, params, value = parse(line)
        if name == "BEGIN" and value == kind:
            current, depth = {}, 0
        elif current is not None and name == "BEGIN":
            depth += 1
        elif current is not None and name == "END" and value == kind and depth == 0:
            found.append(current)
            current = None
        elif current is not None and name == "END":
            depth -= 1
        elif current is not None and depth == 0:
            current[name] = (params, value)
    return found


# -- escaping and folding ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("Neglect, physical abuse; and more", "Neglect\\, physical abuse\\; and more"),
        ("C:\\audits\\2023", "C:\\\\audits\\\\2023"),
        ("one\ntwo\r\nthree\rfour", "one\\ntwo\\nthree\\nfour"),
        ("a\\,b", "a\\\\\\,b"),  # a backslash before a comma: both escaped, the backslash first
    ],
)
def test_text_values_are_escaped_and_read_back_the_same(text, escaped):
    assert ical.escape_text(text) == escaped
    assert unescape(escaped) == text.replace("\r\n", "\n").replace("\r", "\n")


def test_a_line_of_75_octets_is_not_folded_and_one_of_76_is():
    assert ical.fold("X" * 75) == "X" * 75
    folded = ical.fold("X" * 76)
    assert folded == "X" * 75 + "\r\n X"


def test_folding_keeps_every_physical_line_within_75_octets_and_unfolds_to_the_same_line():
    line = "DESCRIPTION:" + "Supervision audits, completed by the QA unit; " * 12
    folded = ical.fold(line)
    pieces = folded.split("\r\n")
    assert len(pieces) > 5
    assert all(len(piece.encode()) <= 75 for piece in pieces)
    assert all(piece.startswith(" ") for piece in pieces[1:])
    assert "".join([pieces[0], *(piece[1:] for piece in pieces[1:])]) == line


def test_folding_never_splits_a_multi_byte_character():
    line = "SUMMARY:" + "Café – année " * 20  # é is 2 octets, – is 3
    pieces = ical.fold(line).split("\r\n")
    for piece in pieces:
        piece.encode().decode("utf-8")  # each physical line is valid UTF-8 on its own
        assert len(piece.encode()) <= 75
    assert "".join([pieces[0], *(piece[1:] for piece in pieces[1:])]) == line
    # 74 octets, then a 2-octet character that would end at octet 76: it moves to the next line whole.
    assert ical.fold("SUMMARY:" + "a" * 66 + "é") == "SUMMARY:" + "a" * 66 + "\r\n é"


# -- the calendar ------------------------------------------------------------------------------------


@pytest.fixture
def entries(db, own_area, other_area):
    with freeze_time("2023-01-02 09:30:00"):
        panel = schedule.schedule_entry_create(
            actor=None,
            kind="panel",
            title="Moderation panel",
            starts_on=date(2023, 1, 19),
            starts_at=time(15, 0),
            ends_at=time(17, 0),
            completed_by="Heads of service; QA unit, nominated leads",
            notes="Room 4.12\nBring: the dip sample, the grades",
        )
        week = schedule.schedule_entry_create(
            actor=None,
            kind="practice_week",
            title="Practice week",
            starts_on=date(2023, 3, 6),
            ends_on=date(2023, 3, 10),
            service_areas=[own_area, other_area],
        )
        report = schedule.schedule_entry_create(
            actor=None, kind="report", title="Monthly audit analysis report", starts_on=date(2023, 1, 9)
        )
        theme = schedule.schedule_entry_create(
            actor=None,
            kind="theme",
            title="Neglect, and its lived experience; a theme with a long title that needs folding — twice over",
            starts_on=date(2023, 2, 1),
            ends_on=date(2023, 2, 28),
            audit_kind="monthly",
            legal_statuses=["cin", "cp"],
        )
    return {"panel": panel, "week": week, "report": report, "theme": theme}


def feed_text() -> str:
    return ical.calendar_text(schedule.feed_entries(date(2023, 6, 1)), portal_url=PORTAL)


def events_by_uid(text: str) -> dict[str, dict]:
    return {event["UID"][1]: event for event in components(text, "VEVENT")}


def test_the_calendar_has_crlf_endings_and_no_physical_line_longer_than_75_octets(entries):
    text = feed_text()
    lines = physical_lines(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert all(len(line.encode()) <= 75 for line in lines)
    assert any(line.startswith(" ") for line in lines), "the long title and description were folded"
    unfolded = unfold(text)
    assert "VERSION:2.0" in unfolded and any(line.startswith("PRODID:") for line in unfolded)


def test_each_entry_is_one_event_with_a_stable_uid_on_the_portal_host(entries):
    events = events_by_uid(feed_text())
    assert set(events) == {f"schedule-{entry.pk}@quality.council.example" for entry in entries.values()}

    panel = entries["panel"]
    with freeze_time("2023-01-10 12:00:00"):
        schedule.schedule_entry_update(
            actor=None, entry=panel, **{name: getattr(panel, name) for name in schedule._FIELDS} | {"title": "Panel"}
        )
    after = events_by_uid(feed_text())
    uid = f"schedule-{panel.pk}@quality.council.example"
    assert set(after) == set(events), "a change keeps the UID, so Outlook updates the event"
    assert unescape(after[uid]["SUMMARY"][1]) == "Panel"
    assert events[uid]["DTSTAMP"][1] == "20230102T093000Z"
    assert after[uid]["DTSTAMP"][1] == "20230110T120000Z"
    assert after[uid]["LAST-MODIFIED"][1] == "20230110T120000Z"


def test_every_event_has_a_dtstamp_in_utc(entries):
    for event in components(feed_text(), "VEVENT"):
        assert UTC_STAMP.match(event["DTSTAMP"][1]), event["DTSTAMP"]


def test_a_day_entry_is_all_day_and_its_dtend_is_the_day_after(entries):
    events = events_by_uid(feed_text())
    report = events[f"schedule-{entries['report'].pk}@quality.council.example"]
    assert report["DTSTART"] == ({"VALUE": "DATE"}, "20230109")
    assert report["DTEND"] == ({"VALUE": "DATE"}, "20230110")
    assert report["TRANSP"][1] == "TRANSPARENT"


def test_an_entry_over_several_days_ends_the_day_after_its_last_day(entries):
    events = events_by_uid(feed_text())
    week = events[f"schedule-{entries['week'].pk}@quality.council.example"]
    assert week["DTSTART"] == ({"VALUE": "DATE"}, "20230306")
    assert week["DTEND"] == ({"VALUE": "DATE"}, "20230311")  # Monday 6 to Friday 10 March, inclusive
    theme = events[f"schedule-{entries['theme'].pk}@quality.council.example"]
    assert theme["DTEND"] == ({"VALUE": "DATE"}, "20230301")  # February, to its last day


def test_a_panel_is_timed_in_london_time_with_its_timezone_defined(entries):
    text = feed_text()
    panel = events_by_uid(text)[f"schedule-{entries['panel'].pk}@quality.council.example"]
    assert panel["DTSTART"] == ({"TZID": "Europe/London"}, "20230119T150000")
    assert panel["DTEND"] == ({"TZID": "Europe/London"}, "20230119T170000")
    assert panel["TRANSP"][1] == "OPAQUE"
    (zone,) = components(text, "VTIMEZONE")
    assert zone["TZID"][1] == "Europe/London"
    assert "BEGIN:DAYLIGHT" in unfold(text) and "BEGIN:STANDARD" in unfold(text)


def test_a_meeting_with_a_start_time_only_has_no_end(db):
    entry = schedule.schedule_entry_create(
        actor=None, kind="other", title="Assurance clinic", starts_on=date(2023, 5, 4), starts_at=time(10, 0)
    )
    (event,) = components(ical.calendar_text([entry], portal_url=PORTAL), "VEVENT")
    assert event["DTSTART"] == ({"TZID": "Europe/London"}, "20230504T100000")
    assert "DTEND" not in event


def test_text_comes_back_exactly_after_escaping_and_folding(entries):
    events = events_by_uid(feed_text())
    theme = events[f"schedule-{entries['theme'].pk}@quality.council.example"]
    assert unescape(theme["SUMMARY"][1]) == entries["theme"].title
    assert "\\," in theme["SUMMARY"][1] and "\\;" in theme["SUMMARY"][1]
    panel = events[f"schedule-{entries['panel'].pk}@quality.council.example"]
    description = unescape(panel["DESCRIPTION"][1])
    assert "Completed by: Heads of service; QA unit, nominated leads" in description
    assert description.endswith("Room 4.12\nBring: the dip sample, the grades")
    assert unescape(panel["CATEGORIES"][1]) == "Moderation panel"
    assert panel["URL"][1] == f"{PORTAL}/schedule/entries/{entries['panel'].pk}/"
    week = events[f"schedule-{entries['week'].pk}@quality.council.example"]
    assert "Service areas: PTC, SWF" in unescape(week["DESCRIPTION"][1])


def test_the_feed_leaves_out_entries_over_a_year_old(entries):
    old = schedule.schedule_entry_create(actor=None, kind="report", title="Annual report", starts_on=date(2021, 12, 1))
    text = ical.calendar_text(schedule.feed_entries(date(2023, 6, 1)), portal_url=PORTAL)
    assert f"schedule-{old.pk}@" not in text
    assert ScheduleEntry.objects.count() == 5


def test_the_calendar_runs_two_queries_whatever_the_number_of_entries(entries, django_assert_num_queries):
    for day in range(1, 25):
        schedule.schedule_entry_create(
            actor=None, kind="report", title=f"Report {day}", starts_on=datetime(2023, 4, day).date()
        )
    with django_assert_num_queries(2):  # the entries, and their service areas
        text = feed_text()
    assert len(components(text, "VEVENT")) == 28
