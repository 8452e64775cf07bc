"""Starting an audit in the portal (the QA unit), and inviting contributors to a partnership audit."""

import re
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from audits import selectors, services
from audits.forms import AuditStartForm
from audits.lists import NO_OWN_AUDITS
from audits.messages import (
    AUDITOR_NOT_ELIGIBLE,
    CASE_HOLDER_NOT_PRACTITIONER,
    CASE_REFERENCE_INVALID,
    PARTICIPANT_ALREADY,
    PARTICIPANT_NOT_ELIGIBLE,
    PARTICIPANTS_PARTNERSHIP_ONLY,
    TOOL_NOT_PUBLISHED,
    TOOL_WRONG_AREA,
)
from audits.models import Audit, AuditEvent, AuditParticipant
from quality.access import Action, can, visible
from quality.org.forms import TEAM_AREA_FIRST
from quality.org.messages import REASON_REQUIRED, RETIRED_AREA, TEAM_OUTSIDE_AREA
from quality.org.models import Notification, Role

from ..factories import ServiceAreaFactory, published_tool_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(
    qa_lead, qa_officer, practice_manager, service_lead, practitioner, partner_auditor, other_manager, make_person
):
    """The shared cast by their part in starting an audit, with a second partner under the name the
    invitation shows."""
    return {
        "qa_lead": qa_lead,
        "qa_officer": qa_officer,
        "manager": practice_manager,
        "lead": service_lead,
        "worker": practitioner,
        "partner": partner_auditor,
        "second_partner": make_person(Role.PARTNER_AUDITOR, full_name="Sol Second", organisation="Police"),
        "other_manager": other_manager,
    }


@pytest.fixture
def shared_version(db):
    return published_tool_version(name="Partnership audit", purpose="partnership")


def start_data(people, own_area, own_team, version, **changes):
    data = {
        "case_reference": "c-5001",
        "service_area": own_area.pk,
        "team": own_team.pk,
        "case_holder": people["worker"].pk,
        "kind": Audit.Kind.MONTHLY,
        "theme": "Neglect",
        "auditor": people["manager"].pk,
        "tool_version": version.pk,
        "period_end": "2026-10-31",
        "due_on": "2026-11-30",
    }
    return data | changes


def start_url():
    return reverse("audits:audit_start")


def partnership_audit(people, own_area, shared_version, reference="C-7001", auditor="partner"):
    return services.audit_create(
        actor=people["qa_lead"].user,
        case_reference=reference,
        service_area=own_area,
        case_holder=people["worker"],
        auditor=people[auditor],
        kind=Audit.Kind.PARTNERSHIP,
        tool_version=shared_version,
    )


# --- starting an audit ------------------------------------------------------------------------------


