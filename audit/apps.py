from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _reinstall_ledger_triggers(sender, using, **kwargs) -> None:
    from django.db import connections

    from audit.ledger_lock import ensure_ledger_triggers

    ensure_ledger_triggers(connections[using])


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit and usage"

    def ready(self) -> None:
        # After every migrate: a later migration that rebuilds a ledger table on SQLite drops its triggers.
        post_migrate.connect(_reinstall_ledger_triggers, sender=self)
