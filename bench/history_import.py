"""The audit history import (`import_audits`) in rows per second and peak memory, on the configured database.

    .venv/bin/python bench/history_import.py                 # 50,000 rows (IMPORT_MAX_ROWS)
    .venv/bin/python bench/history_import.py --rows 5000
    .venv/bin/python bench/history_import.py --profile       # and the 25 costliest functions (cProfile)

On PostgreSQL (what the target is measured on), with a scratch database:

    bash scripts/with-test-services.sh bash -c \
        '.venv/bin/python manage.py migrate -v0 && .venv/bin/python bench/history_import.py'

It writes a history file of new audits (the columns of moderation.history_import, generated with a
fixed seed: a third moderated, dates written both ways, the optional text columns filled), then
times the whole command on it: reading, checking and saving. The audits it imports stay (audit
events and moderation decisions are append-only); each run uses new references, so every run
imports new audits. Peak memory is the process's ru_maxrss, Django and the file's bytes included.
Target: at least 10,000 rows a second (issue 15).

Another bench script can call `measure_import(rows)` after `django.setup()`.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 15
TARGET_ROWS_PER_SECOND = 10_000
AREAS = (("BHA", "Bench Area A"), ("BHB", "Bench Area B"), ("BHC", "Bench Area C"), ("BHD", "Bench Area D"))
AUDITORS = 40
KINDS = ("monthly", "monthly", "monthly", "themed", "partnership", "qa_thematic", "review", "reaudit")
GRADES = ("outstanding", "good", "Good", "Requires Improvement", "RI", "inadequate")
THEMES = ("Neglect", "Missing children", "Exploitation", "Domestic abuse", "Pre-birth", "")
WORDS = ("clear", "chronology", "plan", "child", "voice", "visits", "recorded", "supervision", "reflective")
WORDS += ("analysis", "risk", "family", "network", "timely", "strategy", "discussion", "outcome", "escalation")


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quality.settings.local")
    import django

    django.setup()


def _world() -> tuple[list[str], list[str]]:
    """The service areas' codes and auditors' e-mails the file names, made once per database."""
    from django.contrib.auth import get_user_model

    from quality.org.models import Person, ServiceArea
    from quality.org.services import service_area_create

    codes = []
    for code, name in AREAS:
        if not ServiceArea.objects.filter(code=code).exists():
            service_area_create(actor=None, code=code, name=name)
        codes.append(code)
    user_model = get_user_model()
    emails = [f"bench.auditor{n}@council.example" for n in range(AUDITORS)]
    for email in emails:
        user, created = user_model.objects.get_or_create(username=email, defaults={"email": email})
        if created:
            Person.objects.create(user=user, full_name=email.split("@")[0].replace(".", " ").title())
    return codes, emails


def write_history(path: Path, rows: int, *, codes: list[str], emails: list[str], prefix: str) -> None:
    """A history file of `rows` new audits, written a row at a time (the same seed, the same rows)."""
    from moderation.history_import import OPTIONAL_COLUMNS, REQUIRED_COLUMNS

    rng = random.Random(SEED)
    first_day = date(2019, 4, 1)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow([*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS])
        for n in range(rows):
            kind = rng.choice(KINDS)
            completed = first_day + timedelta(days=rng.randrange(6 * 365))
            grade = "ungraded" if kind == "review" else rng.choice(GRADES)
            moderated = kind != "review" and n % 3 == 0
            moderated_on = completed + timedelta(days=rng.randrange(1, 60)) if moderated else None
            writer.writerow(
                [
                    f"{prefix}-{n:06}",
                    f"C{rng.randrange(10**6):06}",
                    rng.choice(codes),
                    kind,
                    rng.choice(THEMES),
                    rng.choice(emails),
                    completed.isoformat() if n % 2 else completed.strftime("%d/%m/%Y"),
                    grade,
                    rng.choice(("yes", "no", "")),
                    rng.choice(GRADES) if moderated else "",
                    moderated_on.isoformat() if moderated_on else "",
                    " ".join(rng.choices(WORDS, k=rng.randrange(3, 12))).capitalize(),
                    " ".join(rng.choices(WORDS, k=rng.randrange(3, 12))).capitalize(),
                ]
            )


def _cpu_seconds(backend: int | None) -> tuple[float, float | None]:
    """CPU time used so far by this process, and by the database's process serving it when that runs
    on this machine (/proc): on a busy machine they say what the wall clock cannot."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    database = None
    if backend is not None:
        try:
            fields = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
            database = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return usage.ru_utime + usage.ru_stime, database


def _backend_pid() -> int | None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _check_deferred_constraints() -> None:
    """Inside an outer transaction (bench/scale.py rolls its run back) the import's foreign keys,
    checked at commit, would never be checked: check them now, so the time includes that work."""
    from django.db import connection

    if connection.in_atomic_block and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def measure_import(rows: int) -> dict:
    """Import a generated history file of `rows` new audits with `import_audits`; Django must be set up.
    Returns rows, seconds, rows_per_second and peak_mb, and the CPU seconds of this process and of
    its database process (None when that is not on this machine)."""
    from django.core.management import call_command

    codes, emails = _world()
    prefix = f"BENCH-{uuid.uuid4().hex[:8]}"  # new audits on every run, whatever the database holds
    backend = _backend_pid()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "history.csv"
        write_history(path, rows, codes=codes, emails=emails, prefix=prefix)
        cpu_before = _cpu_seconds(backend)
        started = time.perf_counter()
        call_command("import_audits", str(path), stdout=io.StringIO())
        _check_deferred_constraints()
        seconds = time.perf_counter() - started
        cpu_after = _cpu_seconds(backend)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    database_cpu = None if cpu_after[1] is None or cpu_before[1] is None else cpu_after[1] - cpu_before[1]
    return {
        "rows": rows,
        "seconds": seconds,
        "rows_per_second": rows / seconds,
        "peak_mb": peak_mb,
        "client_cpu_seconds": cpu_after[0] - cpu_before[0],
        "database_cpu_seconds": database_cpu,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=50_000, help="rows in the file (default 50,000)")
    parser.add_argument("--profile", action="store_true", help="print the 25 costliest functions")
    options = parser.parse_args()
    _setup()
    from django.db import connection

    if options.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        result = profiler.runcall(measure_import, options.rows)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    else:
        result = measure_import(options.rows)
    print(
        f"import_audits on {connection.vendor}: {result['rows']:,} rows in {result['seconds']:.2f} s, "
        f"{result['rows_per_second']:,.0f} rows/s (target {TARGET_ROWS_PER_SECOND:,}), "
        f"peak memory {result['peak_mb']:.0f} MB"
    )
    database_cpu = result["database_cpu_seconds"]
    print(
        f"CPU: {result['client_cpu_seconds']:.2f} s in this process"
        + ("" if database_cpu is None else f", {database_cpu:.2f} s in its database process")
    )
    return 0 if result["rows_per_second"] >= TARGET_ROWS_PER_SECOND else 1


if __name__ == "__main__":
    sys.exit(main())
