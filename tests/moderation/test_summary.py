"""Moderation summaries on PostgreSQL (moderation/selectors.py) and `manage.py moderation_summary`.

Which decisions count: dated in the range with both ends included, of any source (panel, QA review,
imported history: alike), the latest per audit, narrowed by area, auditor and what the viewer may
see; ungraded ones apart. The counting is one grouped query whatever the number of decisions.
"""

import csv
import io
import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from moderation import statistics
from moderation.management.commands.moderation_summary import AREA_UNKNOWN, RANGE_BACKWARDS
from moderation.selectors import calibration, decision_list, decisions_in, summary
from quality.org.models import Role
from tests.factories import published_tool_version

from .outcome_world import Source, audit, decide, table

pytestmark = pytest.mark.django_db

Q3_FROM, Q3_TO = date(2026, 7, 1), date(2026, 9, 30)
SEED_2022 = [[2, 1, 0, 0], [0, 80, 25, 0], [0, 6, 40, 3], [0, 0, 6, 6]]  # 3/105/49/12 -> 2/87/71/9
JSON_KEYS = {
    "date_from",
    "date_to",
    "service_area",
    "auditor",
    "panel",
    "moderated",
    "original",
    "moderated_grades",
    "matrix",
    "exact_agreement_pct",
    "within_one_pct",
    "upgraded",
    "downgraded",
    "weighted_kappa",
    "weighted_kappa_ci95",
    "kappa_reading",
    "small_sample_warning",
    "ungraded",
}


@pytest.fixture
def version(db):
    return published_tool_version()


@pytest.fixture
def auditors(make_person, own_area, other_manager):
    """Two auditors in the own area besides the shared cast's other manager, by name: the calibration
    rows are ordered and read by name."""
    return {
        "own": make_person(Role.PRACTICE_MANAGER, own_area, full_name="Mona Manager"),
        "own2": make_person(Role.PRACTICE_MANAGER, own_area, full_name="Abe Auditor"),
        "other": other_manager,
    }


def figures(**kwargs):
    return summary(decisions_in(Q3_FROM, Q3_TO, **kwargs))


def test_the_summary_has_the_fields_of_the_issue_keyed_by_grade_best_first(version, own_area, auditors):
    decide(audit(version, own_area, auditors["own"], "C-1"), "good", "requires_improvement", date(2026, 8, 1))

    result = figures()

    assert set(result) == JSON_KEYS
    assert list(result["original"]) == list(statistics.GRADES)
    assert list(result["moderated_grades"]) == list(statistics.GRADES)
    assert list(result["matrix"]) == list(statistics.GRADES)
    assert all(list(row) == list(statistics.GRADES) for row in result["matrix"].values())
    assert result["matrix"]["good"]["requires_improvement"] == 1
    assert (result["date_from"], result["date_to"], result["service_area"]) == ("2026-07-01", "2026-09-30", None)
    assert result["small_sample_warning"].startswith("Only 1 moderated audit ")
    json.dumps(result)  # plain data, ready for the JSON file


def test_the_2022_panel_figures_match_when_loaded_as_decisions(version, own_area, auditors):
    table(version, own_area, auditors["own"], SEED_2022, date(2026, 8, 14), "S")

    result = figures()

    assert result["moderated"] == 169
    assert list(result["original"].values()) == [3, 105, 49, 12]
    assert list(result["moderated_grades"].values()) == [2, 87, 71, 9]
    assert [list(row.values()) for row in result["matrix"].values()] == SEED_2022
    assert (result["upgraded"], result["downgraded"]) == (12, 29)
    assert result["exact_agreement_pct"] == 75.7  # 128 / 169, one decimal place
    assert result["within_one_pct"] == 100.0
    assert result["weighted_kappa"] == 0.62  # 0.6200 (statsmodels: 0.6200164519)
    assert result["weighted_kappa_ci95"] == [0.518, 0.722]
    assert result["kappa_reading"].startswith("Substantial agreement")
    assert result["small_sample_warning"] is None


