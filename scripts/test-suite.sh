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
.venv/bin/python -m pytest "$@"
