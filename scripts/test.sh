#!/usr/bin/env bash
# The whole suite on SQLite, then again on PostgreSQL when one answers at TEST_DATABASE_URL.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_url=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}

echo "== Test suite on SQLite (embedded default) =="
env -u DATABASE_URL .venv/bin/pytest "$@"

if .venv/bin/python scripts/pg_reachable.py "$pg_url"; then
  echo "== Test suite on PostgreSQL ($pg_url) =="
  DATABASE_URL=$pg_url .venv/bin/pytest "$@"
  echo "Ran: SQLite and PostgreSQL."
else
  echo "Ran: SQLite only. PostgreSQL did not answer at $pg_url, so its run was skipped."
fi
