"""Blind moderation outside the panel's own pages (issue 13, item 8): a panel member who may also read
the audit elsewhere (its area's practice manager, say) sees none of its grades there while the panel
has not recorded its own, on the audit page, the printable page, the lists, their files and filters;
nobody else loses anything, and the grades come back once the panel has decided."""

import re
from html import unescape
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from moderation import panels
from quality.access import GRADES_HIDDEN, grades_hidden_from
from quality.org.models import Role
from tests.factories import MembershipFactory

from .panel_world import all_areas, graded_audit, panel_in_session

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]


@pytest.fixture
def people(people, own_area):
    # The moderator also manages practice in the area: they read its audits outside the panel.
    MembershipFactory(person=people["moderator"], role=Role.PRACTICE_MANAGER, service_area=own_area)
    return people


@pytest.fixture
def audit(people, versions, own_area):
    """Outstanding overall and in every area: a grade nothing else on the pages says."""
    return graded_audit(versions[own_area.pk], people["auditor"], "outstanding", case_holder=people["worker"])


@pytest.fixture
def blind_panel(people, audit):
    return panel_in_session(people, [audit], blind=True)


def text_of(client, who, name, *args, **query):
    client.force_login(who.user)
    response = client.get(reverse(name, args=args), query)
    assert response.status_code == 200
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        book = load_workbook(BytesIO(b"".join(response.streaming_content)))
        return "\n".join(str(cell) for row in book.active.iter_rows(values_only=True) for cell in row)
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8-sig")
    # The grade filter's choices name every grade: what matters is what the page says of the audits.
    return re.sub(r"<select.*?</select>", "", unescape(response.content.decode()), flags=re.S)


PAGES = [
    ("audits:audit_detail", True),
    ("audits:audit_print", True),
    ("audits:audit_list_area", False),
    ("audits:audit_list_mine", False),
    ("audits:audit_export_area_csv", False),
    ("audits:audit_export_area_xlsx", False),
]


def shown(client, who, name, with_pk, audit):
    return text_of(client, who, name, *([audit.pk] if with_pk else []))


@pytest.mark.parametrize(("name", "with_pk"), PAGES)
def test_a_member_of_a_blind_panel_does_not_see_the_grades_of_an_audit_still_open_before_it(
    client, people, audit, blind_panel, name, with_pk
):
    if name == "audits:audit_list_mine":
        audit.case_holder = people["moderator"]  # so it is "theirs" too
        audit.save(update_fields=["case_holder"])
    text = shown(client, people["moderator"], name, with_pk, audit)
    assert audit.case_reference in text
    assert GRADES_HIDDEN in text
    assert "Outstanding" not in text


@pytest.mark.parametrize(("name", "with_pk"), PAGES)
def test_the_grades_show_again_once_the_panel_has_recorded_its_grade(client, people, audit, blind_panel, name, with_pk):
    if name == "audits:audit_list_mine":
        audit.case_holder = people["moderator"]
        audit.save(update_fields=["case_holder"])
    item = blind_panel.items.get()
    panels.decision_record(
        actor=people["moderator"].user,
        item=item,
        moderated_grade="good",
        area_grades=all_areas("good"),
        rationale="Good evidence, not outstanding.",
    )
    text = shown(client, people["moderator"], name, with_pk, audit)
    assert "Outstanding" in text
    assert GRADES_HIDDEN not in text


@pytest.mark.parametrize("who", ["lead", "auditor", "other_moderator_of_the_area", "qa_officer"])
@pytest.mark.parametrize(("name", "with_pk"), PAGES[:3])
def test_everyone_not_on_the_panel_still_sees_the_grades(client, people, audit, blind_panel, who, name, with_pk):
    if who == "other_moderator_of_the_area":
        people[who] = MembershipFactory(role=Role.MODERATOR, service_area=audit.service_area).person
    text = shown(client, people[who], name, with_pk, audit)
    assert "Outstanding" in text
    assert GRADES_HIDDEN not in text


