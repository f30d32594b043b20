"""Audit rows record the public id of the principal key that authenticated the call (never the secret).

Rows already written get "" (the tenant key's, as nothing else could have authenticated them) and keep
their chain version: versions 1 to 3 do not hash the column, so they verify as before. Rows written from
now on are chain version 4, whose HMAC covers it (audit/chain.py). Verification names an older row
whose column holds anything but "" (audit.chain.UNCHAINED_DEFAULTS).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0009_chain_versions_and_channel")]

    operations = [
        migrations.AddField(
            model_name="auditlog",
            name="api_key_id",
            field=models.CharField(blank=True, default="", max_length=32, verbose_name="principal key"),
        ),
    ]
