#!/usr/bin/env bash
# `make run`: migrate, load demo data, then Redis, the web server, a Celery worker and beat.
# Ctrl-C stops all of them. Uses SQLite unless DATABASE_URL is set.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
export DJANGO_SETTINGS_MODULE=quality.settings.local
export MPLCONFIGDIR="$PWD/var/matplotlib"
PY=.venv/bin/python

redis_dir="$PWD/var/redis"
redis_port=${REDIS_PORT:-6391}
export CELERY_BROKER_URL=${CELERY_BROKER_URL:-redis://127.0.0.1:$redis_port/0}

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo; echo "Stopping the portal..."
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  stop_redis "$redis_dir"
}
trap stop_all INT TERM EXIT

$PY manage.py migrate --no-input -v 0
$PY manage.py load_demo >/dev/null
stop_redis "$redis_dir"
start_redis "$redis_dir" "$redis_port"

.venv/bin/celery -A quality worker --loglevel=INFO --concurrency=2 >var/celery-worker.log 2>&1 &
pids+=($!)
.venv/bin/celery -A quality beat --loglevel=INFO --schedule="$PWD/var/celerybeat-schedule" >var/celery-beat.log 2>&1 &
pids+=($!)
$PY manage.py runserver 127.0.0.1:8000 &
pids+=($!)

echo
echo "The portal is at http://127.0.0.1:8000 (Celery worker and beat log to var/). Ctrl-C stops everything."
$PY manage.py load_demo --logins-only
wait
