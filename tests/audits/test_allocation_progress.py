"""The month's allocation page while "Propose now" runs in the worker: it shows the proposal being
made and htmx asks every 2 s; once the allocation is there the answer reloads the page with it
(HX-Refresh) and the asking stops; past PROPOSAL_WAIT it stops and says so, offering to ask again."""

from datetime import date, timedelta
from unittest.mock import patch

import pytest
from django.test import Client
from django.urls import reverse
from kombu.exceptions import OperationalError

from audits.cycle import allocation_views
from audits.models import Allocation

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

MONTH_KEY = "2026-12"
PAGE = reverse("allocation:allocation_detail", kwargs={"month": MONTH_KEY})
PROPOSE = reverse("allocation:allocation_propose", kwargs={"month": MONTH_KEY})
HTMX = {"HX-Request": "true"}


@pytest.fixture
def qa_client(client, qa_lead):
    client.force_login(qa_lead.user)
    return client


def propose_now(client) -> None:
    with patch("audits.tasks.propose_monthly_allocation.delay"):
        assert client.post(PROPOSE).status_code == 302


def test_after_propose_now_the_page_shows_the_proposal_being_made_and_polls(qa_client):
    propose_now(qa_client)

    html = qa_client.get(PAGE).content.decode()

    assert f'hx-get="{PAGE}" hx-trigger="every 2s" hx-swap="outerHTML"' in html
    assert 'role="progressbar" aria-label="Making the proposal for December 2026"' in html
    assert '<div aria-live="polite"><div id="proposal-status"' in html.replace("\n", "")


def test_the_page_does_not_poll_when_nothing_was_asked(qa_client):
    html = qa_client.get(PAGE).content.decode()

    assert "hx-trigger" not in html and "Propose now for December 2026" in html


def test_the_polled_block_keeps_asking_until_the_allocation_is_there_then_reloads_the_page(qa_client):
    propose_now(qa_client)

    waiting = qa_client.get(PAGE, headers=HTMX)
    Allocation.objects.create(month=date(2026, 12, 1))
    done = qa_client.get(PAGE, headers=HTMX)
    page = qa_client.get(PAGE).content.decode()

    assert waiting.status_code == 200 and "<html" not in waiting.content.decode()
    assert 'hx-trigger="every 2s"' in waiting.content.decode()
    assert done.status_code == 204 and done["HX-Refresh"] == "true"
    assert "hx-trigger" not in page and "Allocation for December 2026" in page
    assert MONTH_KEY not in qa_client.session.get(allocation_views.PROPOSING_SESSION_KEY, {})


def test_past_the_wait_the_asking_stops_and_the_page_says_so(qa_client, frozen_today):
    propose_now(qa_client)
    frozen_today.tick(allocation_views.PROPOSAL_WAIT + timedelta(seconds=1))

    late = qa_client.get(PAGE, headers=HTMX).content.decode()

    assert "hx-trigger" not in late and 'role="alert"' in late
    assert "has not appeared after 3 minutes" in late
    assert f'action="{PROPOSE}"' in late  # ask again


def test_the_wait_is_this_persons_only(qa_client, qa_officer):
    propose_now(qa_client)
    other = Client()
    other.force_login(qa_officer.user)

    assert "hx-trigger" not in other.get(PAGE).content.decode()


def test_with_the_queue_down_the_page_does_not_wait_for_a_proposal_that_was_never_started(transactional_db, qa_client):
    """Committed at once (transactional_db), so the queue is tried while the view runs, as in service."""
    with patch("audits.tasks.propose_monthly_allocation.delay", side_effect=OperationalError("down")):
        qa_client.post(PROPOSE)

    html = qa_client.get(PAGE).content.decode()

    assert "hx-trigger" not in html and "could not be started" in html