def test_imported_and_qa_review_decisions_count_exactly_like_panel_ones(version, own_area, auditors):
    rows = [[1, 1, 0, 0], [0, 4, 3, 0], [0, 2, 5, 1], [0, 0, 1, 2]]
    table(version, own_area, auditors["own"], rows, date(2026, 7, 10), "P", source=Source.PANEL)
    panel_only = figures()
    table(version, own_area, auditors["own"], rows, date(2026, 8, 10), "I", source=Source.IMPORTED)
    table(version, own_area, auditors["own"], rows, date(2026, 9, 10), "Q", source=Source.QA_REVIEW)

    tripled = figures()

    assert tripled["moderated"] == 3 * panel_only["moderated"]
    assert tripled["matrix"] == {
        original: {moderated: 3 * count for moderated, count in row.items()}
        for original, row in panel_only["matrix"].items()
    }
    assert tripled["weighted_kappa"] == panel_only["weighted_kappa"]  # the same table, three times over


def test_audits_moderated_in_the_imported_history_count_beside_the_portals_own(version, own_area, auditors):
    from moderation.history_import import audit_history_import

    email = auditors["own"].user.email
    history = (
        "reference,child_ref,service_area,kind,theme,auditor,completed_on,grade,practitioner_discussion,"
        "moderated_grade,moderated_on\n"
        f"QA-1,C1001,SWF,monthly,Neglect,{email},2026-07-03,Good,yes,RI,2026-07-20\n"
        f"QA-2,C1002,SWF,monthly,Neglect,{email},2026-07-03,Inadequate,yes,Requires Improvement,2026-08-20\n"
        f"QA-3,C1003,SWF,monthly,Neglect,{email},2026-07-03,Good,yes,,\n"
    )
    audit_history_import(actor=None, content=history.encode(), file_name="history.csv")
    decide(audit(version, own_area, auditors["own"], "C-7"), "good", "requires_improvement", date(2026, 9, 1))

    result = figures()

    assert result["moderated"] == 3
    assert result["matrix"]["good"]["requires_improvement"] == 2  # one imported, one from a panel
    assert result["matrix"]["inadequate"]["requires_improvement"] == 1
    assert (result["upgraded"], result["downgraded"]) == (1, 2)


def test_both_ends_of_the_range_are_included_and_the_days_outside_are_not(version, own_area, auditors):
    for day, reference in (
        (date(2026, 6, 30), "before"),
        (Q3_FROM, "first"),
        (Q3_TO, "last"),
        (date(2026, 10, 1), "after"),
    ):
        decide(audit(version, own_area, auditors["own"], reference), "good", "good", day)

    assert figures()["moderated"] == 2
    assert {d.audit.case_reference for d in decision_list(decisions_in(Q3_FROM, Q3_TO))} == {"first", "last"}
    assert summary(decisions_in(Q3_FROM, Q3_FROM))["moderated"] == 1


def test_an_audit_moderated_twice_in_the_range_counts_once_by_its_latest_decision(version, own_area, auditors):
    twice = audit(version, own_area, auditors["own"], "C-2", grade="inadequate")
    decide(twice, "inadequate", "inadequate", date(2026, 7, 5), source=Source.QA_REVIEW)  # QA confirms
    decide(twice, "inadequate", "requires_improvement", date(2026, 7, 20))  # the panel moves it up
    same_day = audit(version, own_area, auditors["own"], "C-3")
    decide(same_day, "good", "outstanding", date(2026, 8, 3))
    decide(same_day, "good", "good", date(2026, 8, 3))  # recorded last on the same day: it counts

    result = figures()

    assert result["moderated"] == 2
    assert result["matrix"]["inadequate"]["requires_improvement"] == 1
    assert result["matrix"]["inadequate"]["inadequate"] == 0
    assert result["matrix"]["good"]["good"] == 1
    assert result["upgraded"] == 1


def test_the_latest_decision_is_the_latest_inside_the_range(version, own_area, auditors):
    moderated = audit(version, own_area, auditors["own"], "C-4")
    decide(moderated, "good", "requires_improvement", date(2026, 8, 1))
    decide(moderated, "good", "good", date(2026, 10, 15))  # after the range: the August one still counts

    result = figures()

    assert result["matrix"]["good"]["requires_improvement"] == 1
    assert result["downgraded"] == 1
    assert summary(decisions_in(date(2026, 10, 1), date(2026, 10, 31)))["matrix"]["good"]["good"] == 1


def test_ungraded_reviews_are_counted_apart_and_left_out_of_the_statistics(version, own_area, auditors):
    decide(audit(version, own_area, auditors["own"], "R-1", grade=""), "", "good", date(2026, 8, 1))
    decide(audit(version, own_area, auditors["own"], "C-5"), "good", "good", date(2026, 8, 1))

    result = figures()

    assert result["moderated"] == 1
    assert result["ungraded"] == 1
    assert result["moderated_grades"]["good"] == 1


