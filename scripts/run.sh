#!/usr/bin/env bash
# `make run`: the portal as it would be run (gunicorn, DEBUG off, the portal's own error pages,
# collected static files served by WhiteNoise) on SQLite with the demo council.
# `make dev` (scripts/run.sh --dev): the same with `manage.py runserver` (auto-reload, DEBUG on).
#
# Checks that PORT (default 8000) and REDIS_PORT (default 6391) are free before doing anything,
# migrates, loads the demo, then hands over to scripts/procfile.py, which runs the Procfile's web
# server, Celery worker and beat and this run's own Redis in the foreground, their output prefixed
# with their names. Ctrl-C, or a TERM to the process group, stops all four; so does the runner's
# death, however it dies.
# Uses SQLite unless DATABASE_URL is set.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

make_target="make run"
[ "${1:-}" = "--dev" ] && make_target="make dev"
PORT=${PORT:-8000}
REDIS_PORT=${REDIS_PORT:-6391}

for name in PORT REDIS_PORT; do
  if ! [[ ${!name} =~ ^[1-9][0-9]{0,4}$ ]] || ((${!name} > 65535)); then
    echo "$name must be a port number (1-65535), not '${!name}'." >&2
    exit 1
  fi
done
if [ "$PORT" = "$REDIS_PORT" ]; then
  echo "PORT and REDIS_PORT must differ (both are $PORT)." >&2
  exit 1
fi

next_free_port() {
  local port=$(($1 + 1))
  while port_in_use "$port" || [ "$port" = "$2" ]; do port=$((port + 1)); done
  echo "$port"
}

# A Redis already on REDIS_PORT (another checkout's, or one an earlier run left behind) would
# quietly become this run's broker; a taken web port would send people to another portal.
# Refuse with one line per taken port, before anything starts.
refuse_taken_ports() {
  local web_taken="" redis_taken="" web_port=$PORT redis_port=$REDIS_PORT
  port_in_use "$PORT" && web_taken=1 && web_port=$(next_free_port "$PORT" "$REDIS_PORT")
  port_in_use "$REDIS_PORT" && redis_taken=1 && redis_port=$(next_free_port "$REDIS_PORT" "$web_port")
  [ -z "$web_taken$redis_taken" ] && return 0
  local example="PORT=$web_port REDIS_PORT=$redis_port $make_target"
  [ -n "$web_taken" ] &&
    echo "Port $PORT (the web server) is already in use: set PORT to choose another, e.g. $example" >&2
  [ -n "$redis_taken" ] &&
    echo "Port $REDIS_PORT (Redis) is already in use, perhaps by another portal: set REDIS_PORT to choose another, e.g. $example" >&2
  exit 1
}
refuse_taken_ports

export PATH="$PWD/.venv/bin:$PATH"
export DJANGO_SETTINGS_MODULE=quality.settings.local
export MPLCONFIGDIR="$PWD/var/matplotlib"
# The worker and beat use this run's Redis and no other, whatever the shell had set.
export REDIS_PORT CELERY_BROKER_URL="redis://127.0.0.1:$REDIS_PORT/0"
export REDIS_URL=$CELERY_BROKER_URL
export PORTAL_BIND="127.0.0.1:$PORT"
export PORTAL_URL=${PORTAL_URL:-http://127.0.0.1:$PORT}
if [ "$make_target" = "make dev" ]; then
  export DEBUG=true PORTAL_WEB="python manage.py runserver $PORTAL_BIND"
else
  export DEBUG=false
  unset PORTAL_WEB
fi
mkdir -p var

python manage.py migrate --no-input -v 0
LOG_LEVEL=WARNING python manage.py load_demo >/dev/null
# With DEBUG off WhiteNoise serves what collectstatic gathered (runserver serves the sources).
if [ "$DEBUG" = false ]; then python manage.py collectstatic --no-input -v 0; fi

echo
python manage.py load_demo --logins-only
echo
echo "The portal is at http://127.0.0.1:$PORT (DEBUG $DEBUG); Redis on 127.0.0.1:$REDIS_PORT."
echo "Ctrl-C stops the web server, the Celery worker and beat and Redis."
echo
# Checked again: the demo load takes a while, and a port may have been taken meanwhile.
refuse_taken_ports
# exec: the runner takes this process's place, so Ctrl-C and a TERM to the group reach it.
exec python scripts/procfile.py Procfile redis web worker beat
