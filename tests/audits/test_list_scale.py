"""List pages that do not grow with the audits table (issue 15, part 3).

- Query counts: each list page and the home page run the same queries for 5 rows as for 50.
- Plans: each list's default query and each filter is served by an index. EXPLAIN runs with
  `SET LOCAL enable_seqscan = off`: the planner still scans the table when no index can serve a
  query, so "no Seq Scan on audits_audit" proves one does; and the default order needs no Sort.
- The paginator (quality.pagination.CappedPaginator): counted up to a cap, "more than" beyond it,
  pages beyond the cap with previous and next links, a page past the end, an empty list.
"""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audits.cycle.deadlines import Deadline, overdue_audits, overdue_counts, overdue_totals
from audits.filters import AuditFilter
from audits.models import Audit, LearningAction
from audits.selectors import ActionScope, AuditScope, actions_listed, audits_listed, due_for, voices_for
from quality import pagination
from quality.org.models import Role, ServiceAreaName
from tests.factories import AuditFactory, person_with_role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

PAST = date(2026, 11, 1)  # before the suite's today (16 Nov 2026): every deadline on it is overdue
FEW, MANY = 5, 50


@pytest.fixture
def world(own_area, other_area, own_team, tool_version, qa_officer, practice_manager, service_lead):
    worker = person_with_role(Role.PRACTITIONER, own_area, full_name="Wendy Worker")
    return {
        "area": own_area,
        "other_area": other_area,
        "team": own_team,
        "version": tool_version,
        "worker": worker,
        "qa_officer": qa_officer,
        "manager": practice_manager,
        "lead": service_lead,
    }


def add(world, n: int) -> None:
    """n rows in every list: a draft past its due day, a submitted audit past its oversight day with the
    child's views, an overseen one past its record day, and a learning action, all the worker's."""
    common = {"tool_version": world["version"], "auditor": world["worker"], "team": world["team"]}
    for _ in range(n):
        AuditFactory(draft=True, due_on=PAST, **common)
        AuditFactory(submitted=True, oversight_due_on=PAST, child_family_views="We were heard.", **common)
        overseen = AuditFactory(record_due_on=PAST, child_family_views="Better now.", **common)
        LearningAction.objects.create(
            audit=overseen, description="Update the plan.", owner=world["worker"], due_on=PAST + timedelta(days=30)
        )


def rows_shown(response) -> int:
    context = response.context
    if "table" in context:
        return len(context["table"].page.object_list)
    if "sections" in context:
        return sum(len(section["rows"]) for section in context["sections"])
    due = context["due"]
    lists = [due.get(key, []) for key in ("to_complete", "to_oversee", "to_close", "actions")]
    return sum(len(items) for items in lists) + (due["overdue"].total if "overdue" in due else 0)


PAGES = [
    ("worker", "audits:audit_list_mine"),
    ("manager", "audits:audit_list_area"),
    ("qa_officer", "audits:audit_list_all"),
    ("qa_officer", "audits:voices_list"),
    ("worker", "audits:action_list_mine"),
    ("manager", "audits:action_list_area"),
    ("qa_officer", "escalations:overdue_list"),
    ("lead", "escalations:overdue_list"),
    ("worker", "home"),
    ("lead", "home"),
    ("qa_officer", "home"),
]


@pytest.mark.parametrize(("who", "url_name"), PAGES)
def test_each_list_page_and_the_home_page_run_the_same_queries_for_5_rows_and_50(client, world, who, url_name):
    client.force_login(world[who].user)
    url = reverse(url_name)
    add(world, FEW)
    client.get(url)  # first-use caches
    with CaptureQueriesContext(connection) as few_queries:
        few = rows_shown(client.get(url))

    add(world, MANY - FEW)
    with CaptureQueriesContext(connection) as many_queries:
        many = rows_shown(client.get(url))

    assert len(many_queries) == len(few_queries), f"{url_name} as {who}"
    assert many > few > 0, f"{url_name} as {who}: the added rows were not shown ({few} then {many})"


# --- plans ---------------------------------------------------------------------------------------


def plan(queryset, *, sort: bool = True) -> str:
    """EXPLAIN of the query, with sequential scans (and, with `sort=False`, sorts) priced out of the
    planner's choice: it still picks one when nothing else can answer the query."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            # The planner's statistics of the rows made (a table never analysed is guessed at).
            cursor.execute("ANALYZE audits_audit, audits_learningaction")
            cursor.execute("SET LOCAL enable_seqscan = off")
            if not sort:
                cursor.execute("SET LOCAL enable_sort = off")
        text = queryset.explain()
        transaction.set_rollback(True)
    return text


def page_keys(queryset, size: int = 50):
    """The query a list page runs first (quality.pagination): the page's keys, one more than it shows."""
    return queryset.values_list("pk", flat=True)[: size + 1]


