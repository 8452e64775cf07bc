"""`make run`'s promise, checked: on the zero-setup database (SQLite) the migrations run, the demo
loads (twice, adding nothing the second time), every page opens for every demo log-in, and the
dates the database works out agree with Python's.

The rest of the suite runs on PostgreSQL; this catches a query only PostgreSQL understands."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Date arithmetic done by the database must give the same days on SQLite as on PostgreSQL
# (SQLite keeps dates as text: a naive subtraction or MIN() over NULLs silently goes wrong).
CHECK_DATES = """
from django.utils import timezone
from audits.cycle.deadlines import Deadline, with_days_left
from audits.cycle.escalations import with_deadlines
from audits.models import Audit, Escalation
today = timezone.localdate()
drafts = with_days_left(Audit.objects.filter(state="draft", due_on__isnull=False), Deadline.COMPLETION, today=today)
assert drafts.exists()
for audit in drafts:
    assert audit.days_left == (audit.due_on - today).days, (audit.pk, audit.due_on, audit.days_left)
chains = with_deadlines(Escalation.objects.filter(stage="escalated", kind="inadequate"), today)
assert chains.exists()
for chain in chains:
    steps = ((chain.first_update_due, chain.first_update_at), (chain.second_update_due, chain.second_update_at))
    waiting = [due for due, done in steps if due and not done]
    assert chain.next_deadline is not None, chain.pk
    assert not waiting or chain.next_deadline == min(waiting), (chain.pk, chain.next_deadline, waiting)
print("dates agree")
"""

# SQLite computes the stored completion day with Django's own function, its triggers mark the months
# whose counts must be rebuilt (audits/figure_months.py) and keep the counts of audits waiting on each
# deadline (audits/cycle/deadline_counts.py): each checked on the demo's audits.
CHECK_FIGURE_MONTHS = """
from datetime import timedelta
from django.utils import timezone
from audits import figure_months
from audits.models import Audit, FigureMonth
for audit in Audit.objects.all():
    london = timezone.localdate(audit.submitted_at) if audit.submitted_at else None
    assert audit.completed_day == (audit.completed_on or london), (audit.pk, audit.completed_day)
assert figure_months.differences() == []
moved = Audit.objects.exclude(state="draft").filter(completed_on__isnull=True).first()
Audit.objects.filter(pk=moved.pk).update(submitted_at=moved.submitted_at - timedelta(days=40))
assert FigureMonth.objects.filter(is_stale=True).count() == 2
assert figure_months.differences() == []
from audits.cycle import deadline_counts
assert deadline_counts.differences() == []
assert Audit.objects.filter(state="draft", due_on__isnull=False).exists()
Audit.objects.filter(state="draft").update(state="submitted", oversight_due_on=timezone.localdate())
Audit.objects.filter(pk=Audit.objects.filter(state="submitted").first().pk).update(state="closed")
assert deadline_counts.differences() == []
print("figure months agree")
"""


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
    assert "dates agree" in run(python, "manage.py", "shell", "-c", CHECK_DATES, env=env)
    assert "figure months agree" in run(python, "manage.py", "shell", "-c", CHECK_FIGURE_MONTHS, env=env)
