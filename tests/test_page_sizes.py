"""Every list that takes `?per_page=` holds it to 1..100 (quality/pagination.py): no server error for
a negative or zero size, no whole table in one page for a huge one, the usual 50 for a size that is
not a number."""

import pytest
from django.urls import reverse

from quality.org.models import Role
from quality.pagination import MAX_PER_PAGE, PER_PAGE, page_size

from .factories import ServiceAreaFactory

pytestmark = pytest.mark.django_db

# Every page built on a django-tables2 table (they all go through quality.pagination.paginate_table).
LISTS = [
    "org:service_area_list",
    "org:person_list",
    "audits:audit_list_mine",
    "audits:audit_list_area",
    "audits:audit_list_all",
    "audits:voices_list",
    "audits:action_list_mine",
    "audits:action_list_area",
    "cases:case_list",
    "escalations:board",
    "escalations:board_closed",
    "escalations:exemplar_list",
    "complaints:entry_list",
    "families:form_list",
    "observations:list",
]
ASKED = [("-1", 1), ("0", 1), ("abc", PER_PAGE), ("100000", MAX_PER_PAGE), ("", PER_PAGE), ("25", 25)]


@pytest.fixture
def as_qa_officer(client, make_person):
    """A QA officer may open every one of these lists, in every service area."""
    client.force_login(make_person(Role.QA_OFFICER, full_name="Quinn Officer").user)
    return client


@pytest.mark.parametrize("url_name", LISTS)
@pytest.mark.parametrize(("asked", "size"), ASKED, ids=[f"per_page={asked or 'empty'}" for asked, _ in ASKED])
def test_each_list_answers_any_page_size_with_one_between_1_and_100(as_qa_officer, url_name, asked, size):
    response = as_qa_officer.get(reverse(url_name), {"per_page": asked})

    assert response.status_code == 200
    table = response.context["table"]
    assert table.paginator.per_page == size
    assert len(table.page.object_list) <= size


def test_every_list_of_the_project_is_in_this_test(as_qa_officer):
    """A new list on a table must be added to LISTS (a list is a page whose context has a "table")."""
    from .test_access_matrix import EXPECTED, NO_OBJECT, URL_KWARGS, URL_NAMES

    with_tables = set()
    for name in URL_NAMES:
        if (name, NO_OBJECT) not in EXPECTED or name in URL_KWARGS:
            continue
        response = as_qa_officer.get(reverse(name))
        if response.streaming:  # a download: read to the end, so the test client closes its file
            b"".join(response.streaming_content)
        elif response.status_code == 200 and "table" in (response.context or {}):
            with_tables.add(name)
    assert with_tables <= set(LISTS), sorted(with_tables - set(LISTS))


def test_a_page_size_of_one_pages_through_the_rows(as_qa_officer, own_area, other_area):
    ServiceAreaFactory(code="CWD", name="Children with Disabilities")
    list_url = reverse("org:service_area_list")

    first = as_qa_officer.get(list_url, {"per_page": "-5"}).context["table"]
    second = as_qa_officer.get(list_url, {"per_page": "-5", "page": "2"}).context["table"]

    assert first.paginator.num_pages == 3
    assert len(first.page.object_list) == 1
    assert second.page.number == 2
    assert first.page.object_list[0].record != second.page.object_list[0].record


@pytest.mark.parametrize(("page", "shown"), [("abc", 1), ("0", 3), ("-1", 3), ("999", 3), ("2", 2)])
def test_a_page_number_that_does_not_exist_shows_the_first_or_the_last_page(
    as_qa_officer, own_area, other_area, page, shown
):
    ServiceAreaFactory(code="CWD", name="Children with Disabilities")

    response = as_qa_officer.get(reverse("org:service_area_list"), {"per_page": "1", "page": page})

    assert response.status_code == 200
    assert response.context["table"].page.number == shown


@pytest.mark.parametrize(
    ("asked", "size"),
    [(None, 50), ("", 50), ("abc", 50), ("1.5", 50), ("-1", 1), ("0", 1), ("1", 1), ("100", 100), ("101", 100)],
)
def test_page_size_holds_what_was_asked_to_1_to_100(asked, size):
    assert page_size(asked) == size


def test_page_size_falls_back_to_the_lists_own_default():
    assert page_size("abc", default=25) == 25
