"""A person reads what the portal told them and marks it as read."""

import pytest
from playwright.sync_api import Page, expect

from quality.org.models import Notification

from .conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_practitioner_reads_their_notifications_and_marks_them_read(page: Page, live_server, practitioner):
    person = practitioner
    Notification.objects.create(recipient=person.user, subject="Audit submitted: case C-5501", urgent=True)

    sign_in(page, live_server.url, person.user.email)
    expect(page.get_by_text("Audit submitted: case C-5501")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="All your notifications").click()
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("New")
    assert_accessible(page)

    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_role("main")).not_to_contain_text("New")
    assert_accessible(page)
    assert Notification.objects.get().read_at is not None
