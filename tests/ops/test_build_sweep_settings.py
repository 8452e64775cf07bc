"""How soon a built file lost with its worker is built again is set by two settings (quality/settings/base.py,
"the rehearsal's knobs"): production keeps 5 and 10 minutes; scripts/rehearsal.py makes them seconds."""

import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from performance.models import PerformancePack
from quality import built_files
from quality.celery import app
from tests.clock import real_clock_environ

ROOT = Path(__file__).resolve().parents[2]
SWEEP = "build-stranded-files"


def test_by_default_a_file_is_stranded_after_five_minutes_and_swept_every_ten(settings):
    assert settings.BUILD_STRANDED_AFTER_SECONDS == 5 * 60
    assert settings.BUILD_SWEEP_EVERY_SECONDS == 10 * 60
    assert app.conf.beat_schedule[SWEEP]["schedule"] == timedelta(minutes=10)


@pytest.mark.django_db
def test_a_queued_file_is_stranded_once_build_stranded_after_seconds_have_passed(
    settings, frozen_today, performance_officer
):
    settings.BUILD_STRANDED_AFTER_SECONDS = 30
    pack = PerformancePack.objects.create(period=date(2026, 10, 1), requested_by=performance_officer.user)

    frozen_today.tick(timedelta(seconds=29))
    assert built_files.stranded(PerformancePack) == []
    frozen_today.tick(timedelta(seconds=2))
    assert built_files.stranded(PerformancePack) == [pack.pk]


def test_beat_runs_the_sweep_every_build_sweep_every_seconds():
    """Read from the environment by a process of its own, as beat reads it when it starts."""
    shown = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "python"),
            "-c",
            f"from quality.celery import app; print(app.conf.beat_schedule[{SWEEP!r}]['schedule'].total_seconds())",
        ],
        cwd=ROOT,
        env=real_clock_environ(DJANGO_SETTINGS_MODULE="quality.settings.test", BUILD_SWEEP_EVERY_SECONDS="7"),
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.strip() == "7.0"
