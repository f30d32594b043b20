#!/usr/bin/env bash
# Fuzz the API with schemathesis against a throwaway server on a throwaway SQLite database:
# a temporary directory holds the database, the server's log and schemathesis' files, and is
# removed at the end, so the development database and the checkout are left as they were.
# Extra arguments go to `st run` (e.g. --max-examples 500).
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=$(mktemp -d -t gateway-fuzz-XXXXXX)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT

export DJANGO_SETTINGS_MODULE=gateway_project.settings
export DATABASE_URL="sqlite:///$scratch/fuzz.sqlite3"
export DJANGO_SECRET_KEY_FILE="$scratch/secret_key"
port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

.venv/bin/python manage.py migrate --noinput -v0
tenant=$(.venv/bin/python manage.py create_tenant --name Fuzz --region local --admin-email fuzz@example.com)
field() { .venv/bin/python -c "import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$tenant" "$1"; }

.venv/bin/gunicorn --bind "127.0.0.1:$port" --workers 2 >"$scratch/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done

cd "$scratch"  # schemathesis writes its cache (.schemathesis/) here
"$OLDPWD/.venv/bin/st" run "http://127.0.0.1:$port/api/schema/" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --workers 1 \
  -H "X-Tenant-ID: $(field tenant_id)" -H "X-User-ID: $(field admin_user_id)" -H "X-API-Key: $(field api_key)" \
  "$@"
