"""The overdue lists, the home page and the audit lists at scale (issue 15, part 3): each page shows a
bounded number of rows, with exact counts and a way to the rest.

- The overdue lists: 25 rows a page each, paged on their own, counted exactly (by index-only counts per
  area), the CSV holding every row.
- The home page: each list of the panel cut at HOME_ROWS rows, with its whole count and a "see all" link.
- The audit lists write their cells in a template: the same cells as the table's columns render.
"""

import csv
import io
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import conditional_escape

from audits.cycle.deadlines import overdue_counts
from audits.cycle.overdue_views import PER_PAGE
from audits.models import Audit
from audits.selectors import HOME_ROWS
from quality.org.models import Role
from tests.factories import AuditFactory, person_with_role, published_tool_version

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

TODAY = date(2026, 11, 16)  # tests/clock.py SUITE_NOW
OVERDUE_URL = reverse("escalations:overdue_list")
EXPORT_URL = reverse("escalations:overdue_export_csv")


@pytest.fixture
def worker(own_area):
    return person_with_role(Role.PRACTITIONER, own_area, full_name="Wendy Worker")


def late_drafts(n: int, *, tool_version, auditor, team=None, start: int = 0) -> list[str]:
    """n drafts overdue, each a day later than the one before from 1 Oct (so the longest overdue first is
    the order made); their references, in that order."""
    references = []
    for i in range(start, start + n):
        audit = AuditFactory(
            draft=True,
            tool_version=tool_version,
            auditor=auditor,
            team=team,
            case_reference=f"L-{i:03}",
            due_on=date(2026, 10, 1) + timedelta(days=i),
        )
        references.append(audit.case_reference)
    return references


def section(response, deadline: str) -> dict:
    return next(s for s in response.context["sections"] if s["deadline"] == deadline)


def refs(response, deadline: str) -> list[str]:
    return [audit.case_reference for audit in section(response, deadline)["rows"]]


def nav_of(html: str, label: str) -> str:
    start = html.index(f'<nav aria-label="{label}">')
    return html[start : html.index("</nav>", start)]


# --- the overdue lists ------------------------------------------------------------------------------


def test_each_overdue_list_shows_10_rows_a_page_and_pages_on_its_own(client, qa_officer, tool_version, worker):
    drafts = late_drafts(30, tool_version=tool_version, auditor=worker)
    submitted = [
        AuditFactory(
            submitted=True, tool_version=tool_version, auditor=worker, oversight_due_on=date(2026, 11, 5)
        ).case_reference
        for _ in range(3)
    ]
    client.force_login(qa_officer.user)

    first = client.get(OVERDUE_URL)
    html = first.content.decode()

    assert PER_PAGE == 10
    assert refs(first, "completion") == drafts[:10]
    assert sorted(refs(first, "oversight")) == sorted(submitted)
    assert [section(first, d)["count"] for d in ("completion", "oversight", "record")] == [30, 3, 0]
    assert "Audits not completed (30)" in html and "Oversight not recorded (3)" in html
    assert "Page 1 of 3, 10 a page; the CSV holds every row." in html
    pages = nav_of(html, "Audits not completed: pages")
    assert 'href="?completion-page=2"' in pages and "next" in pages and "previous" not in pages
    assert "Oversight not recorded: pages" not in html  # one page: no navigation

    # The last page of one list; the others stay on their first.
    last = client.get(OVERDUE_URL, {"completion-page": "3"})
    assert refs(last, "completion") == drafts[20:]
    assert sorted(refs(last, "oversight")) == sorted(submitted)
    pages = nav_of(last.content.decode(), "Audits not completed: pages")
    assert 'href="?completion-page=2"' in pages and "previous" in pages and "next" not in pages
    # Past the end: the last page.
    assert refs(client.get(OVERDUE_URL, {"completion-page": "9"}), "completion") == drafts[20:]


def test_a_page_link_keeps_the_filter_and_the_other_lists_pages(client, qa_officer, tool_version, worker, own_area):
    late_drafts(30, tool_version=tool_version, auditor=worker)
    client.force_login(qa_officer.user)

    response = client.get(OVERDUE_URL, {"service_area": own_area.pk, "record-page": "1"})

    pages = nav_of(response.content.decode(), "Audits not completed: pages")
    assert f'href="?service_area={own_area.pk}&amp;record-page=1&amp;completion-page=2"' in pages
    # The export reads the filter, never a list's page.
    assert response.context["csv_url"] == f"{EXPORT_URL}?service_area={own_area.pk}"


def test_the_lists_count_exactly_per_area_and_the_csv_holds_every_row(
    client, qa_officer, tool_version, worker, own_area, other_area
):
    own = late_drafts(27, tool_version=tool_version, auditor=worker)
    other_worker = person_with_role(Role.PRACTITIONER, other_area)
    other_version = published_tool_version(area=other_area)
    other = late_drafts(4, tool_version=other_version, auditor=other_worker, start=27)  # due 28 to 31 Oct
    client.force_login(qa_officer.user)

    response = client.get(OVERDUE_URL)
    filtered = client.get(OVERDUE_URL, {"service_area": other_area.pk})
    export = client.get(EXPORT_URL)

    assert [(row.name, row.completion, row.total) for row in response.context["counts"]] == [
        ("Pathways Through Care", 4, 4),
        ("Social Work with Families", 27, 27),
    ]
    assert response.context["total"].completion == 31
    assert section(response, "completion")["count"] == 31
    assert section(filtered, "completion")["count"] == 4 and refs(filtered, "completion") == other
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == own + other  # every row, the longest overdue first


