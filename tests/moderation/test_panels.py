"""Moderation panels' services on PostgreSQL: the state machine, the dip sample (reproducible, every
Inadequate, stratified, size or share, by hand with reasons, disputed audits), re-grading that never
overwrites the auditor's grade, the outcome messages and the escalation chain."""

import random
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from audits import services as audit_services
from audits.models import AreaGrade, Audit, AuditEvent, Escalation
from moderation import panels
from moderation.models import ModerationDecision, Panel, PanelItem
from quality.org.models import ChangeRecord, Notification

from .panel_world import (
    all_areas,
    bulk_submitted,
    days_ago,
    drawn_by_hand,
    graded_audit,
    panel_in_session,
    planned_panel,
    schedule_panel,
)

pytestmark = pytest.mark.django_db

Reason = PanelItem.Reason


def refused(call, message):
    with pytest.raises(ValidationError) as error:
        call()
    assert message in error.value.messages
    return error.value


def random_ids(panel):
    return sorted(panel.items.filter(reason=Reason.RANDOM).values_list("audit_id", flat=True))


def draw(people, panel, **kwargs):
    kwargs.setdefault("sample_from", timezone.localdate() - timedelta(days=30))
    return panels.sample_draw(actor=people["qa_lead"].user, panel=panel, **kwargs)


# --- allocation across strata: worked out by hand ---------------------------------------------------


def test_allocation_is_proportional_to_each_stratums_share_of_the_pool():
    sizes = {(1, "good"): 50, (1, "requires_improvement"): 30, (2, "good"): 20}
    assert panels.allocate(sizes, 10, random.Random(1)) == {
        (1, "good"): 5,
        (1, "requires_improvement"): 3,
        (2, "good"): 2,
    }


def test_allocation_gives_every_stratum_at_least_one_place_when_the_size_allows():
    # Quotas 3, 1.5 and 0.5: whole parts 3, 1, 0; the small stratum is lifted to one.
    sizes = {(1, "good"): 6, (1, "inadequate"): 3, (2, "outstanding"): 1}
    assert panels.allocate(sizes, 5, random.Random(1)) == {(1, "good"): 3, (1, "inadequate"): 1, (2, "outstanding"): 1}


def test_allocation_takes_places_back_from_the_strata_most_above_their_quota():
    # Quotas 8.18, 0.91, 0.91: whole parts 8, 0, 0, lifted to 8, 1, 1 = 10 places, the size asked.
    sizes = {(1, "good"): 90, (2, "good"): 10, (3, "good"): 10}
    assert panels.allocate(sizes, 10, random.Random(1)) == {(1, "good"): 8, (2, "good"): 1, (3, "good"): 1}
    # Quotas 2.73, 0.14, 0.14: lifted to 2, 1, 1 = 4 with 3 asked, one comes back from the big stratum.
    sizes = {(1, "good"): 20, (2, "good"): 1, (3, "good"): 1}
    assert panels.allocate(sizes, 3, random.Random(1)) == {(1, "good"): 1, (2, "good"): 1, (3, "good"): 1}


def test_allocation_with_fewer_places_than_strata_goes_to_the_largest_and_never_past_the_pool():
    sizes = {(1, "good"): 5, (2, "good"): 1, (3, "good"): 1, (4, "good"): 1}
    assert panels.allocate(sizes, 1, random.Random(1)) == {
        (1, "good"): 1,
        (2, "good"): 0,
        (3, "good"): 0,
        (4, "good"): 0,
    }
    assert panels.allocate(sizes, 50, random.Random(1)) == sizes
    assert sum(panels.allocate({(k, "good"): 1 for k in range(6)}, 2, random.Random(3)).values()) == 2


def test_the_same_seed_and_pool_give_the_same_draw_in_any_order_and_another_seed_another_draw():
    rng = random.Random(0)
    pool = [(pk, rng.choice([1, 2, 3]), rng.choice(["good", "requires_improvement"])) for pk in range(1, 201)]
    first = panels.stratified_draw(pool, 20, seed=1234)
    shuffled = pool[:]
    random.Random(9).shuffle(shuffled)
    assert panels.stratified_draw(shuffled, 20, seed=1234) == first
    assert len(first) == 20 and set(first) <= {pk for pk, _, _ in pool}
    assert any(panels.stratified_draw(pool, 20, seed=seed) != first for seed in (1, 2, 3))


