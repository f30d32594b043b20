"""Indexes for the console's ledger lists: newest first by time, and exact-id search.

The (tenant, created_at) index serves one tenant's rows; an unfiltered list ordered by
(-created_at, -id) needs (created_at, id) or it sorts the whole table. request_id and
idempotency_key are searched exactly; the (tenant, request_id) constraint only serves a lookup
that names the tenant.
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

    operations = [migrations.AddIndex(model_name=model, index=index) for model, index in INDEXES]