def test_the_overdue_counts_read_the_counts_kept_not_the_audits(qa_officer, tool_version, worker):
    late_drafts(5, tool_version=tool_version, auditor=worker)
    for _ in range(5):
        AuditFactory(tool_version=tool_version, auditor=worker, record_due_on=date(2026, 11, 6))
        AuditFactory(submitted=True, tool_version=tool_version, auditor=worker, oversight_due_on=date(2026, 11, 5))
    AuditFactory.create_batch(20, tool_version=tool_version, auditor=worker, state=Audit.State.CLOSED)

    with CaptureQueriesContext(connection) as queries:
        counts = overdue_counts(qa_officer.user, today=TODAY)

    assert [(row.completion, row.oversight, row.record) for row in counts] == [(5, 5, 5)]
    # Someone who sees every area: one query, of the counts per area and day (audits/cycle/deadline_counts.py).
    [sql] = [query["sql"] for query in queries if "membership" not in query["sql"]]
    assert "audits_deadlinedaycount" in sql and "audits_audit" not in sql, sql


# --- the home page ----------------------------------------------------------------------------------


class PanelText(HTMLParser):
    """The text of the home page's panel, in one line."""

    def __init__(self):
        super().__init__()
        self.text = ""

    def handle_data(self, data):
        self.text += data


def text_of(response) -> str:
    parser = PanelText()
    parser.feed(response.content.decode())
    return " ".join(parser.text.split())


def test_the_home_page_shows_the_first_rows_of_a_long_list_and_links_to_them_all(client, tool_version, worker):
    drafts = late_drafts(HOME_ROWS + 3, tool_version=tool_version, auditor=worker)
    client.force_login(worker.user)
    client.get(reverse("home"))  # first-use caches

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))

    due = response.context["due"]
    assert HOME_ROWS == 10
    assert [audit.case_reference for audit in due["to_complete"]] == drafts[:HOME_ROWS]
    assert due["totals"]["to_complete"] == HOME_ROWS + 3
    see_all = f"{reverse('audits:audit_list_mine')}?state=draft"
    assert "10 of 13 shown. See all 13 audits to complete" in text_of(response)
    assert f'href="{see_all}"' in response.content.decode()
    # A LIMIT: no query reads more rows than the panel shows (and one to count them).
    listed = [q["sql"] for q in queries if 'FROM "audits_audit"' in q["sql"] and "COUNT(" not in q["sql"]]
    assert listed and all(f"LIMIT {HOME_ROWS}" in sql for sql in listed), listed
    # The list it links to holds them all.
    assert client.get(see_all).context["table"].paginator.count == HOME_ROWS + 3


def test_a_short_list_has_no_see_all_link(client, tool_version, worker):
    late_drafts(3, tool_version=tool_version, auditor=worker)
    client.force_login(worker.user)

    response = client.get(reverse("home"))

    assert response.context["due"]["totals"]["to_complete"] == 3
    assert len(response.context["due"]["to_complete"]) == 3
    assert "See all" not in text_of(response)


def test_a_service_lead_and_the_qa_lead_see_their_lists_cut_with_links(
    client, tool_version, worker, service_lead, qa_lead, own_area
):
    for _ in range(HOME_ROWS + 2):
        AuditFactory(submitted=True, tool_version=tool_version, auditor=worker, oversight_due_on=date(2026, 12, 5))
        AuditFactory(state=Audit.State.DISPUTED, tool_version=tool_version, auditor=worker)

    client.force_login(service_lead.user)
    lead_page = client.get(reverse("home"))
    client.force_login(qa_lead.user)
    qa_page = client.get(reverse("home"))

    assert len(lead_page.context["due"]["to_oversee"]) == HOME_ROWS
    assert "10 of 12 shown. See all 12 audits awaiting your oversight" in text_of(lead_page)
    oversee_all = f"{reverse('audits:audit_list_area')}?state=submitted&amp;service_area={own_area.pk}"
    assert f'href="{oversee_all}"' in lead_page.content.decode()
    assert len(qa_page.context["due"]["disputes"]) == HOME_ROWS
    assert "10 of 12 shown. See all 12 disputed grades" in text_of(qa_page)
    assert f'href="{reverse("audits:audit_list_all")}?state=disputed"' in qa_page.content.decode()


# --- the audit lists' cells -------------------------------------------------------------------------


class Cells(HTMLParser):
    """The inner HTML of each <td> of the page's first table body, row by row."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=False)
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.html = html
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag == "td":
            self.cell = []
        elif self.cell is not None:
            self.cell.append(self.get_starttag_text())

    def handle_endtag(self, tag):
        if tag == "td":
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None
        elif self.cell is not None:
            self.cell.append(f"</{tag}>")

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)

    def handle_entityref(self, name):
        if self.cell is not None:
            self.cell.append(f"&{name};")

    def handle_charref(self, name):
        if self.cell is not None:
            self.cell.append(f"&#{name};")


def test_the_audit_lists_cells_are_the_ones_the_tables_columns_render(client, qa_lead, tool_version, worker, own_team):
    AuditFactory(tool_version=tool_version, auditor=worker, team=own_team, theme="Neglect & <drift>")
    AuditFactory(draft=True, tool_version=tool_version, auditor=worker, due_on=date(2026, 11, 28))
    AuditFactory(review=True, tool_version=tool_version, auditor=worker, state=Audit.State.CLOSED)
    AuditFactory(submitted=True, tool_version=tool_version, auditor=worker, overall_grade="inadequate")
    client.force_login(qa_lead.user)

    response = client.get(reverse("audits:audit_list_all"))

    table = response.context["table"]
    expected = [
        [conditional_escape(row.get_cell(column.name)) for column in table.columns] for row in table.page.object_list
    ]
    shown = [row for row in Cells(response.content.decode()).rows if row]
    assert len(expected) == 4
    assert shown == expected