def test_the_qa_lead_starts_an_audit_and_the_auditor_is_told_with_a_link(
    client, people, own_area, own_team, tool_version, django_capture_on_commit_callbacks, email_worker
):
    client.force_login(people["qa_lead"].user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(start_url(), start_data(people, own_area, own_team, tool_version))

    audit = Audit.objects.get()
    assert response.status_code == 302 and response.url == audit.get_absolute_url()
    assert (audit.case_reference, audit.service_area, audit.team, audit.case_holder, audit.auditor) == (
        "C-5001",
        own_area,
        own_team,
        people["worker"],
        people["manager"],
    )
    assert (audit.kind, audit.theme, audit.tool_version, audit.state) == ("monthly", "Neglect", tool_version, "draft")
    assert (audit.period_start, audit.period_end, audit.due_on) == (
        date(2026, 4, 30),
        date(2026, 10, 31),
        date(2026, 11, 30),
    )
    event = AuditEvent.objects.get(audit=audit)
    assert (event.what, event.old_value, event.new_value, event.actor) == ("state", "", "draft", people["qa_lead"].user)
    told = Notification.objects.get()
    assert (told.recipient, told.subject, told.url) == (
        people["manager"].user,
        "Audit allocated: case C-5001",
        audit.get_absolute_url(),
    )
    assert [m.to for m in mail.outbox] == [[people["manager"].user.email]]
    assert audit.get_absolute_url() in mail.outbox[0].body


def test_the_start_page_offers_the_casework_period_ending_today(client, people):
    client.force_login(people["qa_officer"].user)
    response = client.get(start_url())
    assert response.status_code == 200
    assert response.context["form"]["period_end"].value() == timezone.localdate()
    assert f'value="{timezone.localdate():%d/%m/%Y}"' in response.content.decode()


def test_the_start_page_offers_only_published_tools_of_active_areas_and_shared_tools(
    client, people, own_area, tool_version, shared_version
):
    draft = services.version_start_draft(actor=None, tool=tool_version.tool)
    client.force_login(people["qa_lead"].user)
    offered = dict(client.get(start_url()).context["form"].fields["tool_version"].choices)
    assert {pk for group in offered.values() if isinstance(group, list) for pk, _ in group} == {
        tool_version.pk,
        shared_version.pk,
    }
    assert draft.pk != tool_version.pk


@pytest.mark.parametrize("who", ["manager", "lead"])
def test_a_practice_manager_or_service_lead_may_not_start_an_audit(
    client, people, own_area, own_team, tool_version, who
):
    client.force_login(people[who].user)
    assert client.get(start_url()).status_code == 403
    assert client.post(start_url(), start_data(people, own_area, own_team, tool_version)).status_code == 403
    assert not Audit.objects.exists()


def test_the_audit_lists_link_to_the_start_page_only_for_the_qa_unit(client, people):
    link = f'href="{start_url()}"'
    client.force_login(people["qa_officer"].user)
    assert link in client.get(reverse("audits:audit_list_area")).content.decode()
    client.force_login(people["manager"].user)
    assert link not in client.get(reverse("audits:audit_list_area")).content.decode()


def _retired_area():
    area = ServiceAreaFactory(code="OLD", name="Old area")
    area.is_active, area.retired_at = False, timezone.now()
    area.save()
    return area


REFUSALS = {
    "a draft tool version": (
        "tool_version",
        lambda ctx: services.version_start_draft(actor=None, tool=ctx["tool_version"].tool).pk,
        TOOL_NOT_PUBLISHED,
    ),
    "another area's tool": (
        "tool_version",
        lambda ctx: published_tool_version(area=ctx["other_area"]).pk,
        TOOL_WRONG_AREA,
    ),
    "a retired area": ("service_area", lambda ctx: _retired_area().pk, RETIRED_AREA),
    "a team outside the area": ("team", lambda ctx: ctx["other_team"].pk, TEAM_OUTSIDE_AREA),
    "a case holder who is not a practitioner": (
        "case_holder",
        lambda ctx: ctx["people"]["lead"].pk,
        CASE_HOLDER_NOT_PRACTITIONER,
    ),
    "a practitioner of another area as case holder": (
        "case_holder",
        lambda ctx: ctx["make_person"](Role.PRACTITIONER, ctx["other_area"]).pk,
        CASE_HOLDER_NOT_PRACTITIONER,
    ),
    "another area's practice manager as auditor": (
        "auditor",
        lambda ctx: ctx["people"]["other_manager"].pk,
        AUDITOR_NOT_ELIGIBLE,
    ),
    "a partner auditor for a monthly audit": ("auditor", lambda ctx: ctx["people"]["partner"].pk, AUDITOR_NOT_ELIGIBLE),
    "a name as the case reference": ("case_reference", lambda ctx: "Jane Smith", CASE_REFERENCE_INVALID),
}


@pytest.mark.parametrize("case", list(REFUSALS), ids=list(REFUSALS))
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_saved(
    client, people, own_area, other_area, own_team, other_team, tool_version, make_person, case
):
    field, make_value, message = REFUSALS[case]
    context = {"people": people, "tool_version": tool_version, "other_area": other_area, "other_team": other_team}
    value = make_value(context | {"make_person": make_person})
    client.force_login(people["qa_lead"].user)

    response = client.post(start_url(), start_data(people, own_area, own_team, tool_version, **{field: value}))

    assert response.status_code == 422
    assert response.context["form"].errors[field] == [message]
    assert f'id="error_1_id_{field}"' in response.content.decode()
    assert "Wendy Worker" in response.content.decode(), "the lists keep their choices"
    assert not Audit.objects.exists()
    assert not Notification.objects.exists()


def _team_options(html: str) -> list[str]:
    select = re.search(r'<select name="team".*?</select>', html, re.S).group(0)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)


