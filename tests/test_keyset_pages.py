"""Past the rows a list counts, its pages follow the last row seen (quality/pagination.py, keyset
pagination): paging on by "next" gives every row once, in the list's order, whatever the order and
wherever its empty values fall, and a page costs the same queries however far down it is."""

import re
from datetime import date, timedelta
from html import unescape

import pytest
from django.db.models import F
from django.urls import reverse

from audits.models import Audit
from quality import pagination
from quality.org.models import Role
from quality.pagination import rows_after
from tests.factories import AuditFactory, TeamFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

ORDERS = [
    ("-listed_at", "-pk"),  # the audit lists' default
    ("due_on",),  # empty values last going up
    ("-due_on",),  # and first going down
    ("team__name", "-case_reference"),  # across a relation, some audits without a team
    ("state", "-due_on", "pk"),
]


@pytest.fixture
def audits(tool_version):
    area = tool_version.tool.service_area
    teams = [TeamFactory(service_area=area, name=name) for name in ("Alpha", "Beta")]
    made = []
    for n in range(17):
        made.append(
            AuditFactory(
                tool_version=tool_version,
                due_on=None if n % 4 == 0 else date(2026, 11, 1) + timedelta(days=n % 5),
                team=None if n % 3 == 0 else teams[n % 2],
                state=(Audit.State.DRAFT, Audit.State.SUBMITTED, Audit.State.OVERSEEN)[n % 3],
            )
        )
    return made


def _in_order(order: tuple[str, ...]) -> list[int]:
    """The audits in `order`, NULLs last going up and first going down, then by key: what pages must give."""
    fields = [
        F(name.lstrip("-")).desc(nulls_first=True) if name.startswith("-") else F(name).asc(nulls_last=True)
        for name in order
    ]
    return list(Audit.objects.order_by(*fields, "pk").values_list("pk", flat=True))


@pytest.mark.parametrize("order", ORDERS)
def test_the_rows_after_each_row_are_exactly_those_that_follow_it(audits, order):
    expected = _in_order(order)
    query = Audit.objects.order_by(*order)
    for place, key in enumerate(expected):
        following = list(rows_after(query, key).values_list("pk", flat=True))
        assert following == expected[place + 1 :], (order, place)


def test_a_row_not_in_the_list_has_no_rows_after_it(audits, tool_version):
    shown = Audit.objects.filter(team__isnull=False).order_by("-listed_at")
    hidden = Audit.objects.filter(team__isnull=True).first()
    assert rows_after(shown, hidden.pk) is None


def _next_link(html: str) -> str | None:
    found = re.search(r'<li class="next page-item"><a href="([^"]+)"', html)
    return unescape(found.group(1)) if found else None


def _cases(response) -> list[str]:
    return [row.record.case_reference for row in response.context["table"].page.object_list]


def test_next_pages_on_past_the_rows_counted_by_the_last_row_seen(
    client, make_person, audits, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(pagination, "COUNT_CAP", 4)  # count 4 rows at most: pages 1 and 2 numbered
    client.force_login(make_person(Role.QA_LEAD).user)
    url = reverse("audits:audit_list_all")
    expected = [Audit.objects.get(pk=pk).case_reference for pk in _in_order(("-listed_at", "-pk"))]

    seen, pages, link = [], [], "?per_page=2"
    while link and len(pages) <= len(expected):  # a page more than the rows would be a loop
        response = client.get(url + link)
        assert response.status_code == 200
        html = response.content.decode()
        seen += _cases(response)
        pages.append((link, "first page" in html))
        link = _next_link(html)
    assert seen == expected
    assert pages[1][0] == "?per_page=2&page=2"
    assert f"after={_key(seen[3])}" in pages[2][0]  # the last row of the last numbered page
    assert [keyset for _, keyset in pages] == [False, False] + [True] * (len(pages) - 2)

    # Every page past the count, however far down, takes the queries the first of them takes.
    with django_assert_max_num_queries(_queries(client, url + pages[2][0])):
        client.get(url + pages[-1][0])


def _key(case_reference: str) -> int:
    return Audit.objects.get(case_reference=case_reference).pk


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return len(queries)


def test_a_key_that_is_not_in_the_list_shows_the_first_page(client, make_person, audits, other_area):
    practice_manager = make_person(Role.PRACTICE_MANAGER, other_area)
    client.force_login(practice_manager.user)
    response = client.get(reverse("audits:audit_list_area"), {"after": audits[0].pk})  # another area's audit
    assert response.status_code == 200
    assert response.context["table"].page.number == 1
    assert _cases(response) == []
