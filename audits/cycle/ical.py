"""The audit schedule as an iCalendar file (RFC 5545), for Outlook and other calendar programs.

Written by hand (no dependency): text values escaped (backslash, semicolon, comma, new lines),
lines ended with CRLF and folded at 75 octets without splitting a UTF-8 character, a stable UID
per entry, DTSTAMP and LAST-MODIFIED from the entry's last change. A day entry is an all-day
event (VALUE=DATE) whose DTEND is the day after its last day (DTEND is exclusive); a meeting (a
moderation panel) is timed in Europe/London, defined by the VTIMEZONE block. The feed holds the
schedule only: nothing about children.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

from django.urls import reverse

from ..models import ScheduleEntry

CRLF = "\r\n"
MAX_OCTETS = 75
TZID = "Europe/London"
PRODID = "-//Case quality portal//Audit schedule//EN"
CALENDAR_NAME = "Audit schedule"
REFRESH = "PT6H"  # ask subscribers to fetch again every six hours

# Europe/London since 1996: BST from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last
# Sunday of October (DTSTART in each block is local time before the change).
VTIMEZONE = (
    "BEGIN:VTIMEZONE",
    f"TZID:{TZID}",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0000",
    "TZOFFSETTO:+0100",
    "TZNAME:BST",
    "DTSTART:19700329T010000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0000",
    "TZNAME:GMT",
    "DTSTART:19701025T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
)


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash first, then ; and , and new lines as \\n."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line so no physical line is longer than 75 octets (RFC 5545 3.1): each
    continuation starts with one space, and a multi-byte character is never split."""
    if len(line.encode()) <= MAX_OCTETS:
        return line
    pieces, current, size, limit = [], [], 0, MAX_OCTETS
    for char in line:
        octets = len(char.encode())
        if size + octets > limit:
            pieces.append("".join(current))
            current, size, limit = [], 0, MAX_OCTETS - 1  # the leading space takes one octet
        current.append(char)
        size += octets
    pieces.append("".join(current))
    return (CRLF + " ").join(pieces)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _date(day: date) -> str:
    return day.strftime("%Y%m%d")


def _local(day: date, at: time) -> str:
    return datetime.combine(day, at).strftime("%Y%m%dT%H%M%S")


def uid_for(entry: ScheduleEntry, host: str) -> str:
    """The same for an entry for ever, so a change updates the event in Outlook instead of adding one."""
    return f"schedule-{entry.pk}@{host}"


def _description(entry: ScheduleEntry) -> str:
    lines = [entry.get_kind_display()]
    if entry.audit_kind:
        lines.append(f"Applies to: {entry.get_audit_kind_display()}")
    if entry.completed_by:
        lines.append(f"Completed by: {entry.completed_by}")
    areas = [area.code for area in entry.service_areas.all()]
    lines.append(f"Service areas: {', '.join(areas) if areas else 'every area'}")
    if entry.notes:
        lines.extend(["", entry.notes])
    return "\n".join(lines)


def event_lines(entry: ScheduleEntry, *, host: str, portal_url: str) -> list[str]:
    """The VEVENT of one entry, as unfolded content lines."""
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid_for(entry, host)}",
        f"DTSTAMP:{_utc(entry.updated_at)}",
        f"CREATED:{_utc(entry.created_at)}",
        f"LAST-MODIFIED:{_utc(entry.updated_at)}",
    ]
    if entry.starts_at is None:
        last_day = entry.ends_on or entry.starts_on
        lines += [
            f"DTSTART;VALUE=DATE:{_date(entry.starts_on)}",
            f"DTEND;VALUE=DATE:{_date(last_day + timedelta(days=1))}",  # exclusive: the day after
            "TRANSP:TRANSPARENT",  # a month's theme must not show people as busy all month
            "X-MICROSOFT-CDO-BUSYSTATUS:FREE",
        ]
    else:
        lines.append(f"DTSTART;TZID={TZID}:{_local(entry.starts_on, entry.starts_at)}")
        if entry.ends_at is not None:
            lines.append(f"DTEND;TZID={TZID}:{_local(entry.ends_on or entry.starts_on, entry.ends_at)}")
        lines.append("TRANSP:OPAQUE")
    lines += [
        f"SUMMARY:{escape_text(entry.title)}",
        f"CATEGORIES:{escape_text(entry.get_kind_display())}",
        f"DESCRIPTION:{escape_text(_description(entry))}",
        f"URL:{portal_url}{reverse('schedule:entry_detail', args=[entry.pk])}",
        "END:VEVENT",
    ]
    return lines


def calendar_text(entries: Iterable[ScheduleEntry], *, portal_url: str) -> str:
    """The whole VCALENDAR: CRLF line endings, every line folded. Give entries with their
    service areas prefetched (audits.cycle.schedule.feed_entries) so this runs no query per entry."""
    portal_url = portal_url.rstrip("/")
    host = urlsplit(portal_url).hostname or "localhost"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{CALENDAR_NAME}",
        f"X-WR-TIMEZONE:{TZID}",
        f"REFRESH-INTERVAL;VALUE=DURATION:{REFRESH}",
        f"X-PUBLISHED-TTL:{REFRESH}",
        *VTIMEZONE,
    ]
    for entry in entries:
        lines += event_lines(entry, host=host, portal_url=portal_url)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)
