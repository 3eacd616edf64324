#!/usr/bin/env bash
# Production mode on one host: several granian workers on PostgreSQL, Redis for
# cache, sessions and rate limits, static files by whitenoise (or nginx), the
# periodic jobs in a side loop. Settings come from the environment:
#   DATABASE_URL  (default postgres://postgres@127.0.0.1:5432/banshi)
#   REDIS_URL     (default redis://127.0.0.1:6379/0)
#   SECRET_KEY    (default: generated once into var/secret_key)
#   ALLOWED_HOSTS (default 127.0.0.1,localhost)
#   DATABASE_REPLICA_URL (optional: heavy pages read from it)
#   BIND (127.0.0.1:8000), WEB_CONCURRENCY (2 × cores + 1), WORKER_THREADS (2),
#   SERVER (granian, or gunicorn: deploy/gunicorn.conf.py), SEED_DEMO=1 to load the demo county
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}

export DEBUG=0
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/banshi}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost}
export BANSHI_VAR_DIR=${BANSHI_VAR_DIR:-$PWD/var}
mkdir -p "$BANSHI_VAR_DIR/media"
if [ -z "${SECRET_KEY:-}" ]; then
  if [ ! -s "$BANSHI_VAR_DIR/secret_key" ]; then
    (umask 077; "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(50))' >"$BANSHI_VAR_DIR/secret_key")
  fi
  SECRET_KEY=$(cat "$BANSHI_VAR_DIR/secret_key")
  export SECRET_KEY
fi

case "$DATABASE_URL" in
  postgres*) "$BIN/python" deploy/ensure_db.py "$DATABASE_URL" ;;
  *) echo "make serve: DATABASE_URL should point at PostgreSQL (got ${DATABASE_URL%%:*})" >&2 ;;
esac
"$BIN/python" manage.py migrate --noinput -v0
"$BIN/python" manage.py collectstatic --noinput -v0
if [ "${SEED_DEMO:-0}" = 1 ]; then "$BIN/python" manage.py seed_demo; fi

# Periodic jobs: the database lock in core.periodic lets exactly one runner act,
# so this loop may run on every host.
(
  trap 'exit 0' TERM
  while true; do
    sleep "${PERIODIC_INTERVAL_SECONDS:-300}" & wait $!
    "$BIN/python" manage.py run_periodic >/dev/null || echo "periodic run failed" >&2
  done
) &
SCHEDULER=$!
# Web submissions are acknowledged by one queued row; this process makes the cases
# (at a lower priority than the workers, so a burst is answered first, then filed).
export CASES_DRAIN_AFTER_RESPONSE=0
nice -n 10 "$BIN/python" manage.py drain_submissions &
DRAINER=$!
trap 'kill "$SCHEDULER" "$DRAINER" 2>/dev/null || true' EXIT

echo "serving on http://${BIND:-127.0.0.1:8000}/ (${SERVER:-granian}, ${WEB_CONCURRENCY:-$((2 * $(nproc) + 1))} workers)"
case "${SERVER:-granian}" in
  # granian stops when one worker dies twice within 5.5 s (its crash-loop guard):
  # started again, the acknowledged rows are in the database whatever happened.
  granian) until "$BIN/python" deploy/granian_serve.py; do echo "granian exited; restarting" >&2; sleep 1; done ;;
  gunicorn) "$BIN/python" -m gunicorn -c deploy/gunicorn.conf.py config.wsgi ;;
  *) echo "make serve: SERVER is granian or gunicorn (got $SERVER)" >&2; exit 2 ;;
esac
