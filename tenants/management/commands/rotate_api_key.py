from gateway_project.commands import GatewayCommand
from tenants.services import tenant_api_key_rotate


class Command(GatewayCommand):
    help = "Give a tenant a new API key; the old key stops working at once. Prints the new key, once."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="Tenant id.")

    def handle(self, *args, tenant: str, **options):
        owner = self.tenant(tenant)
        self.emit({"tenant_id": str(owner.id), "api_key": tenant_api_key_rotate(tenant=owner)})
