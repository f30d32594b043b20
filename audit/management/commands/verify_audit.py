import sys
from dataclasses import asdict

from django.core.management.base import CommandError
from django.db import DatabaseError

from audit.verification import audit_chain_verify
from gateway_project.commands import GatewayCommand

# Exit 1 is kept for one fact, a broken ledger, so that a monitor may page on it.
EXIT_BROKEN = 1
EXIT_BAD_INPUT = 2
EXIT_UNCHECKED = 3


class Command(GatewayCommand):
    help = (
        "Check every tenant's audit chain, seals and usage ledger. Exit 0 when intact; "
        "1 when broken, naming the first row changed or removed in each tenant that is; "
        "2 for bad arguments or an unknown tenant; 3 when the database could not be read."
    )
    bad_input_exit_code = EXIT_BAD_INPUT

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="Tenant id: check only this tenant's chain.")

    def handle(self, *args, tenant: str | None, **options):
        try:
            report = audit_chain_verify(tenant=self.tenant(tenant) if tenant else None)
        except DatabaseError as error:
            # Not a verdict on the ledger: a traceback's exit 1 would read as "broken".
            reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise CommandError(f"Could not verify the audit ledger: {reason}", returncode=EXIT_UNCHECKED) from None
        self.emit(
            {
                "intact": report.intact,
                "tenants": report.tenants,
                "rows": report.rows,
                # Keys as strings, as JSON has them: {"1": n, "2": n, "3": n}.
                "rows_by_chain_version": {str(version): count for version, count in report.rows_by_version.items()},
                "seals": report.seals,
                "first_break": asdict(report.first_break) if report.first_break else None,
                "breaks": [asdict(found) for found in report.breaks],
                "triggers_unlocked": report.triggers_unlocked,
            }
        )
        if report.intact:
            return
        if report.triggers_unlocked:
            self.stderr.write("Ledger triggers are unlocked: ledger_maintenance_unlock holds a committed row")
        else:
            found = report.first_break
            self.stderr.write(f"Audit chain broken: tenant {found.tenant_id}, seq {found.seq}: {found.detail}")
        sys.exit(EXIT_BROKEN)
