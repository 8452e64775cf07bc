"""`make run`'s promise, checked: on the zero-setup database (SQLite) the migrations run, the demo
loads (twice, adding nothing the second time) and every page opens for every demo log-in.

The rest of the suite runs on PostgreSQL; this catches a query only PostgreSQL understands."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*command: str, env: dict) -> str:
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def test_the_demo_loads_on_sqlite_and_every_page_opens_for_every_demo_login(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "quality.settings.local",
    }
    python = sys.executable
    run(python, "manage.py", "migrate", "--noinput", "-v", "0", env=env)
    assert "Demo data loaded." in run(python, "manage.py", "load_demo", env=env)
    assert "Demo data loaded." in run(python, "manage.py", "load_demo", env=env)
    report = run(python, "scripts/smoke_pages.py", env=env)
    assert "; 0 server errors" in report, report