def test_the_service_area_and_auditor_narrow_the_decisions(version, own_area, other_area, auditors):
    table(version, own_area, auditors["own"], [[0, 0, 0, 0], [0, 2, 1, 0], [0, 0, 0, 0], [0, 0, 0, 0]], Q3_FROM, "A")
    table(version, own_area, auditors["own2"], [[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]], Q3_FROM, "B")
    table(version, other_area, auditors["other"], [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 4, 0], [0, 0, 0, 0]], Q3_TO, "C")

    assert figures()["moderated"] == 8
    own = figures(service_area=own_area)
    assert own["moderated"] == 4
    assert own["service_area"] == "SWF"
    assert own["original"]["requires_improvement"] == 0
    assert figures(service_area=other_area)["original"]["requires_improvement"] == 4
    by_auditor = figures(auditor=auditors["own"])
    assert (by_auditor["moderated"], by_auditor["downgraded"], by_auditor["auditor"]) == (3, 1, auditors["own"].pk)
    assert figures(service_area=other_area, auditor=auditors["own"])["moderated"] == 0


def test_a_viewer_counts_only_the_decisions_they_may_see(version, own_area, other_area, auditors, make_person):
    decide(audit(version, own_area, auditors["own"], "C-6"), "good", "good", Q3_FROM)
    decide(audit(version, other_area, auditors["other"], "P-1"), "good", "inadequate", Q3_FROM)
    moderator = make_person(Role.MODERATOR, own_area)
    qa_officer = make_person(Role.QA_OFFICER)
    practitioner = make_person(Role.PRACTITIONER, own_area)

    assert figures(user=moderator.user)["moderated"] == 1
    assert figures(user=moderator.user)["downgraded"] == 0
    assert figures(user=qa_officer.user)["moderated"] == 2
    assert figures(user=practitioner.user)["moderated"] == 0


def test_an_empty_period_has_zero_counts_and_no_statistics(version, own_area, auditors):
    result = figures()

    assert result["moderated"] == 0
    assert result["exact_agreement_pct"] is None
    assert result["weighted_kappa"] is None
    assert result["weighted_kappa_ci95"] is None
    assert result["kappa_reading"] == statistics.NO_DECISIONS
    assert all(count == 0 for row in result["matrix"].values() for count in row.values())


def test_a_range_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError):
        decisions_in(Q3_TO, Q3_FROM)


@pytest.mark.parametrize("size", [1, 6])
def test_a_summary_is_one_grouped_query_whatever_the_number_of_decisions(
    version, own_area, auditors, django_assert_num_queries, size
):
    table(
        version,
        own_area,
        auditors["own"],
        [[size, size, 0, 0], [0, size, size, 0], [0] * 4, [0, 0, 0, size]],
        Q3_FROM,
        "N",
    )
    decisions = decisions_in(Q3_FROM, Q3_TO)

    with django_assert_num_queries(1):
        result = summary(decisions)
    with django_assert_num_queries(1):
        rows = calibration(decisions)

    assert result["moderated"] == 5 * size
    assert rows[0].moderated == 5 * size


def test_calibration_counts_each_auditors_moderations_up_down_and_unchanged(version, own_area, other_area, auditors):
    #            O  G RI  I
    table(version, own_area, auditors["own"], [[1, 1, 0, 0], [1, 3, 2, 0], [0, 0, 1, 0], [0, 0, 1, 0]], Q3_FROM, "M")
    table(
        version, other_area, auditors["other"], [[0, 0, 0, 0], [0, 2, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]], Q3_FROM, "O"
    )
    decide(audit(version, own_area, auditors["own2"], "R-2", grade=""), "", "good", Q3_FROM)  # ungraded: left out

    rows = calibration(decisions_in(Q3_FROM, Q3_TO))

    assert [row.auditor_name for row in rows] == ["Mona Manager", "Pat Othermanager"]  # by name
    mona = rows[0]
    # Mona: 10 moderated; up G->O 1, I->RI 1 = 2; down O->G 1, G->RI 2 = 3; unchanged 1 + 3 + 1 = 5.
    assert (mona.moderated, mona.upgraded, mona.downgraded, mona.unchanged) == (10, 2, 3, 5)
    assert mona.changed_pct == 50.0
    assert (mona.upgraded_pct, mona.downgraded_pct) == (20.0, 30.0)
    assert (rows[1].moderated, rows[1].changed_pct) == (2, 0.0)
    assert [row.auditor_name for row in calibration(decisions_in(Q3_FROM, Q3_TO, other_area))] == ["Pat Othermanager"]


