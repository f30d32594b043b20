from gateway_project.commands import GatewayCommand
from tenants.services import tenant_reinstate


class Command(GatewayCommand):
    help = (
        "Reinstate a suspended tenant: its API calls are served again, with the key it had. "
        "Reinstating a tenant that is not suspended changes nothing (changed: false)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="Tenant id.")

    def handle(self, *args, tenant: str, **options):
        owner = self.tenant(tenant)
        changed = tenant_reinstate(tenant=owner)
        self.emit({"tenant_id": str(owner.id), "name": owner.name, "suspended": False, "changed": changed})
