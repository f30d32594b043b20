"""The database's own refusal to change the ledgers, and the one sanctioned way around it.

Triggers on audit_logs, usage_events and audit_seals refuse UPDATE, DELETE (and on
PostgreSQL TRUNCATE) unless the changing transaction itself holds a row in
ledger_maintenance_unlock. The application never writes one; `manage.py flush`,
which wipes the whole database on purpose, does, inside its own transaction.
They guard against mistakes and application bugs. A session with write access can
unlock them on purpose, as it could drop them: against that, the hash chain, the
seals and verify_audit (which also fails while an unlock row is committed) detect
the change.
"""

from contextlib import contextmanager

from django.db import connections, transaction

LEDGER_TABLES = ("audit_logs", "usage_events", "audit_seals")
UNLOCK_TABLE = "ledger_maintenance_unlock"


@contextmanager
def ledger_unlocked(*, reason: str, using: str = "default"):
    """Unlock the ledgers for this block's own transaction only.

    The unlock row is written and removed inside one transaction, so no other connection
    ever sees it, and a block killed half-way rolls it back with everything else.
    """
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(f"INSERT INTO {UNLOCK_TABLE} (reason) VALUES (%s)", [reason])
        yield
        cursor.execute(f"DELETE FROM {UNLOCK_TABLE}")


def _sqlite_statements() -> list[str]:
    statements = [f"CREATE TABLE IF NOT EXISTS {UNLOCK_TABLE} (reason TEXT NOT NULL)"]
    for table in LEDGER_TABLES:
        for operation in ("UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS {table}_refuse_{operation.lower()} BEFORE {operation} ON {table} "
                f"WHEN NOT EXISTS (SELECT 1 FROM {UNLOCK_TABLE}) "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); END"
            )
    return statements


def _postgresql_statements() -> list[str]:
    statements = [
        f"CREATE TABLE IF NOT EXISTS {UNLOCK_TABLE} (reason text NOT NULL)",
        f"""CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
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
            f"DROP TRIGGER IF EXISTS {table}_refuse_change ON {table}",
            f"CREATE TRIGGER {table}_refuse_change BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()",
            f"DROP TRIGGER IF EXISTS {table}_refuse_truncate ON {table}",
            f"CREATE TRIGGER {table}_refuse_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()",
        ]
    return statements


def ensure_ledger_triggers(connection) -> None:
    """Install the triggers, or put back any a migration took away; safe to run again and again.

    SQLite rebuilds a table to alter it and the rebuilt table has no triggers, so this runs
    after every `migrate` (audit.apps), not only in the migration that first added them.
    """
    statements = {"sqlite": _sqlite_statements, "postgresql": _postgresql_statements}[connection.vendor]()
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, None)  # the bodies hold literal % signs


def install_ledger_triggers(apps, schema_editor) -> None:
    ensure_ledger_triggers(schema_editor.connection)


def remove_ledger_triggers(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for table in LEDGER_TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_refuse_change ON {table}")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_refuse_truncate ON {table}")
        schema_editor.execute("DROP FUNCTION IF EXISTS ledger_refuse_change()")
    else:
        for table in LEDGER_TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_refuse_update")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_refuse_delete")
    schema_editor.execute(f"DROP TABLE IF EXISTS {UNLOCK_TABLE}")