def assert_indexed(queryset, *, ordered: bool) -> str:
    """An index finds the rows; if `ordered`, an index gives them in the list's order too, so a page is
    a LIMIT over an index range (at a few rows the planner may still prefer a sort: sorts are priced
    out to show that it need not, as scans are)."""
    text = plan(queryset, sort=not ordered)
    assert "Seq Scan on audits_audit" not in text, text
    if ordered:
        assert not re.search(r"\bSort\b", text), text
    return text


@pytest.fixture
def rows(world):
    add(world, 10)
    other_version_area = world["other_area"]
    for _ in range(10):
        AuditFactory(tool_version=world["version"], service_area=other_version_area, auditor=world["manager"])


def test_the_audit_lists_default_order_is_an_index_scan(world, rows, qa_officer, practice_manager):
    everyone = audits_listed(qa_officer.user, AuditScope.ALL)
    area = audits_listed(practice_manager.user, AuditScope.AREA)

    assert "audit_created" in assert_indexed(page_keys(everyone), ordered=True)
    assert_indexed(page_keys(area), ordered=True)
    assert_indexed(everyone[:51], ordered=True)
    # A person's own audits: an index finds them (a sort of those few rows is allowed).
    assert_indexed(page_keys(audits_listed(world["worker"].user, AuditScope.MINE)), ordered=False)


@pytest.mark.parametrize(
    ("name", "value", "ordered"),
    [
        # A month is a range of days: its audits are found by an index, then its page sorted.
        ("month", lambda w: "2026-11", False),
        ("service_area", lambda w: w["area"].pk, True),
        ("team", lambda w: w["team"].pk, True),
        ("kind", lambda w: Audit.Kind.MONTHLY, True),
        ("overall_grade", lambda w: "good", True),
        ("state", lambda w: Audit.State.CLOSED, True),
        ("state", lambda w: Audit.State.SUBMITTED, True),
        ("auditor", lambda w: w["worker"].pk, False),  # one person's audits: few, sorted
    ],
)
def test_each_filter_of_the_audit_lists_is_served_by_an_index(world, rows, qa_officer, name, value, ordered):
    request = RequestFactory().get("/")
    request.user = qa_officer.user
    audits = AuditFilter({name: value(world)}, queryset=audits_listed(qa_officer.user, AuditScope.ALL), request=request)
    assert audits.is_valid(), audits.errors

    assert_indexed(page_keys(audits.qs), ordered=ordered)


def test_the_voices_and_actions_lists_are_index_scans_in_their_order(world, rows, qa_officer, practice_manager):
    assert "audit_voices_listed" in assert_indexed(page_keys(voices_for(qa_officer.user)), ordered=True)
    assert_indexed(page_keys(voices_for(practice_manager.user)), ordered=True)

    actions = plan(page_keys(actions_listed(qa_officer.user, ActionScope.AREA)), sort=False)
    assert "action_due" in actions and not re.search(r"\bSort\b", actions), actions


@pytest.mark.parametrize("deadline", list(Deadline))
def test_the_overdue_lists_read_their_open_state_through_a_partial_index(world, rows, qa_officer, deadline):
    text = assert_indexed(overdue_audits(qa_officer.user, deadline), ordered=False)
    partial = {  # the partial indexes on the deadline's state (Audit.Meta.indexes); either serves
        Deadline.COMPLETION: {"audit_draft_due", "audit_auditor_draft_due"},
        Deadline.OVERSIGHT: {"audit_oversight_due"},
        Deadline.RECORD: {"audit_record_due"},
    }
    assert partial[deadline] & set(re.findall(r"(?:using|Bitmap Index Scan on) (\w+)", text)), text


def test_the_home_pages_counters_are_index_scans(world, rows, qa_officer, service_lead):
    """The panels' lists read indexes; the overdue counts read the counts kept per area and day
    (tests/audits/test_deadline_counts.py)."""
    today = date(2026, 11, 16)
    due = due_for(world["worker"].user)
    assert_indexed(due["to_complete"], ordered=False)
    due = due_for(service_lead.user)
    assert_indexed(due["to_oversee"], ordered=False)
    assert_indexed(due["to_close"], ordered=False)
    # The counts themselves, as the home page and the overdue page read them.
    assert overdue_totals(qa_officer.user, today=today).total == 30
    assert [row.total for row in overdue_counts(qa_officer.user, today=today)] == [30]


# --- the area's name as it was, for the page's rows only ---------------------------------------------


