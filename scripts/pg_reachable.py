"""Exit 0 when a PostgreSQL server answers at the URL given, 1 otherwise (within a few seconds)."""

import sys

import psycopg

try:
    with psycopg.connect(sys.argv[1], connect_timeout=3) as connection:
        connection.execute("SELECT 1")
except psycopg.Error as error:
    print(f"PostgreSQL unreachable: {str(error).strip().splitlines()[0]}", file=sys.stderr)
    sys.exit(1)
