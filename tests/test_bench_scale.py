"""bench/scale.py (issue 15) stays runnable: its generator and every measurement, at 300 audits, in the suite.

The generator's shares are exact by construction (a third of the audits in each year by position, the
drafts the last 3% of them, a quarter of the completed graded audits moderated, rounded), so the counts
below follow from the design, not from a run."""

import json

import pytest

from audits.models import AreaGrade, Audit, Grade
from bench.scale import AREAS, main
from moderation.models import ModerationDecision
from tests.factories import AuditFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

AUDITS = 300
WORK = [
    "figures.compute('annual', '2025')",
    "figures.compute('monthly', '2025-11')",
    "moderation summary 2025",
    "build_report --format json, annual 2025",
    "report generation (worker), annual 2025",
    "home page",
    "audit list, all, page 1",
    "audit list, all, the last numbered page",
    "audit list, all, the page after 80% of the rows",  # keyset: ?after= the row 240 of 300
    "overdue list",
    "scorecard, 2025-11",
    "report page, annual 2025",
    "annual report PDF, seconds a page",
    "history import, 40 rows",
]


def generated():
    """The generator's audits (the history import measured last adds audits of its own)."""
    return Audit.objects.filter(import_reference__isnull=True)


def test_generates_the_intended_shape_and_measures_everything(tmp_path, capsys):
    results = tmp_path / "results.json"

    status = main(["--audits", str(AUDITS), "--keep", "--runs", "1", "--import-rows", "40", "--json", str(results)])

    assert status == 0
    rows = json.loads(results.read_text())["measurements"]
    assert len(rows) == len(WORK)
    for row, work in zip(rows, WORK, strict=True):
        assert row["work"].startswith(work), (row["work"], work)
    for row in rows:
        assert isinstance(row["seconds"], float) and row["seconds"] > 0, row
        assert isinstance(row["reference_seconds"], float) and row["reference_seconds"] > 0, row
        assert row["ratio"] == pytest.approx(row["seconds"] / row["reference_seconds"]), row
    printed = capsys.readouterr().out
    for row in rows:
        assert row["work"] in printed

    audits = generated()
    assert audits.count() == AUDITS
    assert audits.values("service_area").distinct().count() == AREAS
    drafts = audits.filter(state=Audit.State.DRAFT)
    assert drafts.count() == 9  # 3% of 300
    assert not drafts.filter(submitted_at__isnull=False).exists()
    completed = audits.exclude(state=Audit.State.DRAFT)
    for audit in completed:
        audit.refresh_from_db(fields=["completed_day"])
    by_year = {year: completed.filter(completed_day__year=year).count() for year in (2023, 2024, 2025)}
    assert by_year == {2023: 100, 2024: 100, 2025: 100 - 9}
    assert set(completed.values_list("state", flat=True)) == {"submitted", "disputed", "overseen", "closed"}
    assert set(completed.values_list("kind", flat=True)) == {"monthly", "themed", "review"}
    assert not completed.filter(kind="themed", theme="").exists()
    graded = completed.exclude(kind="review")
    assert set(graded.values_list("overall_grade", flat=True)) == set(Grade.values)

    moderated = graded.exclude(moderated_grade="")
    assert moderated.count() == round(graded.count() / 4)
    assert ModerationDecision.objects.filter(audit__in=audits).count() == moderated.count()
    assert AreaGrade.objects.filter(audit__in=audits).count() == 7 * graded.count()
    assert not graded.exclude(pk__in=AreaGrade.objects.filter(area="planning").values("audit")).exists()


def test_refuses_a_database_that_holds_audits(tool_version, capsys):
    AuditFactory(tool_version=tool_version)

    assert main(["--audits", "10"]) == 2

    assert Audit.objects.count() == 1
    assert "--reuse" in capsys.readouterr().err