def test_the_random_count_is_the_size_or_the_share_rounded_up_never_more_than_the_pool():
    assert panels.random_count(12, size=4, share=None) == 4
    assert panels.random_count(3, size=4, share=None) == 3
    assert panels.random_count(12, size=None, share=25) == 3
    assert panels.random_count(12, size=None, share=10) == 2  # 1.2 rounded up
    assert panels.random_count(12, size=None, share=100) == 12
    assert panels.random_count(0, size=None, share=50) == 0


# --- the draw ---------------------------------------------------------------------------------------


@pytest.fixture
def pool(people, versions, own_area, other_area):
    """Own area: 6 Good, 3 Requires Improvement, 2 Inadequate; other area: 3 Good, 1 Inadequate."""
    own, other = versions[own_area.pk], versions[other_area.pk]
    return {
        "own_good": bulk_submitted(own, people["auditor"], {"good": 6}),
        "own_ri": bulk_submitted(own, people["auditor"], {"requires_improvement": 3}),
        "own_inadequate": bulk_submitted(own, people["auditor"], {"inadequate": 2}),
        "other_good": bulk_submitted(other, people["other_auditor"], {"good": 3}),
        "other_inadequate": bulk_submitted(other, people["other_auditor"], {"inadequate": 1}),
    }


def ids(*groups):
    return sorted(audit.pk for group in groups for audit in group)


def test_the_sample_holds_every_inadequate_audit_plus_the_random_part(people, pool):
    panel = draw(people, planned_panel(people), size=4, seed=7)
    inadequate = ids(pool["own_inadequate"], pool["other_inadequate"])
    assert sorted(panel.items.filter(reason=Reason.INADEQUATE).values_list("audit_id", flat=True)) == inadequate
    assert len(random_ids(panel)) == 4
    assert not set(random_ids(panel)) & set(inadequate)
    assert panel.state == Panel.State.SAMPLE_DRAWN
    assert (panel.seed, panel.sample_size, panel.sample_share, panel.sample_random_count) == (7, 4, None, 4)
    assert panel.sample_drawn_by == people["qa_lead"].user and panel.sample_drawn_at is not None
    assert sorted(entry[0] for entry in panel.sample_pool) == ids(pool["own_good"], pool["own_ri"], pool["other_good"])


def test_the_random_part_is_stratified_across_service_areas_and_grades(people, pool):
    # Pool of 12: own Good 6, own RI 3, other Good 3. Four places: quotas 2, 1 and 1.
    panel = draw(people, planned_panel(people), size=4, seed=99)
    drawn = set(random_ids(panel))
    assert len(drawn & set(ids(pool["own_good"]))) == 2
    assert len(drawn & set(ids(pool["own_ri"]))) == 1
    assert len(drawn & set(ids(pool["other_good"]))) == 1


@pytest.mark.parametrize(("share", "expected"), [(25, 3), (10, 2), (100, 12)])
def test_a_share_of_the_pool_is_rounded_up(people, pool, share, expected):
    panel = draw(people, planned_panel(people), share=share)
    assert len(random_ids(panel)) == expected
    assert (panel.sample_size, panel.sample_share) == (None, share)


def test_a_size_larger_than_the_pool_takes_the_whole_pool(people, pool):
    panel = draw(people, planned_panel(people), size=50)
    assert random_ids(panel) == ids(pool["own_good"], pool["own_ri"], pool["other_good"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size": 3, "share": 10}, panels.SIZE_OR_SHARE),
        ({}, panels.SIZE_OR_SHARE_REQUIRED),
        ({"size": 0}, panels.SIZE_POSITIVE),
        ({"share": 120}, panels.SHARE_RANGE),
    ],
)
def test_the_draw_needs_a_size_or_a_share_and_changes_nothing_when_refused(people, pool, kwargs, message):
    panel = planned_panel(people)
    refused(lambda: draw(people, panel, **kwargs), message)
    panel.refresh_from_db()
    assert panel.state == Panel.State.PLANNED and not panel.items.exists() and panel.seed is None


