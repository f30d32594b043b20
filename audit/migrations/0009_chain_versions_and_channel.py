"""Audit rows carry the chain version they were written with and the channel the call came through;
seals carry their version too.

Rows written before this migration carry no version. Those written before 0006 were chained over
the first release's fields (version 1), the later ones over those and `units` (version 2): 0006
added the column to the hash and so made every older row look tampered with. Each row is told
apart by the HMAC it carries, under the key in settings; a row that matches neither version keeps
version 2, and verify_audit names it as changed, as it did before.
"""

from django.db import migrations, models

from audit.chain import CHAIN_VERSIONS, audit_row_hash
from audit.ledger_lock import ledger_unlocked

BATCH = 2000


def classify_rows_written_before(apps, schema_editor):
    AuditLog = apps.get_model("audit", "AuditLog")
    alias = schema_editor.connection.alias
    read = (
        "id",
        "row_hash",
        *dict.fromkeys(field for fields in (CHAIN_VERSIONS[1], CHAIN_VERSIONS[2]) for field in fields),
    )
    first_release = [
        row["id"]
        for row in AuditLog.objects.using(alias).values(*read).iterator(chunk_size=BATCH)
        if audit_row_hash(row, version=2) != row["row_hash"] and audit_row_hash(row, version=1) == row["row_hash"]
    ]
    if not first_release:
        return
    # The ledger refuses updates; this is a version label the hash does not cover for these rows, set once.
    with ledger_unlocked(reason="audit 0009: the chain version of rows written by the first release", using=alias):
        for start in range(0, len(first_release), BATCH):
            AuditLog.objects.using(alias).filter(id__in=first_release[start : start + BATCH]).update(chain_version=1)


class Migration(migrations.Migration):
    dependencies = [("audit", "0008_console_groups")]

    operations = [
        migrations.AddField(
            model_name="auditlog",
            name="chain_version",
            field=models.PositiveSmallIntegerField(default=2),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditlog",
            name="channel",
            field=models.CharField(default="rest", max_length=16),
        ),
        migrations.RunPython(classify_rows_written_before, migrations.RunPython.noop),
        # Every seal so far was hashed over the one field list there is: version 1.
        migrations.AddField(
            model_name="auditseal",
            name="seal_version",
            field=models.PositiveSmallIntegerField(default=1),
        ),
    ]
