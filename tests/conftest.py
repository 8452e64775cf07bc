import os
from unittest.mock import patch

import pytest
from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time
from hypothesis import HealthCheck, settings

from quality.org.models import Role

from . import second_factor
from .clock import SUITE_NOW
from .factories import ServiceAreaFactory, TeamFactory, person_with_role, published_tool_version

CHROMIUM = "/usr/bin/chromium"
# The loopback OpenID Connect provider and the portal set up against it: for tests/sso/ and the browser journeys.
pytest_plugins = ["tests.sso.provider"]

# Property-based tests (tests/test_properties_*.py): the suite runs a few repeatable examples per form
# and per import, inside its time budget; HYPOTHESIS_PROFILE=deep runs many more, on demand. No example
# database: runs write nothing into the repository, and a failure prints the example to reproduce it.
settings.register_profile(
    "suite",
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("deep", settings.get_profile("suite"), max_examples=300, derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))


@pytest.fixture
def frozen_today():
    """The clock at the suite's today (tests/clock.py), ticking, for tests whose dates are written out.

    Ask for it before the fixtures that make the data (`pytest.mark.usefixtures("frozen_today")` in
    the module's pytestmark), so they are made at the suite's today too."""
    with freeze_time(SUITE_NOW, tick=True) as frozen:
        yield frozen


@pytest.fixture
def own_area(db):
    return ServiceAreaFactory(code="SWF", name="Social Work with Families")


@pytest.fixture
def other_area(db):
    return ServiceAreaFactory(code="PTC", name="Pathways Through Care")


@pytest.fixture
def own_team(own_area):
    return TeamFactory(service_area=own_area, name="SWF East")


@pytest.fixture
def other_team(other_area):
    return TeamFactory(service_area=other_area, name="Care Leavers")


@pytest.fixture
def make_person(db):
    """make_person(Role.X, area) -> a Person holding that role (area None for cross-area roles)."""
    return person_with_role


# The cast: one person in each role, named once for the whole suite. Each is a fixture of its own,
# so a test has exactly the people it asks for (who is notified, who is in an allocation pool and
# who is counted depends on who exists). Someone the cast lacks: make_person(Role.X, area, ...).


@pytest.fixture
def qa_lead(db):
    return person_with_role(Role.QA_LEAD, None, full_name="Quinn Lead")


@pytest.fixture
def qa_officer(db):
    return person_with_role(Role.QA_OFFICER, None, full_name="Otto Officer")


@pytest.fixture
def practice_manager(own_area):
    return person_with_role(Role.PRACTICE_MANAGER, own_area, full_name="Priya Manager")


@pytest.fixture
def other_manager(other_area):
    return person_with_role(Role.PRACTICE_MANAGER, other_area, full_name="Pat Othermanager")


@pytest.fixture
def service_lead(own_area):
    return person_with_role(Role.SERVICE_LEAD, own_area, full_name="Sam Lead")


@pytest.fixture
def other_lead(other_area):
    return person_with_role(Role.SERVICE_LEAD, other_area, full_name="Olga Lead")


@pytest.fixture
def practitioner(own_area):
    return person_with_role(Role.PRACTITIONER, own_area, full_name="Wendy Worker")


@pytest.fixture
def other_practitioner(other_area):
    return person_with_role(Role.PRACTITIONER, other_area, full_name="Omar Otherworker")


@pytest.fixture
def head_of_service(db):
    return person_with_role(Role.HEAD_OF_SERVICE, None, full_name="Hana Head")


@pytest.fixture
def moderator(own_area):
    return person_with_role(Role.MODERATOR, own_area, full_name="Moira Moderator")


@pytest.fixture
def other_moderator(other_area):
    return person_with_role(Role.MODERATOR, other_area, full_name="Oona Moderator")


@pytest.fixture
def performance_officer(own_area):
    return person_with_role(Role.PERFORMANCE_OFFICER, own_area, full_name="Pia Performance")


@pytest.fixture
def senior_leader(db):
    return person_with_role(Role.SENIOR_LEADER, None, full_name="Sol Senior")


@pytest.fixture
def reader(db):
    return person_with_role(Role.READ_ONLY, None, full_name="Rae Reader")


@pytest.fixture
def partner_auditor(db):
    return person_with_role(Role.PARTNER_AUDITOR, None, full_name="Pat Partner", organisation="Health")


@pytest.fixture
def admin_person(db):
    return person_with_role(Role.ADMINISTRATOR, None, full_name="Ada Admin")


@pytest.fixture
def tool_version(own_area):
    """The own area's published case-audit tool ("SWF case audit"): the seven areas of analysis."""
    return published_tool_version(area=own_area)


@pytest.fixture(params=["sign-in page", "home page signed in"])
def either_side_of_sign_in(request, client, make_person, own_area):
    """A response from each side of signing in: the anonymous sign-in page and a signed-in home page."""
    if request.param == "sign-in page":
        return client.get(reverse("login"))
    client.force_login(make_person(Role.PRACTITIONER, own_area).user)
    return client.get(reverse("home"))


@pytest.fixture(scope="session")  # pytest-playwright's browser fixture is session-scoped
def browser_type_launch_args(browser_type_launch_args):
    # Playwright cannot download its own browsers here: drive Debian's Chromium.
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session", autouse=True)
def transactional_tests_emptied_by_delete():
    """After each transactional test (the browser journeys, the workers' tests) Django empties every
    table with one TRUNCATE, which on PostgreSQL gives each of the ninety-odd tables and their indexes
    new files: about half a second a test, well over a hundred times a run. By then the tables hold a
    few rows, and DELETE empties them in milliseconds. It runs with the triggers off for that one
    transaction (`session_replication_role`), as TRUNCATE fires none either: the append-only rules,
    the kept counts and the foreign keys' checks (every table goes at once). Where that is not
    allowed (a database role that is not a superuser), or a flush resets sequences, it is Django's."""
    truncate = PostgresOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if not tables or reset_sequences or allow_cascade or not _superuser(self.connection):
            return truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        deletes = "; ".join(f"DELETE FROM {self.quote_name(table)}" for table in tables)
        return [f"SET LOCAL session_replication_role = replica; {deletes}"]

    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(PostgresOperations, "sql_flush", sql_flush)
        yield


def _superuser(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SHOW is_superuser")
        return cursor.fetchone()[0] == "on"


@pytest.fixture(autouse=True)
def force_login_passes_the_second_factor(monkeypatch):
    """Every page waits for the second factor, in the tests too: a test client's force_login signs in
    with the password and a code from the person's authenticator (tests/second_factor.py)."""
    monkeypatch.setattr(Client, "force_login", second_factor.force_login_with_second_factor)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Files a test makes (audit PDFs) go to its own folder, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def email_worker():
    """Notification e-mails sent in this process the moment their task is queued, as a worker would
    send them: for tests that read mail.outbox after a service's commit. Only the queueing is
    replaced; the task itself runs (`apply`), retries included."""
    from quality.org.tasks import send_notification_emails

    def run_now(*args):
        return send_notification_emails.apply(args=args)

    with patch("quality.org.tasks.send_notification_emails.delay", side_effect=run_now):
        yield