def test_the_same_seed_on_the_same_data_draws_the_same_audits_and_the_check_shows_it(people, pool):
    first = draw(people, planned_panel(people), size=5, seed=2026)
    check = panels.draw_check(first)
    assert check.reproduces and check.drawn == check.redrawn == random_ids(first)
    assert {row.drawn for row in check.strata} and sum(row.in_pool for row in check.strata) == 12

    # Put the data back as it was (the first sample taken out), then draw another panel with the seed.
    PanelItem.objects.filter(panel=first).update(removed_at=timezone.now(), removed_reason="test")
    second = draw(people, planned_panel(people, held_on=first.held_on + timedelta(days=1)), size=5, seed=2026)
    assert random_ids(second) == random_ids(first)
    assert panels.draw_check(first).reproduces  # items taken out later still count as drawn


def test_the_check_shows_a_draw_that_does_not_reproduce(people, pool):
    panel = draw(people, planned_panel(people), size=5, seed=2026)
    Panel.objects.filter(pk=panel.pk).update(seed=2027)
    panel.refresh_from_db()
    assert not panels.draw_check(panel).reproduces


def test_the_pool_leaves_out_drafts_reviews_ungraded_moderated_and_already_sampled_audits(
    people, versions, own_area, pool
):
    version = versions[own_area.pk]
    draft = bulk_submitted(version, people["auditor"], {"good": 1})[0]
    Audit.objects.filter(pk=draft.pk).update(state=Audit.State.DRAFT, submitted_at=None)
    review = bulk_submitted(version, people["auditor"], {"good": 1}, kind=Audit.Kind.REVIEW)[0]
    moderated = bulk_submitted(version, people["auditor"], {"good": 1})[0]
    ModerationDecision.objects.create(
        audit=moderated, source="panel", original_grade="good", moderated_grade="good", decided_on=timezone.localdate()
    )
    imported = bulk_submitted(version, people["auditor"], {"good": 1})[0]
    ModerationDecision.objects.create(
        audit=imported,
        source="imported",
        original_grade="good",
        moderated_grade="good",
        decided_on=timezone.localdate(),
    )
    reviewed_by_qa = bulk_submitted(version, people["auditor"], {"good": 1})[0]
    ModerationDecision.objects.create(
        audit=reviewed_by_qa,
        source="qa_review",
        original_grade="good",
        moderated_grade="good",
        decided_on=timezone.localdate(),
    )
    elsewhere = bulk_submitted(version, people["auditor"], {"good": 1})[0]
    drawn_by_hand(people, planned_panel(people), [elsewhere])
    old = bulk_submitted(version, people["auditor"], {"inadequate": 1}, submitted_at=days_ago(60))[0]

    panel = draw(people, planned_panel(people, held_on=timezone.localdate() + timedelta(days=8)), share=100)
    sampled = set(panel.items.values_list("audit_id", flat=True))
    assert not sampled & {draft.pk, review.pk, moderated.pk, imported.pk, elsewhere.pk, old.pk}
    assert reviewed_by_qa.pk in sampled  # QA's review of a grade is not a panel's moderation


def test_the_pool_starts_from_the_previous_panel_or_the_day_its_sample_was_drawn(people, versions, own_area):
    today = timezone.localdate()
    earlier = planned_panel(people, held_on=today - timedelta(days=20))
    later = planned_panel(people, held_on=today + timedelta(days=10))
    assert panels.default_sample_from(later) == earlier.held_on
    Panel.objects.filter(pk=earlier.pk).update(
        state=Panel.State.SAMPLE_DRAWN, sample_drawn_at=timezone.now() - timedelta(days=25)
    )
    assert panels.default_sample_from(later) == today - timedelta(days=25)

    version = versions[own_area.pk]
    before = bulk_submitted(version, people["auditor"], {"good": 1}, submitted_at=days_ago(30))[0]
    after = bulk_submitted(version, people["auditor"], {"good": 1}, submitted_at=days_ago(2))[0]
    panel = panels.sample_draw(actor=people["qa_lead"].user, panel=later, share=100)
    assert panel.sample_from == today - timedelta(days=25)
    assert set(panel.items.values_list("audit_id", flat=True)) == {after.pk}
    assert before.pk not in {entry[0] for entry in panel.sample_pool}


