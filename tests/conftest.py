import os
from unittest.mock import patch

import pytest
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time
from hypothesis import HealthCheck, settings

from quality.org.models import Role

from . import second_factor
from .clock import SUITE_NOW
from .factories import ServiceAreaFactory, TeamFactory, person_with_role

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


@pytest.fixture
def admin_person(db):
    return person_with_role(Role.ADMINISTRATOR, None, full_name="Ada Admin")


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