def test_the_team_list_waits_for_the_service_area_and_then_offers_only_its_teams(
    client, people, own_area, own_team, other_team
):
    client.force_login(people["qa_lead"].user)
    assert _team_options(client.get(start_url()).content.decode()) == [TEAM_AREA_FIRST]

    # What htmx asks for when the area is chosen: the page for that area (it takes the team field).
    chosen = client.get(start_url(), {"service_area": own_area.pk}).content.decode()
    assert _team_options(chosen) == ["No team", own_team.name]
    assert other_team.name not in chosen


def test_a_refused_start_keeps_the_team_list_of_the_area_chosen(
    client, people, own_area, own_team, other_team, tool_version
):
    client.force_login(people["qa_lead"].user)
    data = start_data(people, own_area, own_team, tool_version, case_reference="")
    response = client.post(start_url(), data)
    assert response.status_code == 422
    assert _team_options(response.content.decode()) == ["No team", own_team.name]


def test_the_area_list_asks_for_its_teams_when_an_area_is_chosen(client, people):
    client.force_login(people["qa_lead"].user)
    field = AuditStartForm()["service_area"]
    assert field.field.widget.attrs["hx-get"] == start_url()
    assert field.field.widget.attrs["hx-select"] == field.field.widget.attrs["hx-target"] == "#div_id_team"


@pytest.mark.parametrize(
    ("kind", "auditor"),
    [(Audit.Kind.QA_THEMATIC, "qa_officer"), (Audit.Kind.PARTNERSHIP, "partner"), (Audit.Kind.PARTNERSHIP, "manager")],
)
def test_the_qa_unit_audits_qa_thematic_audits_and_partners_audit_partnership_audits(
    client, people, own_area, own_team, shared_version, kind, auditor
):
    client.force_login(people["qa_lead"].user)
    data = start_data(people, own_area, own_team, shared_version, kind=kind, auditor=people[auditor].pk)
    assert client.post(start_url(), data).status_code == 302
    assert Audit.objects.get().auditor == people[auditor]


def test_a_qa_officer_may_not_be_the_auditor_of_a_monthly_audit(client, people, own_area, own_team, tool_version):
    client.force_login(people["qa_lead"].user)
    data = start_data(people, own_area, own_team, tool_version, auditor=people["qa_officer"].pk)
    response = client.post(start_url(), data)
    assert response.context["form"].errors["auditor"] == [AUDITOR_NOT_ELIGIBLE]
    assert not Audit.objects.exists()


# --- inviting contributors to a partnership audit ---------------------------------------------------


def invite(client, audit, person):
    return client.post(reverse("audits:audit_participant_add", args=[audit.pk]), {"person": person.pk})


def remove(client, participant, reason):
    url = reverse("audits:audit_participant_remove", args=[participant.audit_id, participant.pk])
    return client.post(url, {f"remove-{participant.pk}-reason": reason})


@pytest.fixture
def audit(people, own_area, shared_version):
    return partnership_audit(people, own_area, shared_version)


def test_the_qa_lead_invites_a_second_partner_who_is_told_and_it_is_in_the_history(client, people, audit):
    client.force_login(people["qa_lead"].user)
    response = invite(client, audit, people["second_partner"])

    assert response.status_code == 302 and response.url == audit.get_absolute_url()
    assert list(audit.participants.values_list("person", "invited_by")) == [
        (people["second_partner"].pk, people["qa_lead"].user_id)
    ]
    event = AuditEvent.objects.get(audit=audit, what="participant")
    assert (event.old_value, event.new_value, event.actor) == ("", "Sol Second", people["qa_lead"].user)
    told = Notification.objects.get(recipient=people["second_partner"].user)
    assert (told.subject, told.url) == ("Audit shared with you: case C-7001", audit.get_absolute_url())
    page = client.get(audit.get_absolute_url()).content.decode()
    assert "Sol Second, Police" in page and "Invited contributor" in page