def test_the_first_panel_needs_a_from_date_and_an_empty_pool_is_refused(people, pool):
    panel = planned_panel(people)
    refused(lambda: panels.sample_draw(actor=people["qa_lead"].user, panel=panel, size=3), panels.FROM_DATE_REQUIRED)
    refused(
        lambda: draw(people, panel, size=3, sample_from=timezone.localdate() + timedelta(days=1)),
        panels.NOTHING_TO_SAMPLE,
    )


# --- by hand, and disputes --------------------------------------------------------------------------


def test_qa_adds_an_audit_by_hand_with_a_reason_and_the_reason_is_kept(people, versions, own_area, pool):
    panel = draw(people, planned_panel(people), size=2, seed=1)
    older = bulk_submitted(versions[own_area.pk], people["auditor"], {"good": 1}, submitted_at=days_ago(90))[0]
    refused(
        lambda: panels.sample_add(actor=people["qa_lead"].user, panel=panel, audit=older, reason="  "),
        panels.REASON_REQUIRED,
    )
    item = panels.sample_add(actor=people["qa_officer"].user, panel=panel, audit=older, reason="A complaint came in")
    assert (item.reason, item.note, item.added_by) == (Reason.ADDED, "A complaint came in", people["qa_officer"].user)
    assert ChangeRecord.objects.filter(action="panel.sample_add", target_id=panel.pk, reason="A complaint came in")
    refused(
        lambda: panels.sample_add(actor=people["qa_lead"].user, panel=panel, audit=older, reason="Again"),
        panels.ALREADY_IN_SAMPLE,
    )


def test_an_audit_cannot_be_added_twice_across_open_panels_nor_if_it_cannot_be_moderated(
    people, versions, own_area, pool
):
    version = versions[own_area.pk]
    audit = bulk_submitted(version, people["auditor"], {"good": 1}, submitted_at=days_ago(90))[0]
    first = drawn_by_hand(people, planned_panel(people), [audit])
    second = drawn_by_hand(people, planned_panel(people, held_on=first.held_on + timedelta(days=1)), [])
    refused(
        lambda: panels.sample_add(actor=people["qa_lead"].user, panel=second, audit=audit, reason="Why not"),
        panels.IN_ANOTHER_SAMPLE,
    )
    review = bulk_submitted(version, people["auditor"], {"good": 1}, kind=Audit.Kind.REVIEW)[0]
    refused(
        lambda: panels.sample_add(actor=people["qa_lead"].user, panel=second, audit=review, reason="Why not"),
        panels.NOT_SAMPLEABLE,
    )
    planned = planned_panel(people)
    refused(
        lambda: panels.sample_add(actor=people["qa_lead"].user, panel=planned, audit=audit, reason="Early"),
        panels.SAMPLE_CLOSED,
    )


def test_qa_takes_an_audit_out_with_a_reason_kept_with_who_and_when_and_it_returns_to_the_pool(people, pool):
    panel = draw(people, planned_panel(people), size=2, seed=1)
    item = panel.items.filter(reason=Reason.RANDOM).first()
    refused(lambda: panels.sample_remove(actor=people["qa_lead"].user, item=item, reason=""), panels.REASON_REQUIRED)
    removed = panels.sample_remove(actor=people["qa_lead"].user, item=item, reason="Audited twice this year")
    assert removed.removed_by == people["qa_lead"].user and removed.removed_at is not None
    assert removed.removed_reason == "Audited twice this year"
    assert PanelItem.objects.filter(pk=item.pk).exists()  # kept, marked removed
    assert panels.awaiting_moderation().filter(pk=item.audit_id).exists()
    refused(lambda: panels.sample_remove(actor=people["qa_lead"].user, item=item, reason="Again"), panels.ITEM_REMOVED)


def test_a_disputed_audit_joins_the_next_planned_panel_when_its_sample_is_drawn(people, versions, own_area):
    audit = graded_audit(versions[own_area.pk], people["auditor"], "good")
    Audit.objects.filter(pk=audit.pk).update(submitted_at=days_ago(80))  # long before the panels
    panel = planned_panel(people)
    audit_services.audit_dispute(actor=people["lead"].user, audit=audit, reason="The outcomes are not shown")
    assert not PanelItem.objects.filter(audit=audit).exists()  # planned: it joins when the sample is drawn
    bulk_submitted(versions[own_area.pk], people["auditor"], {"good": 2})
    panel = draw(people, panel, size=1, seed=3)
    assert panel.items.get(audit=audit).reason == Reason.DISPUTED


