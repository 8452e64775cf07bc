"""A whole month of the cycle, day by day, with the three daily jobs run as beat runs them.

November 2026: nothing is allocated before the 3rd; on the 3rd the proposal is made once (the
job runs every day, and twice on the 3rd); QA distributes it; one auditor submits an Inadequate
audit on the 10th and QA confirms the grade on the 11th; the other auditor never finishes. Then
the reminders come 3 days before the 28th, on it and once overdue, the audit is on the overdue
list only from the 29th, the re-audit is allocated on 11 December and not a day earlier, and
December's own allocation is proposed on 3 December.
"""

from datetime import date, timedelta

import pytest
from freezegun import freeze_time

from audits import services
from audits.cycle import allocation
from audits.cycle.deadlines import Deadline, overdue_audits
from audits.models import Allocation, Audit, Case, Escalation, LegalStatus, ScheduleEntry
from audits.tasks import propose_monthly_allocation, run_escalation_deadlines, send_cycle_reminders
from moderation import qa_review
from quality.org.models import Notification, Role

NOVEMBER, DECEMBER = date(2026, 11, 1), date(2026, 12, 1)


def days(first: date, last: date):
    while first <= last:
        yield first
        first += timedelta(days=1)


def run_the_daily_jobs() -> None:
    """In beat's order (06:00, 06:30, 07:00): the task functions themselves, as a worker calls them."""
    propose_monthly_allocation()
    run_escalation_deadlines()
    send_cycle_reminders()


@pytest.fixture
def cycle(practice_manager, service_lead, qa_lead, head_of_service, tool_version, make_person, own_area, own_team):
    # The cast has one practice manager in the own area; the cycle shares its cases between two.
    people = {
        "pm1": practice_manager,
        "pm2": make_person(Role.PRACTICE_MANAGER, own_area, full_name="Sam Manager"),
        "lead": service_lead,
        "qa": qa_lead,
        "head": head_of_service,
    }
    workers = [make_person(Role.PRACTITIONER, own_area, full_name=f"Worker {n}") for n in range(3)]
    for number in range(8):
        Case.objects.create(
            child_ref=f"CY{1000 + number}",
            service_area=own_area,
            team=own_team,
            worker=workers[number % 3],
            legal_status=LegalStatus.CP if number % 2 else LegalStatus.CIN,
            open_since=date(2025, 1, 1),
        )
    ScheduleEntry.objects.create(
        kind=ScheduleEntry.Kind.THEME,
        title="Neglect",
        starts_on=NOVEMBER,
        ends_on=date(2026, 11, 30),
        audit_kind=Audit.Kind.MONTHLY,
        legal_statuses=[LegalStatus.CP],
    )
    return people


def submit_inadequate(audit: Audit) -> None:
    fields = {
        "overall_grade": "inadequate",
        "discussion_held": True,
        "discussion_on": date(2026, 11, 9),
        "child_contacted": True,
        "family_contacted": True,
        "strengths": "The worker visits often.",
        "areas_for_improvement": "Risks of neglect were not recognised.",
    }
    answers = services.seven_area_answers("inadequate", "Seen on the file.")
    audit = services.audit_save_draft(
        actor=audit.auditor.user, audit=audit, revision=audit.revision, answers=answers, fields=fields
    )
    services.audit_submit(actor=audit.auditor.user, audit=audit)


def subjects_for(person, day: date) -> list[str]:
    return list(
        Notification.objects.filter(recipient=person.user, created_at__date=day)
        .filter(subject__startswith="Audit deadline")
        .values_list("subject", flat=True)
    )


def test_a_month_of_the_cycle_runs_itself_on_time_and_only_once(cycle):
    qa, pm1, pm2 = cycle["qa"], cycle["pm1"], cycle["pm2"]
    for day in days(NOVEMBER, date(2026, 11, 2)):
        with freeze_time(f"{day} 06:00"):
            run_the_daily_jobs()
    assert not Allocation.objects.exists(), "nothing is allocated before the 3rd"

    with freeze_time("2026-11-03 06:00"):
        run_the_daily_jobs()
        run_the_daily_jobs()  # delivered twice: still one proposal
        proposal = Allocation.objects.get()
        assert proposal.month == NOVEMBER and proposal.state == Allocation.State.PROPOSED
        assert {item.auditor for item in proposal.items.all()} == {pm1, pm2}
        assert all(item.case.legal_status == LegalStatus.CP for item in proposal.items.all())  # the theme
    with freeze_time("2026-11-03 10:00"):
        allocation.allocation_distribute(actor=qa.user, allocation=proposal)
    audits = {audit.auditor: audit for audit in Audit.objects.all()}
    assert set(audits) == {pm1, pm2}
    for audit in audits.values():
        assert (audit.due_on, audit.oversight_due_on, audit.record_due_on) == (
            date(2026, 11, 28),
            date(2026, 12, 5),
            date(2026, 12, 6),
        )

    first_reaudit_day = None
    overdue_from = None
    for day in days(date(2026, 11, 4), date(2026, 12, 12)):
        with freeze_time(f"{day} 06:00"):
            run_the_daily_jobs()
            if day == date(2026, 11, 10):
                submit_inadequate(audits[pm1])
            if day == date(2026, 11, 11):
                escalation = Escalation.objects.get(audit=audits[pm1], kind=Escalation.Kind.INADEQUATE)
                qa_review.escalation_review(
                    actor=qa.user, escalation=escalation, decision="confirm", rationale="The grade stands."
                )
            if first_reaudit_day is None and Audit.objects.filter(reaudit_of=audits[pm1]).exists():
                first_reaudit_day = day
            if overdue_from is None and overdue_audits(qa.user, Deadline.COMPLETION, today=day).exists():
                overdue_from = day

    # The auditor who never finished is reminded three times, each once, on the right days.
    reminders = {day: subjects_for(pm2, day) for day in days(date(2026, 11, 4), date(2026, 12, 12))}
    assert {day: s for day, s in reminders.items() if s} == {
        date(2026, 11, 25): [f"Audit deadline coming up: case {audits[pm2].case_reference}"],
        date(2026, 11, 28): [f"Audit deadline due today: case {audits[pm2].case_reference}"],
        date(2026, 11, 29): [f"Audit deadline overdue: case {audits[pm2].case_reference}"],
    }
    assert overdue_from == date(2026, 11, 29)
    assert list(overdue_audits(qa.user, Deadline.COMPLETION, today=date(2026, 12, 12))) == [audits[pm2]]

    # The re-audit comes a month after QA confirmed the grade, once.
    assert first_reaudit_day == date(2026, 12, 11)
    reaudit = Audit.objects.get(reaudit_of=audits[pm1])
    assert (reaudit.kind, reaudit.case_reference) == (Audit.Kind.RE_AUDIT, audits[pm1].case_reference)

    # December's allocation was proposed on 3 December, and November's was never proposed again.
    assert list(Allocation.objects.order_by("month").values_list("month", flat=True)) == [NOVEMBER, DECEMBER]