def test_an_invited_partner_auditor_sees_only_that_partnership_audit(
    client, people, audit, own_area, shared_version, tool_version
):
    other_partnership = partnership_audit(people, own_area, shared_version, reference="C-7002")
    monthly = services.audit_create(
        actor=None, case_reference="C-7003", service_area=own_area, auditor=people["manager"], tool_version=tool_version
    )
    partner = people["second_partner"]
    services.participant_add(actor=people["qa_lead"].user, audit=audit, person=partner)

    assert list(visible(partner.user, Audit.objects.all())) == [audit]
    client.force_login(partner.user)
    assert client.get(audit.get_absolute_url()).status_code == 200
    assert client.get(other_partnership.get_absolute_url()).status_code == 404
    assert client.get(monthly.get_absolute_url()).status_code == 404
    assert list(selectors.due_for(partner.user)["to_complete"]) == [audit]
    assert list(selectors.audits_listed(partner.user, selectors.AuditScope.MINE)) == [audit]


def test_an_invited_partner_can_autosave_the_draft_but_not_submit_it(client, people, audit):
    partner = people["second_partner"]
    services.participant_add(actor=people["qa_lead"].user, audit=audit, person=partner)
    client.force_login(partner.user)

    edit = client.get(reverse("audits:audit_edit", args=[audit.pk]))
    assert edit.status_code == 200
    assert "Submit the audit" not in edit.content.decode()
    saved = client.post(
        reverse("audits:audit_autosave", args=[audit.pk]),
        {"revision": audit.revision, "q-planning-grade": "good", "q-planning-evidence": "Seen with the GP."},
    )
    assert saved.status_code == 200
    assert dict(audit.answers.values_list("question__key", "value"))["planning-evidence"] == "Seen with the GP."

    submit = client.post(reverse("audits:audit_edit", args=[audit.pk]), {"revision": audit.revision + 1})
    assert submit.status_code == 403
    audit.refresh_from_db()
    assert audit.state == Audit.State.DRAFT
    assert can(partner.user, Action.EDIT_AUDIT, audit) and not can(partner.user, Action.SUBMIT_AUDIT, audit)
    assert can(people["partner"].user, Action.SUBMIT_AUDIT, audit)


def test_after_removal_the_partner_sees_nothing_and_the_reason_is_in_the_history(client, people, audit):
    partner = people["second_partner"]
    participant = services.participant_add(actor=people["qa_lead"].user, audit=audit, person=partner)
    client.force_login(people["qa_lead"].user)

    response = remove(client, participant, "Invited by mistake: the case is not known to the police.")

    assert response.status_code == 302
    assert not AuditParticipant.objects.exists()
    event = AuditEvent.objects.filter(audit=audit, what="participant").last()
    assert (event.old_value, event.new_value) == ("Sol Second", "")
    assert event.reason == "Invited by mistake: the case is not known to the police."
    assert not visible(partner.user, Audit.objects.all()).exists()
    client.force_login(partner.user)
    assert client.get(audit.get_absolute_url()).status_code == 404
    assert client.post(reverse("audits:audit_autosave", args=[audit.pk]), {"revision": 1}).status_code == 404
    assert not selectors.due_for(partner.user)["to_complete"].exists()


def test_a_removal_without_a_reason_is_refused_next_to_the_field(client, people, audit):
    participant = services.participant_add(actor=people["qa_lead"].user, audit=audit, person=people["second_partner"])
    client.force_login(people["qa_lead"].user)
    response = remove(client, participant, "  ")
    assert response.status_code == 422
    assert REASON_REQUIRED in response.content.decode()
    assert AuditParticipant.objects.filter(pk=participant.pk).exists()


