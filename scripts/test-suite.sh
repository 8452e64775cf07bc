#!/usr/bin/env bash
# The whole check: lint, the migrations guard, then every test (browser tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=quality.settings.test
export DJANGO_ALLOW_ASYNC_UNSAFE=true  # Playwright's sync API beside Django's live server
export MPLCONFIGDIR="$PWD/var/matplotlib"

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== migrations guard"
.venv/bin/python manage.py makemigrations --check --dry-run
echo "== pytest"
clock=()
if [ -n "${TEST_DATE:-}" ]; then
  # The suite with the clock moved (make test-on DATE=...): libfaketime starts the clock of the
  # test process, and of the Chromium and Celery workers it starts, at that moment and lets it
  # run. PostgreSQL and Redis keep the real clock; the portal never asks the database the time.
  start=$TEST_DATE
  [[ $start == *:* ]] || start="$start 12:00:00"
  start=$(date -d "$start" '+%Y-%m-%d %H:%M:%S') || { echo "TEST_DATE is not a date: $TEST_DATE" >&2; exit 2; }
  echo "The clock starts at $start"
  clock=(faketime "$start")
fi
"${clock[@]}" .venv/bin/python -m pytest "$@"
