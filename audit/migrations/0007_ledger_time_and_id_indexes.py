"""Indexes for the console's ledger lists: newest first by time, and exact-id search.

The (tenant, created_at) index serves one tenant's rows; an unfiltered list ordered by
(-created_at, -id) needs (created_at, id) or it sorts the whole table. request_id and
idempotency_key are searched exactly; the (tenant, request_id) constraint only serves a lookup
that names the tenant.

Database-only: audit/models.py does not declare these indexes yet (that file belonged to another
change when they were added), so they live outside the migration state. A table rebuild on SQLite
(an AlterField or AddField there) recreates only the declared indexes; audit/tests/test_query_plans.py
fails if these go missing. Declaring them in AuditLog.Meta / UsageEvent.Meta with the same names,
in a migration with state_operations only, moves them into the state.
"""

from django.db import migrations, models

INDEXES = [
    ("auditlog", models.Index(fields=["created_at", "id"], name="audit_created_id_idx")),
    ("auditlog", models.Index(fields=["request_id"], name="audit_request_idx")),
    ("auditlog", models.Index(fields=["idempotency_key"], name="audit_idempotency_key_idx")),
    ("usageevent", models.Index(fields=["created_at", "id"], name="usage_created_id_idx")),
    ("usageevent", models.Index(fields=["request_id"], name="usage_request_idx")),
]


class Migration(migrations.Migration):
    dependencies = [("audit", "0006_audit_rows_carry_units")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AddIndex(model_name=model, index=index) for model, index in INDEXES],
        )
    ]