@pytest.mark.parametrize(
    ("make_audit", "who", "message"),
    [
        ("monthly", "second_partner", PARTICIPANTS_PARTNERSHIP_ONLY),
        ("partnership", "worker", PARTICIPANT_NOT_ELIGIBLE),
        ("partnership", "partner", PARTICIPANT_ALREADY),
    ],
    ids=["to-a-monthly-audit", "a-practitioner", "the-auditor-themself"],
)
def test_an_invitation_that_does_not_fit_is_refused_next_to_the_field(
    client, people, audit, own_area, tool_version, make_audit, who, message
):
    if make_audit == "monthly":
        audit = services.audit_create(
            actor=None,
            case_reference="C-8",
            service_area=own_area,
            auditor=people["manager"],
            tool_version=tool_version,
        )
    client.force_login(people["qa_lead"].user)
    response = invite(client, audit, people[who])
    assert response.status_code == 422
    assert response.context["participant_form"].errors["person"] == [message]
    assert not AuditParticipant.objects.exists()


def test_inviting_the_same_person_twice_is_refused(people, audit):
    services.participant_add(actor=None, audit=audit, person=people["second_partner"])
    with pytest.raises(ValidationError) as refused:
        services.participant_add(actor=None, audit=audit, person=people["second_partner"])
    assert refused.value.message_dict["person"] == [PARTICIPANT_ALREADY]
    assert AuditParticipant.objects.count() == 1


@pytest.mark.parametrize("who", ["manager", "lead", "partner"])
def test_only_the_qa_unit_invites_or_removes_contributors(client, people, audit, who):
    participant = services.participant_add(actor=None, audit=audit, person=people["second_partner"])
    client.force_login(people[who].user)
    assert invite(client, audit, people["qa_officer"]).status_code == 403
    assert remove(client, participant, "Not needed").status_code == 403
    assert list(AuditParticipant.objects.values_list("person", flat=True)) == [people["second_partner"].pk]


def test_an_audit_with_several_contributors_is_listed_once_to_its_areas_practice_manager(people, audit):
    for who in ("second_partner", "qa_officer"):
        services.participant_add(actor=None, audit=audit, person=people[who])
    assert list(visible(people["manager"].user, Audit.objects.all())) == [audit]


def test_an_invited_contributor_may_raise_a_safeguarding_concern(people, audit):
    partner = people["second_partner"]
    assert not can(partner.user, Action.RAISE_CONCERN, audit)
    services.participant_add(actor=None, audit=audit, person=partner)
    assert can(partner.user, Action.RAISE_CONCERN, audit)


def test_the_due_date_appears_in_the_allocation_message(people, own_area, tool_version):
    due = timezone.localdate() + timedelta(days=30)
    services.audit_create(
        actor=None,
        case_reference="C-9",
        service_area=own_area,
        auditor=people["manager"],
        tool_version=tool_version,
        due_on=due,
    )
    assert f"due by {due:%-d %B %Y}" in Notification.objects.get().body


# --- a partner auditor's list ---------------------------------------------------------------------


@pytest.mark.parametrize("scope", ["mine", "area"])
def test_a_partner_auditor_lists_only_their_own_audits_without_filters_or_exports(
    client, people, own_area, shared_version, scope
):
    partnership_audit(people, own_area, shared_version, reference="C-7001")  # Pat Partner's
    partnership_audit(people, own_area, shared_version, reference="C-7002", auditor="second_partner")
    client.force_login(people["partner"].user)

    response = client.get(reverse(f"audits:audit_list_{scope}"))

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "audits/audit_list_own.html"
    assert [row.record.case_reference for row in response.context["table"].page.object_list] == ["C-7001"]
    body = response.content.decode()
    assert "Export CSV" not in body and 'name="service_area"' not in body


def test_a_partner_auditor_with_no_audits_is_told_so(client, people):
    client.force_login(people["partner"].user)
    body = client.get(reverse("audits:audit_list_area")).content.decode()
    assert escape(NO_OWN_AUDITS) in body
    assert "<table" not in body
