"""Journey: joiners and leavers. An administrator adds a person; the person opens the invitation
e-mail's link in their own browser, chooses a password, signs in and is sent to set up their
authenticator app (their role needs one). Then the administrator deactivates an unused account from
the quarterly access review in one step.

Dates come from the machine's clock: these tests build them from timezone.now().
"""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from quality.org import services
from quality.org.messages import INVITATION_ACCEPTED
from quality.org.models import AccessReviewDecision, Person, Role

from .conftest import CONTEXT_ARGS, assert_accessible, sign_in_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "amber-lantern-orchard-47"


@pytest.fixture
def portal(live_server, settings):
    settings.PORTAL_URL = live_server.url  # the address the e-mails' links start with
    return live_server.url


def test_a_new_person_accepts_the_invitation_and_is_sent_to_set_up_their_authenticator(
    page: Page, browser: Browser, portal, admin_person, email_worker
):
    sign_in_as(page, portal, admin_person)
    page.goto(f"{portal}/org/people/new/")
    assert_accessible(page)
    page.get_by_label("Full name").fill("Nia Newton")
    page.get_by_label("E-mail address").fill("nia.newton@council.example")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Nia Newton")).to_be_visible()
    expect(page.get_by_text("Their invitation is on its way by e-mail")).to_be_visible()
    assert_accessible(page)
    person = Person.objects.get(user__email="nia.newton@council.example")
    services.membership_add(actor=admin_person.user, person=person, role=Role.QA_OFFICER)

    [message] = mail.outbox
    link = re.search(r"(https?://\S+/accounts/invitation/\S+/)", message.body).group(1)
    assert link.startswith(portal)

    newcomer = browser.new_context(**CONTEXT_ARGS).new_page()
    newcomer.goto(link)
    expect(newcomer.get_by_role("heading", name="Choose your password")).to_be_visible()
    assert_accessible(newcomer)
    newcomer.get_by_label("New password").first.fill(NEW_PASSWORD)  # the second is its confirmation
    newcomer.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    newcomer.get_by_role("button", name="Set password").click()
    expect(newcomer.get_by_text(INVITATION_ACCEPTED)).to_be_visible()
    assert_accessible(newcomer)

    newcomer.get_by_label("E-mail address").fill("nia.newton@council.example")
    newcomer.get_by_label("Password").fill(NEW_PASSWORD)
    newcomer.get_by_role("button", name="Sign in").click()
    expect(newcomer.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    assert_accessible(newcomer)

    person.user.refresh_from_db()
    assert person.user.check_password(NEW_PASSWORD)
    newcomer.context.close()


def test_an_administrator_deactivates_an_unused_account_from_the_access_review_in_one_step(
    page: Page, portal, admin_person, make_person, own_area
):
    stale = make_person(Role.PRACTITIONER, own_area, full_name="Sam Stale")
    get_user_model().objects.filter(pk=stale.user_id).update(last_login=timezone.now() - timedelta(days=120))
    make_person(Role.PRACTITIONER, own_area, full_name="Fran Fresh")

    sign_in_as(page, portal, admin_person)
    page.goto(f"{portal}/org/people/")
    page.get_by_role("link", name="Access review").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Access review"))).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Unused accounts only").check()
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name="Fran Fresh")).to_have_count(0)
    row = page.get_by_role("row", name=re.compile("Sam Stale"))
    expect(row.get_by_label("Why deactivate Sam Stale")).to_have_value("Quarterly access review: unused for 90 days")

    row.get_by_role("button", name=re.compile(r"^Deactivate\W+Sam Stale$")).click()

    expect(page.get_by_text("Sam Stale can no longer sign in")).to_be_visible()
    expect(page.get_by_label("Unused accounts only")).to_be_checked()  # back to the same filtered list
    assert_accessible(page)
    stale.user.refresh_from_db()
    assert not stale.user.is_active
    assert AccessReviewDecision.objects.get().decision == "deactivate"