def test_the_area_name_as_it_was_is_looked_up_for_the_rows_shown(client, world, qa_officer):
    add(world, 2)
    area = world["area"]
    made_under = area.name
    # Renamed after the audits were made: the list keeps the name they were made under.
    ServiceAreaName.objects.create(
        service_area=area, name="Families First", valid_from=datetime(2027, 1, 1, tzinfo=UTC)
    )
    type(area).objects.filter(pk=area.pk).update(name="Families First")
    client.force_login(qa_officer.user)

    with CaptureQueriesContext(connection) as queries:
        table = client.get(reverse("audits:audit_list_all")).context["table"]

    shown = {row.get_cell_value("area_name") for row in table.page.object_list}
    assert shown == {made_under} != {"Families First"}
    listing = [q["sql"] for q in queries if "audits_audit" in q["sql"] and "serviceareaname" in q["sql"].lower()]
    # One query reads the names, and only for the page's rows (by their keys).
    assert len(listing) == 1 and '"audits_audit"."id" IN' in listing[0], listing


# --- the paginator ---------------------------------------------------------------------------------


@pytest.fixture
def capped(monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 5)


def page_of(client, **query):
    response = client.get(reverse("audits:audit_list_all"), {"per_page": "2", **query})
    assert response.status_code == 200
    return response


def nav(response) -> str:
    html = response.content.decode()
    start = html.index('<nav aria-label="Table navigation">')
    return html[start : html.index("</nav>", start)]


def test_a_list_longer_than_the_cap_says_more_than_and_pages_on(client, world, qa_officer, capped):
    add(world, 4)  # 12 audits, 2 a page: 6 pages, the cap (5 rows) passed on page 3
    client.force_login(qa_officer.user)
    everyone = list(Audit.objects.order_by("-created_at", "-pk").values_list("case_reference", flat=True))

    first = page_of(client)
    table = first.context["table"]
    assert "More than 5 audits match." in first.content.decode()
    assert (table.paginator.count_is_exact, table.page.number, table.paginator.num_pages) == (False, 1, 2)
    assert [row.record.case_reference for row in table.page.object_list] == everyone[:2]
    assert 'href="?per_page=2&amp;page=2"' in nav(first) and "previous" not in nav(first)

    beyond = page_of(client, page="4")  # rows 7 and 8: beyond the cap, asked for by number
    table = beyond.context["table"]
    assert [row.record.case_reference for row in table.page.object_list] == everyone[6:8]
    assert (table.page.number, table.page.has_previous(), table.page.next_after) == (
        4,
        True,
        Audit.objects.get(case_reference=everyone[7]).pk,
    )
    links = nav(beyond)
    # Past the rows counted, "next" follows the last row shown (keyset): tests/test_keyset_pages.py.
    assert 'href="?per_page=2&amp;page=3"' in links and f"after={table.page.next_after}" in links
    assert "previous" in links and "next" in links and "page=5" not in links

    last = page_of(client, page="6")
    table = last.context["table"]
    assert [row.record.case_reference for row in table.page.object_list] == everyone[10:12]
    assert (table.page.has_next(), table.paginator.num_pages) == (False, 6)
    assert "next" not in nav(last) and "previous" in nav(last)


def test_a_page_past_the_end_of_a_long_list_shows_the_last_page(client, world, qa_officer, capped):
    add(world, 4)  # 12 audits
    client.force_login(qa_officer.user)

    table = page_of(client, page="99").context["table"]

    assert (table.page.number, len(table.page.object_list)) == (6, 2)


def test_a_list_within_the_cap_is_counted_exactly(client, world, qa_officer):
    add(world, 4)  # 12 audits, under the cap of 10,000
    client.force_login(qa_officer.user)

    response = page_of(client, page="3")
    table = response.context["table"]

    assert "12 audits match." in response.content.decode()
    assert (table.paginator.count_is_exact, table.paginator.num_pages, table.page.number) == (True, 6, 3)
    assert 'href="?per_page=2&amp;page=6"' in nav(response)


def test_an_empty_list_has_no_pages_to_move_between(client, world, qa_officer, capped):
    client.force_login(qa_officer.user)

    response = page_of(client)
    table = response.context["table"]

    assert "0 audits match." in response.content.decode()
    assert (table.paginator.num_pages, len(table.page.object_list)) == (1, 0)
    assert "Table navigation" not in response.content.decode()
    assert "No audits match." in response.content.decode()


def test_the_count_reads_at_most_one_row_more_than_the_cap(client, world, qa_officer, capped):
    add(world, 4)
    client.force_login(qa_officer.user)

    with CaptureQueriesContext(connection) as queries:
        page_of(client)

    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and "audits_audit" in q["sql"]]
    assert len(counts) == 1 and "LIMIT 6" in counts[0], counts
