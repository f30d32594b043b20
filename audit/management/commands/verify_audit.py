import sys
from dataclasses import asdict

from audit.verification import audit_chain_verify
from gateway_project.commands import GatewayCommand


class Command(GatewayCommand):
    help = (
        "Check every tenant's audit chain, seals and usage ledger; exit 0 when intact, "
        "1 naming the first row changed or removed in each tenant that is not."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="Only this tenant's chain.")

    def handle(self, *args, tenant: str | None, **options):
        report = audit_chain_verify(tenant=self.tenant(tenant) if tenant else None)
        self.emit(
            {
                "intact": report.intact,
                "tenants": report.tenants,
                "rows": report.rows,
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
        sys.exit(1)
