from django.db import migrations

from audit.ledger_lock import install_ledger_triggers, remove_ledger_triggers


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_audit_seals")]

    operations = [migrations.RunPython(install_ledger_triggers, remove_ledger_triggers)]