def test_a_dispute_raised_after_the_sample_is_drawn_joins_that_sample_at_once(people, versions, own_area, pool):
    panel = draw(people, planned_panel(people), size=2, seed=3)
    audit = graded_audit(versions[own_area.pk], people["auditor"], "good")
    audit_services.audit_dispute(actor=people["lead"].user, audit=audit, reason="The outcomes are not shown")
    item = panel.items.get(audit=audit)
    assert (item.reason, item.added_by, item.blind) == (Reason.DISPUTED, None, panel.blind)


def test_a_dispute_with_no_panel_coming_or_a_panel_in_session_adds_nothing(people, versions, own_area):
    audit = graded_audit(versions[own_area.pk], people["auditor"], "good")
    audit_services.audit_dispute(actor=people["lead"].user, audit=audit, reason="No panel planned")
    assert not PanelItem.objects.exists()
    other = graded_audit(versions[own_area.pk], people["auditor"], "good")
    panel_in_session(people, [graded_audit(versions[own_area.pk], people["auditor"], "good")])
    audit_services.audit_dispute(actor=people["lead"].user, audit=other, reason="Panel already sitting")
    assert not PanelItem.objects.filter(audit=other).exists()


# --- the state machine ------------------------------------------------------------------------------


def test_a_panel_moves_only_forward_each_step_recording_who_and_when(people, versions, own_area):
    audit = graded_audit(versions[own_area.pk], people["auditor"], "good")
    panel = planned_panel(people)
    qa = people["qa_lead"].user
    refused(lambda: panels.panel_open(actor=qa, panel=panel), panels.NOT_READY_TO_OPEN)
    refused(lambda: panels.panel_conclude(actor=qa, panel=panel), panels.NOT_IN_SESSION)
    panel = draw(people, panel, size=1)
    refused(lambda: draw(people, panel, size=1), panels.NOT_PLANNED)
    panel = panels.panel_open(actor=people["qa_officer"].user, panel=panel)
    assert (panel.state, panel.opened_by) == (Panel.State.IN_SESSION, people["qa_officer"].user)
    refused(lambda: panels.panel_open(actor=qa, panel=panel), panels.NOT_READY_TO_OPEN)
    refused(
        lambda: panels.panel_update(actor=qa, panel=panel, kind="monthly", members=[people["moderator"]]),
        panels.PANEL_NOT_EDITABLE,
    )
    item = panel.items.get(audit=audit)
    panels.decision_record(actor=qa, item=item, moderated_grade="good", area_grades=all_areas("good"), rationale="Fair")
    panel = panels.panel_conclude(actor=qa, panel=panel)
    assert (panel.state, panel.concluded_by) == (Panel.State.CONCLUDED, qa) and panel.concluded_at
    refused(lambda: panels.panel_conclude(actor=qa, panel=panel), panels.NOT_IN_SESSION)
    refused(
        lambda: panels.decision_record(
            actor=qa, item=item, moderated_grade="inadequate", area_grades=all_areas("good"), rationale="Later"
        ),
        panels.NOT_IN_SESSION,
    )
    steps = ChangeRecord.objects.filter(target_id=panel.pk, action__startswith="panel.").values_list(
        "action", flat=True
    )
    assert {"panel.create", "panel.sample_draw", "panel.open", "panel.conclude"} <= set(steps)


def test_an_empty_sample_cannot_open_and_undecided_audits_stop_the_conclusion(people, versions, own_area):
    empty = drawn_by_hand(people, planned_panel(people), [])
    refused(lambda: panels.panel_open(actor=people["qa_lead"].user, panel=empty), panels.EMPTY_SAMPLE)
    audits = [graded_audit(versions[own_area.pk], people["auditor"], "good") for _ in range(2)]
    panel = panel_in_session(people, audits)
    refused(
        lambda: panels.panel_conclude(actor=people["qa_lead"].user, panel=panel), panels.UNDECIDED_ITEMS.format(count=2)
    )
    for item in panel.items.all():  # taken out with a reason, they no longer stop it
        panels.sample_remove(actor=people["qa_lead"].user, item=item, reason="Not ready to discuss")
    assert panels.panel_conclude(actor=people["qa_lead"].user, panel=panel).state == Panel.State.CONCLUDED


