from django.core.management.commands.flush import Command as DjangoFlush

from audit.ledger_lock import ledger_unlocked


class Command(DjangoFlush):
    """Django's flush, which empties every table on purpose, ledgers included.

    The ledger triggers would refuse it; this is the one command that unlocks them.
    """

    def handle(self, **options):
        with ledger_unlocked(reason="manage.py flush", using=options["database"]):
            super().handle(**options)
