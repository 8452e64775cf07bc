#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL and Redis, and remove both afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

work=$(mktemp -d /tmp/quality-test.XXXXXX)
chmod 755 "$work"
cleanup() {
  stop_postgres "$work/pg"
  stop_redis "$work/redis"
  rm -rf "$work"
}
trap cleanup EXIT

pg_port=$(free_port)
redis_port=$(free_port)
start_postgres "$work/pg" "$pg_port"
start_redis "$work/redis" "$redis_port"

export DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/quality"
export CELERY_BROKER_URL="redis://127.0.0.1:$redis_port/0"
export REDIS_URL="$CELERY_BROKER_URL"
"$@"
