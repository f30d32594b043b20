"""The database's own refusal to change the ledgers, and the one sanctioned way around it.

Triggers on audit_logs, usage_events and audit_seals refuse UPDATE, DELETE (and on
PostgreSQL TRUNCATE) unless a row sits in ledger_maintenance_unlock. Only
`manage.py flush`, which wipes the whole database on purpose, puts one there.
They guard against mistakes and application bugs; against someone who owns the
database, the hash chain and the seals are what detect the change.
"""

from contextlib import contextmanager

from django.db import connections

LEDGER_TABLES = ("audit_logs", "usage_events", "audit_seals")
UNLOCK_TABLE = "ledger_maintenance_unlock"


@contextmanager
def ledger_unlocked(*, reason: str, using: str = "default"):
    with connections[using].cursor() as cursor:
        cursor.execute(f"INSERT INTO {UNLOCK_TABLE} (reason) VALUES (%s)", [reason])
    try:
        yield
    finally:
        with connections[using].cursor() as cursor:
            cursor.execute(f"DELETE FROM {UNLOCK_TABLE}")


def _sqlite_statements() -> list[str]:
    statements = [f"CREATE TABLE {UNLOCK_TABLE} (reason TEXT NOT NULL)"]
    for table in LEDGER_TABLES:
        for operation in ("UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER {table}_refuse_{operation.lower()} BEFORE {operation} ON {table} "
                f"WHEN NOT EXISTS (SELECT 1 FROM {UNLOCK_TABLE}) "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); END"
            )
    return statements


def _postgresql_statements() -> list[str]:
    statements = [
        f"CREATE TABLE {UNLOCK_TABLE} (reason text NOT NULL)",
        f"""CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM {UNLOCK_TABLE}) THEN
                IF TG_LEVEL = 'STATEMENT' THEN RETURN NULL; END IF;
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                RETURN NEW;
            END IF;
            RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
        END $$""",
    ]
    for table in LEDGER_TABLES:
        statements += [
            f"CREATE TRIGGER {table}_refuse_change BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()",
            f"CREATE TRIGGER {table}_refuse_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()",
        ]
    return statements


def install_ledger_triggers(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": _sqlite_statements, "postgresql": _postgresql_statements}[vendor]()
    for statement in statements:
        schema_editor.execute(statement, params=None)  # the bodies hold literal % signs


def remove_ledger_triggers(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for table in LEDGER_TABLES:
            schema_editor.execute(f"DROP TRIGGER {table}_refuse_change ON {table}")
            schema_editor.execute(f"DROP TRIGGER {table}_refuse_truncate ON {table}")
        schema_editor.execute("DROP FUNCTION ledger_refuse_change()")
    else:
        for table in LEDGER_TABLES:
            schema_editor.execute(f"DROP TRIGGER {table}_refuse_update")
            schema_editor.execute(f"DROP TRIGGER {table}_refuse_delete")
    schema_editor.execute(f"DROP TABLE {UNLOCK_TABLE}")