def test_panel_members_must_be_moderators_or_the_qa_unit_and_a_date_is_needed(people):
    qa = people["qa_lead"].user
    refused(
        lambda: panels.panel_create(actor=qa, kind="monthly", held_on=timezone.localdate(), members=[]),
        panels.MEMBERS_REQUIRED,
    )
    refused(
        lambda: panels.panel_create(actor=qa, kind="monthly", held_on=timezone.localdate(), members=[people["lead"]]),
        panels.MEMBER_NOT_ELIGIBLE,
    )
    refused(lambda: panels.panel_create(actor=qa, kind="monthly", members=[people["moderator"]]), panels.DATE_REQUIRED)
    entry = schedule_panel(timezone.localdate() + timedelta(days=5))
    panel = panels.panel_create(actor=qa, kind="quarterly", members=[people["moderator"]], schedule_entry=entry)
    assert (panel.held_on, panel.starts_at, panel.ends_at) == (entry.starts_on, entry.starts_at, entry.ends_at)
    assert entry not in panels.panel_entries()  # taken


# --- re-grading -------------------------------------------------------------------------------------


@pytest.fixture
def session(people, versions, own_area):
    audit = graded_audit(versions[own_area.pk], people["auditor"], "good", case_holder=people["worker"])
    panel = panel_in_session(people, [audit])
    return panel, panel.items.get(audit=audit), audit


def test_a_decision_keeps_the_auditors_grades_and_sets_the_moderated_grade_with_an_event(people, session):
    panel, item, audit = session
    area_grades = all_areas("requires_improvement") | {"relationship": "good"}
    decision = panels.decision_record(
        actor=people["moderator"].user,
        item=item,
        moderated_grade="requires_improvement",
        area_grades=area_grades,
        rationale="Outcomes for the child are not yet shown.",
        feedback="Look for the difference made, not the visits made.",
    )
    audit.refresh_from_db()
    assert audit.overall_grade == "good"  # never overwritten
    assert set(AreaGrade.objects.filter(audit=audit).values_list("grade", flat=True)) == {"good"}
    assert (audit.moderated_grade, audit.final_grade) == ("requires_improvement", "requires_improvement")
    assert (decision.source, decision.panel, decision.original_grade, decision.moderated_grade) == (
        "panel",
        panel,
        "good",
        "requires_improvement",
    )
    assert (decision.decided_on, decision.decided_by, decision.recorded_by) == (
        panel.held_on,
        people["moderator"],
        people["moderator"].user,
    )
    rows = {g.area: (g.original_grade, g.moderated_grade) for g in decision.area_grades.all()}
    assert rows["relationship"] == ("good", "good") and rows["planning"] == ("good", "requires_improvement")
    assert len(rows) == 7
    item.refresh_from_db()
    assert item.decision == decision
    event = AuditEvent.objects.get(audit=audit, what="moderated_grade")
    assert (event.actor, event.old_value, event.new_value) == (people["moderator"].user, "", "requires_improvement")
    assert event.reason == "Outcomes for the child are not yet shown."


def test_a_correction_in_session_supersedes_the_decision_keeps_it_and_records_the_change(people, session):
    _, item, audit = session
    record = dict(actor=people["qa_lead"].user, item=item, rationale="Second look")
    first = panels.decision_record(moderated_grade="requires_improvement", area_grades=all_areas("good"), **record)
    item.refresh_from_db()
    second = panels.decision_record(moderated_grade="inadequate", area_grades=all_areas("inadequate"), **record)
    item.refresh_from_db()
    assert (item.decision, second.supersedes) == (second, first)
    assert list(ModerationDecision.objects.standing().filter(audit=audit)) == [second]
    first.refresh_from_db()  # kept as it was decided
    assert first.moderated_grade == "requires_improvement"
    assert set(first.area_grades.values_list("moderated_grade", flat=True)) == {"good"}
    assert set(second.area_grades.values_list("moderated_grade", flat=True)) == {"inadequate"}
    assert list(
        AuditEvent.objects.filter(audit=audit, what="moderated_grade").values_list("old_value", "new_value")
    ) == [
        ("", "requires_improvement"),
        ("requires_improvement", "inadequate"),
    ]
    assert Audit.objects.get(pk=audit.pk).overall_grade == "good"