# --- the command -----------------------------------------------------------------------------------


def run(*args) -> str:
    out = io.StringIO()
    call_command("moderation_summary", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(version, own_area, other_area, auditors):
    table(version, own_area, auditors["own"], SEED_2022, date(2026, 8, 14), "S")
    table(version, other_area, auditors["other"], [[0, 0, 0, 0], [0, 1, 1, 0], [0, 0, 0, 0], [0, 0, 0, 0]], Q3_TO, "T")


def test_the_command_prints_the_summary_as_json(seeded):
    printed = json.loads(run("--from", "2026-07-01", "--to", "2026-09-30", "--format", "json"))

    assert set(printed) == JSON_KEYS
    assert printed["moderated"] == 171
    assert printed == summary(decisions_in(Q3_FROM, Q3_TO))


def test_the_command_narrows_to_a_service_area_by_its_code_in_any_case(seeded):
    printed = json.loads(run("--from", "2026-07-01", "--to", "2026-09-30", "--service-area", "swf", "--format", "json"))

    assert printed["moderated"] == 169
    assert printed["service_area"] == "SWF"
    assert list(printed["moderated_grades"].values()) == [2, 87, 71, 9]


def test_the_command_writes_csv_figures_then_the_matrix(seeded):
    rows = list(
        csv.reader(
            io.StringIO(run("--from", "2026-07-01", "--to", "2026-09-30", "--service-area", "SWF", "--format", "csv"))
        )
    )

    assert rows[0] == ["metric", "value"]
    values = dict(row for row in rows[1:] if len(row) == 2)
    assert values["date_from"] == "2026-07-01"
    assert values["service_area"] == "SWF"
    assert values["moderated"] == "169"
    assert values["exact_agreement_pct"] == "75.7"
    assert values["weighted_kappa"] == "0.62"
    assert (values["weighted_kappa_ci95_low"], values["weighted_kappa_ci95_high"]) == ("0.518", "0.722")
    assert values["original_good"] == "105"
    assert values["moderated_requires_improvement"] == "71"
    assert values["small_sample_warning"] == ""
    corner = rows.index(["original \\ moderated", *statistics.GRADES, "total"])
    assert rows[corner - 1] == []
    assert rows[corner + 1 :] == [
        ["outstanding", "2", "1", "0", "0", "3"],
        ["good", "0", "80", "25", "0", "105"],
        ["requires_improvement", "0", "6", "40", "3", "49"],
        ["inadequate", "0", "0", "6", "6", "12"],
        ["total", "2", "87", "71", "9", "169"],
    ]


def test_the_command_writes_to_a_file_when_told(seeded, tmp_path):
    target = tmp_path / "summary.json"

    said = run("--from", "2026-07-01", "--to", "2026-09-30", "--format", "json", "--output", str(target))

    assert json.loads(target.read_text(encoding="utf-8"))["moderated"] == 171
    assert "171 decisions" in said


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-13-01", "--to", "2026-09-30"], "--from must be a date written YYYY-MM-DD, not '2026-13-01'."),
        (["--from", "2026-07-01", "--to", "30/09/2026"], "--to must be a date written YYYY-MM-DD, not '30/09/2026'."),
        (["--from", "2026-10-01", "--to", "2026-09-30"], RANGE_BACKWARDS.format(start="2026-10-01", end="2026-09-30")),
        (["--from", "2026-07-01", "--to", "2026-09-30", "--service-area", "XYZ"], AREA_UNKNOWN.format(code="XYZ")),
    ],
)
def test_the_command_refuses_bad_dates_a_backwards_range_and_an_unknown_area(seeded, args, message):
    with pytest.raises(CommandError) as refused:
        run(*args, "--format", "json")

    assert str(refused.value) == message


def test_the_command_refuses_a_file_it_cannot_write(seeded, tmp_path):
    with pytest.raises(CommandError, match="Could not write"):
        run("--from", "2026-07-01", "--to", "2026-09-30", "--output", str(tmp_path / "missing" / "x.csv"))
