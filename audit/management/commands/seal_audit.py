from audit.sealing import audit_seal
from gateway_project.commands import GatewayCommand
from tenants.models import Tenant


class Command(GatewayCommand):
    help = (
        "Seal each tenant's audit chain (row count + last row HMAC, chained to the previous seal), "
        "so that deleting the newest rows is detected. Run it periodically; ship its output off-box."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="Only this tenant's chain.")

    def handle(self, *args, tenant: str | None, **options):
        tenants = [self.tenant(tenant)] if tenant else Tenant.objects.order_by("id")
        sealed, unchanged = [], 0
        for owner in tenants:
            seal = audit_seal(tenant=owner)
            if seal is None:
                unchanged += 1
                continue
            sealed.append(
                {"tenant_id": str(owner.id), "seal": seal.seq, "rows": seal.rows, "seal_hash": seal.seal_hash}
            )
        self.emit({"sealed": sealed, "unchanged": unchanged})