def test_the_same_decision_saved_again_adds_nothing(people, session):
    _, item, audit = session
    record = dict(actor=people["qa_lead"].user, item=item, moderated_grade="good", area_grades=all_areas("good"))
    first = panels.decision_record(rationale="Clear plan", **record)
    item.refresh_from_db()
    again = panels.decision_record(rationale=" Clear plan ", **record)
    assert again == first
    assert ModerationDecision.objects.filter(audit=audit).count() == 1
    assert AuditEvent.objects.filter(audit=audit, what="moderated_grade").count() == 1


def test_only_members_and_the_qa_unit_record_and_every_graded_area_needs_a_grade(people, session):
    _, item, audit = session
    refused(
        lambda: panels.decision_record(
            actor=people["other_moderator"].user,
            item=item,
            moderated_grade="good",
            area_grades=all_areas("good"),
            rationale="x",
        ),
        panels.NOT_A_MEMBER,
    )
    error = refused(
        lambda: panels.decision_record(
            actor=people["moderator"].user,
            item=item,
            moderated_grade="",
            area_grades=all_areas("good") | {"planning": ""},
            rationale=" ",
        ),
        panels.GRADE_REQUIRED,
    )
    assert error.message_dict["area_planning"] == [panels.AREA_GRADE_REQUIRED]
    assert error.message_dict["rationale"] == [panels.RATIONALE_REQUIRED]
    assert not ModerationDecision.objects.exists() and Audit.objects.get(pk=audit.pk).moderated_grade == ""


def test_blind_items_hide_grades_until_decided_and_cannot_be_unblinded_after(people, session):
    _, item, _ = session
    item = panels.item_set_blind(actor=people["qa_lead"].user, item=item, blind=True)
    assert item.grades_hidden
    panels.decision_record(
        actor=people["moderator"].user, item=item, moderated_grade="good", area_grades=all_areas("good"), rationale="x"
    )
    item.refresh_from_db()
    assert item.blind and not item.grades_hidden
    refused(
        lambda: panels.item_set_blind(actor=people["qa_lead"].user, item=item, blind=False), panels.BLIND_AFTER_DECISION
    )
    refused(lambda: panels.sample_remove(actor=people["qa_lead"].user, item=item, reason="x"), panels.ITEM_DECIDED)


def test_making_the_panel_blind_after_its_sample_is_drawn_makes_the_sample_blind(people, versions, own_area):
    audit = graded_audit(versions[own_area.pk], people["auditor"], "good")
    panel = drawn_by_hand(people, planned_panel(people), [audit])
    item = panel.items.get()
    assert not item.grades_hidden

    def update(blind):
        members = list(panel.members.all())
        panels.panel_update(
            actor=people["qa_lead"].user,
            panel=panel,
            kind="monthly",
            members=members,
            held_on=panel.held_on,
            blind=blind,
        )
        item.refresh_from_db()

    update(True)
    assert item.grades_hidden
    update(False)
    assert not item.blind


# --- concluding: messages and escalations -----------------------------------------------------------