@pytest.mark.parametrize(("name", "with_pk"), PAGES[:3])
def test_a_panel_that_is_not_blind_hides_nothing(client, people, audit, name, with_pk):
    panel_in_session(people, [audit], blind=False)
    text = shown(client, people["moderator"], name, with_pk, audit)
    assert "Outstanding" in text
    assert GRADES_HIDDEN not in text


@pytest.mark.parametrize(
    "name", ["audits:audit_list_area", "audits:audit_export_area_csv", "audits:audit_export_area_xlsx"]
)
def test_filtering_by_the_hidden_grade_does_not_give_it_away(
    client, people, versions, own_area, audit, blind_panel, name
):
    seen = graded_audit(versions[own_area.pk], people["auditor"], "outstanding")
    text = text_of(client, people["moderator"], name, overall_grade="outstanding")
    assert seen.case_reference in text
    assert audit.case_reference not in text
    # The service lead, on no panel, finds both.
    text = text_of(client, people["lead"], name, overall_grade="outstanding")
    assert seen.case_reference in text and audit.case_reference in text


def test_sorting_by_grade_puts_hidden_grades_together_whatever_they_are(client, people, audit, blind_panel):
    text = text_of(client, people["moderator"], "audits:audit_list_area", sort="overall_grade")
    assert audit.case_reference in text and "Outstanding" not in text


def test_the_grade_answers_disputes_and_grade_history_are_masked_on_the_audit_page(client, people, audit, blind_panel):
    text = text_of(client, people["moderator"], "audits:audit_detail", audit.pk)
    # The tool's grade questions and the history of the grades say the hidden text, never the grade.
    assert text.count(GRADES_HIDDEN) > 2
    assert "Outstanding" not in text


def test_no_pdf_is_made_or_given_to_a_member_while_the_grades_are_hidden(client, people, audit, blind_panel):
    client.force_login(people["moderator"].user)
    assert client.post(reverse("audits:audit_document_request", args=[audit.pk])).status_code == 403
    page = unescape(client.get(reverse("audits:audit_detail", args=[audit.pk])).content.decode())
    assert "Make a PDF" not in page


def test_an_item_taken_out_of_the_sample_hides_nothing(people, audit, blind_panel):
    item = blind_panel.items.get()
    item.removed_at, item.removed_reason = blind_panel.opened_at, "Not for this panel"
    item.save(update_fields=["removed_at", "removed_reason"])
    assert grades_hidden_from(people["moderator"].user) == frozenset()


def test_the_hidden_set_is_one_query_whatever_the_number_of_hidden_audits(client, people, versions, own_area, audit):
    more = [graded_audit(versions[own_area.pk], people["auditor"], "good") for _ in range(4)]

    def queries():
        client.force_login(people["moderator"].user)
        client.get(reverse("audits:audit_list_area"))
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("audits:audit_list_area")).status_code == 200
        return len(captured.captured_queries)

    panel_in_session(people, [audit], blind=True)
    one = queries()
    panel_in_session(people, more, blind=True)
    assert queries() == one


def test_an_escalation_of_an_audit_whose_grades_are_hidden_is_left_off_the_board(client, people, versions, own_area):
    """An Inadequate chain says the grade: a member who also leads the area does not see it while blind."""
    MembershipFactory(person=people["moderator"], role=Role.SERVICE_LEAD, service_area=own_area)
    inadequate = graded_audit(versions[own_area.pk], people["auditor"], "inadequate")
    chain = inadequate.escalations.get()
    panel_in_session(people, [inadequate], blind=True)
    assert inadequate.case_reference not in text_of(client, people["moderator"], "escalations:board")
    client.force_login(people["moderator"].user)
    assert client.get(reverse("escalations:escalation_detail", args=[chain.pk])).status_code == 404
    assert inadequate.case_reference in text_of(client, people["lead"], "escalations:board")
