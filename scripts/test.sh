#!/usr/bin/env bash
# The whole suite on SQLite and, when one answers at TEST_DATABASE_URL, on PostgreSQL: the two runs at
# once (each on its own test database), ending with what ran. Under CI=true a PostgreSQL that does not
# answer fails the run: a green CI must mean both databases were tested (and tests that need Redis or
# Chromium fail rather than skip, see tests/environment.py).
set -euo pipefail
cd "$(dirname "$0")/.."

pg_url=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

summary() { grep -E '(passed|failed|error).* in [0-9.]+s' "$1" | tail -n 1 | tr -d '=' | sed 's/^ *//; s/ *$//'; }

if .venv/bin/python scripts/pg_reachable.py "$pg_url"; then
  pg=yes
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL did not answer at $pg_url; under CI=true that fails the run." >&2
  exit 1
else
  pg=no
fi

# Both runs at once: much of the suite waits on servers, sockets and sleeps, so together they take
# little longer than the longer one. Each writes its own log; the SQLite one is shown as it goes.
echo "== Test suite on SQLite (embedded default)${pg/yes/ and, at the same time, on PostgreSQL ($pg_url)} =="
if [ "$pg" = yes ]; then
  DATABASE_URL=$pg_url GATEWAY_TEST_DB_SUFFIX=_pg .venv/bin/pytest "$@" >"$log/postgresql" 2>&1 &
  pg_pid=$!
fi
sqlite_status=0
env -u DATABASE_URL GATEWAY_TEST_DB_SUFFIX=_sqlite .venv/bin/pytest "$@" 2>&1 | tee "$log/sqlite" || sqlite_status=$?
pg_status=0
if [ "$pg" = yes ]; then
  wait "$pg_pid" || pg_status=$?
  echo "== Test suite on PostgreSQL ($pg_url) =="
  cat "$log/postgresql"
  pg_ran="PostgreSQL: $(summary "$log/postgresql")"
else
  pg_ran="PostgreSQL: not run (nothing answered at $pg_url)"
fi

echo
echo "== What ran =="
echo "SQLite: $(summary "$log/sqlite")"
echo "$pg_ran"
if [ -x /usr/bin/chromium ]; then echo "Chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present)"; else echo "Chromium: missing (browser tests skipped)"; fi
if .venv/bin/python -c "import redis,sys; redis.Redis.from_url('${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}', socket_connect_timeout=1).ping()" 2>/dev/null; then
  echo "Redis: answered"
else
  echo "Redis: missing (cross-process rate-limit tests skipped)"
fi
exit $(( sqlite_status || pg_status ))
