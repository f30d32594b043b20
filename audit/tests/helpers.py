"""What the audit tests share: rows written as the application writes them, and tampering behind its back."""

import json
import uuid
from contextlib import contextmanager
from io import StringIO

from django.core.management import call_command
from django.db import connection

from audit.ledger_lock import ledger_unlocked
from audit.models import AuditLog
from audit.services import Attempt, audit_record, usage_record
from gateway_project.db import db_value


def attempt(**overrides) -> Attempt:
    fields = {
        "request_id": uuid.uuid4(),
        "client_ip": "127.0.0.1",
        "user_agent": "test",
        "presented_user_id": "",
        "api_key_fingerprint": "",
        **overrides,
    }
    return Attempt(**fields)


def record_audit(actor, *, metered: bool = False, **overrides):
    """One audit row; `metered=True` writes a success's usage row too, as an invocation would."""
    fields = {
        "tenant": actor.tenant,
        "user": actor.user,
        "outcome": "success",
        "tool_name": "echo",
        "idempotency_key": "k",
        "status_code": 200,
        "attempt": attempt(),
        **overrides,
    }
    if metered and fields["outcome"] == "success":
        fields["units"] = fields.get("units") or 1
    seq = audit_record(**fields)
    if metered and fields["outcome"] == "success":
        usage_record(tenant=actor.tenant, user=actor.user, tool_name=fields["tool_name"], units=fields["units"],
                     request_id=fields["attempt"].request_id)  # fmt: skip
    return seq


def tamper(sql: str, *params) -> None:
    """Edit the table behind the application's back, as someone who owns the database would:
    past the triggers (they unlock them) and past the application."""
    with ledger_unlocked(reason="test: simulated tampering"), connection.cursor() as cursor:
        cursor.execute(sql, params)


def tamper_column(model, row_pk: int, field_name: str, value) -> None:
    """Set one column of one ledger row to `value`, adapted as the database stores that field."""
    field = model._meta.get_field(field_name)
    tamper(
        f"UPDATE {model._meta.db_table} SET {field.column} = %s WHERE id = %s",  # noqa: S608 - model metadata
        db_value(model, field_name, value),
        row_pk,
    )


def row_id(tenant, seq: int) -> int:
    return AuditLog.objects.get(tenant=tenant, seq=seq).id


def tenant_param(tenant):
    """A tenant id as a raw SQL parameter: hex on SQLite, a uuid on PostgreSQL."""
    return tenant.id.hex if connection.vendor == "sqlite" else str(tenant.id)


def seal(*args) -> dict:
    """Run `manage.py seal_audit` as an operator would; returns its JSON report."""
    out = StringIO()
    call_command("seal_audit", *args, stdout=out)
    return json.loads(out.getvalue())


@contextmanager
def migrated_back_to(*targets: tuple[str, str]):
    """The test database migrated back to `targets` for the block, then forward to the latest again,
    with the ledger triggers put back (a SQLite table rebuild drops them; `migrate` restores them)."""
    from django.db.migrations.executor import MigrationExecutor

    from audit.ledger_lock import ensure_ledger_triggers

    executor = MigrationExecutor(connection)
    executor.migrate(list(targets))
    try:
        yield executor
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
        ensure_ledger_triggers(connection)
