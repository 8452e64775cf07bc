"""The organisation's list and detail pages run the same number of queries however many rows they show.

Each page is loaded with N rows of everything it lists, then with 3N: a query per row (an N+1) shows
up as a difference. The count is also held under a bound, so a page cannot hide a fixed but
wasteful number of queries. The page is loaded once before each measurement, so that caches filled
on first use (content types) count the same way both times.
"""

from dataclasses import dataclass
from itertools import count

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from quality.org import services
from quality.org.models import Role

from ..factories import MembershipFactory, PersonFactory, ServiceAreaFactory, TeamFactory, person_with_role

pytestmark = pytest.mark.django_db

N = 4  # 3N rows stay on the first page of a table (50 a page) and inside the 20 changes shown
MAX_QUERIES = 21  # the pages run 9 to 21 (the home page: each kind of waiting work counts its rows and shows ten)
_unique = count(1)


@dataclass
class Org:
    admin: object
    service_lead: object
    area: object
    team: object
    subject: object  # the person whose page is measured


@pytest.fixture
def org(admin_person, own_area, own_team, make_person):
    return Org(
        admin=admin_person.user,
        service_lead=make_person(Role.SERVICE_LEAD, own_area, full_name="Sam Lead").user,
        area=own_area,
        team=own_team,
        subject=make_person(Role.PRACTITIONER, own_area, full_name="Cal Colleague"),
    )


def another_actor():
    return person_with_role(Role.ADMINISTRATOR, None, full_name=f"Actor {next(_unique)}").user


# --- what each page lists, n more of it -------------------------------------------------------------


def more_service_areas(org, n):
    """Areas with teams and people, every other one retired."""
    for i in range(n):
        area = ServiceAreaFactory()
        TeamFactory.create_batch(2, service_area=area)
        MembershipFactory(service_area=area, role=Role.PRACTITIONER)
        if i % 2:
            services.service_area_retire(actor=org.admin, area=area, reason="Closed")


def more_people_in_the_area(org, n):
    """People with a role in a team of the area and a cross-area role, every other one deactivated."""
    for i in range(n):
        person = person_with_role(Role.PRACTITIONER, org.area)
        person.memberships.update(team=org.team)
        MembershipFactory(person=person, role=Role.READ_ONLY, service_area=None)
        if i % 2:
            services.person_set_active(actor=org.admin, person=person, active=False, reason="Left")


def more_in_the_area(org, n):
    """Teams, people with a role in a team, names and changes made by different people."""
    for _ in range(n):
        team = TeamFactory(service_area=org.area)
        person = person_with_role(Role.PRACTICE_MANAGER, org.area)
        person.memberships.update(team=team)
        services.service_area_update(
            actor=another_actor(), area=org.area, code=org.area.code, name=f"Renamed {next(_unique)}", reason="Why"
        )


def more_for_the_person(org, n):
    """Current roles in teams of different areas, past roles, and changes made by different people."""
    subject = org.subject
    for i in range(n):
        area = ServiceAreaFactory()
        team = TeamFactory(service_area=area)
        MembershipFactory(person=subject, role=Role.PRACTITIONER, service_area=area, team=team)
        past = MembershipFactory(person=subject, role=Role.PRACTICE_MANAGER, service_area=area, team=team)
        services.membership_end(actor=org.admin, membership=past, reason="Moved on")
        services.person_update(
            actor=another_actor(),
            person=subject,
            full_name=subject.full_name,
            email=subject.user.email,
            job_title=f"Title {i}",
            organisation="",
        )


def more_gaps_and_roles(org, n):
    """People with no role, areas with no service lead or practice manager, and roles of the administrator."""
    for _ in range(n):
        PersonFactory()
        area = ServiceAreaFactory()
        MembershipFactory(person=org.admin.person, role=Role.PRACTITIONER, service_area=area)


# --- how many rows the page shows (so the test knows the rows were rendered) ------------------------


def table_rows(response):
    return len(response.context["table"].page.object_list)


def area_rows(response):
    context = response.context
    rows = (len(context["teams"]), len(context["people"]), len(context["names"]))
    shows_changes = "Change history" in response.content.decode()  # to those who manage the organisation
    return (*rows, len(context["changes"])) if shows_changes else rows


def person_rows(response):
    context = response.context
    return (
        len(context["person"].current_memberships),
        len(context["past_memberships"]),
        len(context["changes"]),
    )


def home_rows(response):
    gaps = response.context["organisation_gaps"]
    return (
        len(response.context["memberships"]),
        len(gaps["people_without_role"]),
        len(gaps["areas_without_service_lead"]),
        len(gaps["areas_without_practice_manager"]),
    )


@dataclass
class Page:
    url_name: str
    viewer: str
    more: object
    rows: object
    about: str | None = None  # "area" or "subject": the object the URL is about

    def url(self, org):
        args = [getattr(org, self.about).pk] if self.about else []
        return reverse(self.url_name, args=args)


PAGES = [
    pytest.param(Page("org:service_area_list", "admin", more_service_areas, table_rows), id="service_area_list"),
    pytest.param(
        Page("org:person_list", "admin", more_people_in_the_area, table_rows), id="person_list-as-administrator"
    ),
    pytest.param(
        Page("org:person_list", "service_lead", more_people_in_the_area, table_rows), id="person_list-as-service_lead"
    ),
    pytest.param(
        Page("org:service_area_detail", "admin", more_in_the_area, area_rows, about="area"),
        id="service_area_detail-as-administrator",
    ),
    pytest.param(
        Page("org:service_area_detail", "service_lead", more_in_the_area, area_rows, about="area"),
        id="service_area_detail-as-service_lead",
    ),
    pytest.param(
        Page("org:person_detail", "admin", more_for_the_person, person_rows, about="subject"),
        id="person_detail-as-administrator",
    ),
    pytest.param(Page("home", "admin", more_gaps_and_roles, home_rows), id="home-as-administrator"),
]


def measure(client, path, page):
    """The page's row counts and the SQL it ran."""
    client.get(path)  # fill first-use caches, so both measurements see the same
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return page.rows(response), [query["sql"] for query in queries.captured_queries]


def grew(small, large):
    """Every row count of the page grew (a tuple of counts, or one count)."""
    small, large = (small, large) if isinstance(small, tuple) else ((small,), (large,))
    return all(after >= before + 2 * N for before, after in zip(small, large, strict=True))


@pytest.mark.parametrize("page", PAGES)
def test_a_page_runs_the_same_few_queries_whatever_the_number_of_rows(client, org, page):
    client.force_login(getattr(org, page.viewer))
    path = page.url(org)

    page.more(org, N)
    rows_n, with_n = measure(client, path, page)
    page.more(org, 2 * N)
    rows_3n, with_3n = measure(client, path, page)

    assert grew(rows_n, rows_3n), f"the page did not show the added rows: {rows_n} then {rows_3n}"
    extra = "\n".join(sql for sql in with_3n if sql not in with_n) or "(the same statements, more often)"
    assert len(with_3n) == len(with_n), (
        f"{page.url_name}: {len(with_n)} queries with {N} rows, {len(with_3n)} with {3 * N}. New:\n{extra}"
    )
    assert len(with_3n) <= MAX_QUERIES, "\n".join(with_3n)