def test_concluding_tells_each_auditor_and_service_lead_once_with_feedback_for_the_auditor(
    people, versions, own_area, other_area
):
    mine = [graded_audit(versions[own_area.pk], people["auditor"], "good") for _ in range(2)]
    theirs = graded_audit(versions[other_area.pk], people["other_auditor"], "outstanding")
    panel = panel_in_session(people, [*mine, theirs])
    for item in panel.items.all():
        panels.decision_record(
            actor=people["qa_lead"].user,
            item=item,
            moderated_grade="requires_improvement" if item.audit in mine else "outstanding",
            area_grades=all_areas("good"),
            rationale="Agreed by the panel",
            feedback="Evidence the child's lived experience." if item.audit in mine else "",
        )
    Notification.objects.all().delete()
    mail.outbox.clear()
    panels.panel_conclude(actor=people["qa_lead"].user, panel=panel)

    def told(who):
        return list(Notification.objects.filter(recipient=people[who].user))

    auditor, lead, other_auditor, other_lead = (told(w) for w in ("auditor", "lead", "other_auditor", "other_lead"))
    assert [len(x) for x in (auditor, lead, other_auditor, other_lead)] == [1, 1, 1, 1]
    for case in mine:
        assert case.case_reference in auditor[0].body and case.case_reference in lead[0].body
        assert case.case_reference not in other_lead[0].body
    assert "auditor's grade Good, moderated grade Requires Improvement" in auditor[0].body
    assert "Evidence the child's lived experience." in auditor[0].body
    assert "Evidence the child's lived experience." not in lead[0].body
    assert theirs.case_reference in other_auditor[0].body and other_auditor[0].url == theirs.get_absolute_url()
    assert not told("worker") and not told("moderator")
    assert len(mail.outbox) == 0  # sent after the commit (the test's transaction never commits)


def test_an_inadequate_grade_the_panel_confirms_is_escalated(people, versions, own_area):
    audit = graded_audit(versions[own_area.pk], people["auditor"], "inadequate")
    assert Escalation.objects.get(audit=audit).stage == Escalation.Stage.AWAITING_MODERATION
    panel = panel_in_session(people, [audit])
    panels.decision_record(
        actor=people["qa_lead"].user,
        item=panel.items.get(),
        moderated_grade="inadequate",
        area_grades=all_areas("inadequate"),
        rationale="The child is not safe.",
    )
    assert Escalation.objects.get(audit=audit).stage == Escalation.Stage.AWAITING_MODERATION  # until concluded
    panels.panel_conclude(actor=people["qa_lead"].user, panel=panel)
    escalation = Escalation.objects.get(audit=audit)
    assert escalation.stage == Escalation.Stage.ESCALATED and escalation.first_update_due is not None
    assert Notification.objects.filter(recipient=people["head"].user, subject__contains="escalated").exists()
    # The panel's decision is the moderation record: escalating adds no second (QA review) decision.
    assert list(audit.moderations.values_list("source", flat=True)) == ["panel"]


def test_a_grade_the_panel_moves_to_inadequate_opens_and_escalates_the_chain(people, versions, own_area):
    audit = graded_audit(versions[own_area.pk], people["auditor"], "good")
    panel = panel_in_session(people, [audit])
    panels.decision_record(
        actor=people["qa_lead"].user,
        item=panel.items.get(),
        moderated_grade="inadequate",
        area_grades=all_areas("inadequate"),
        rationale="Risks missed.",
    )
    panels.panel_conclude(actor=people["qa_lead"].user, panel=panel)
    assert Escalation.objects.get(audit=audit, kind="inadequate").stage == Escalation.Stage.ESCALATED
    # Opened and escalated at once: QA is not asked to moderate what the panel just moderated.
    assert not Notification.objects.filter(subject__startswith="Inadequate grade to moderate").exists()
    # The auditor graded it Good: they are told moderation graded it Inadequate, not that QA "confirmed" it.
    told = Notification.objects.filter(recipient=people["auditor"].user).values_list("subject", flat=True)
    assert f"Moderation graded your audit Inadequate: case {audit.case_reference}" in told
    assert not any(subject.startswith("QA confirmed your Inadequate grade") for subject in told)
    assert Audit.objects.get(pk=audit.pk).overall_grade == "good"


def test_an_inadequate_grade_the_panel_changes_withdraws_the_chain_awaiting_review(people, versions, own_area):
    audit = graded_audit(versions[own_area.pk], people["auditor"], "inadequate")
    panel = panel_in_session(people, [audit])
    panels.decision_record(
        actor=people["qa_lead"].user,
        item=panel.items.get(),
        moderated_grade="requires_improvement",
        area_grades=all_areas("requires_improvement"),
        rationale="Safe, but the plan is weak.",
    )
    panels.panel_conclude(actor=people["qa_lead"].user, panel=panel)
    assert Escalation.objects.get(audit=audit, kind="inadequate").stage == Escalation.Stage.WITHDRAWN
    assert Audit.objects.get(pk=audit.pk).final_grade == "requires_improvement"
