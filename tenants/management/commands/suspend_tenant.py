from gateway_project.commands import GatewayCommand
from tenants.serializers import TenantSuspendSerializer
from tenants.services import tenant_suspend


class Command(GatewayCommand):
    help = (
        "Suspend a tenant: its API calls get 403 tenant_suspended (and are audited) until reinstate_tenant. "
        "Nothing is deleted. Suspending a suspended tenant changes nothing (changed: false)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="Tenant id.")
        parser.add_argument("--reason", default="", help="Why, in one line; kept with the tenant (255 characters).")

    def handle(self, *args, tenant: str, reason: str, **options):
        owner = self.tenant(tenant)
        fields = self.validated(TenantSuspendSerializer(data={"reason": reason}))
        changed = tenant_suspend(tenant=owner, **fields)
        self.emit(
            {
                "tenant_id": str(owner.id),
                "name": owner.name,
                "suspended": True,
                "suspended_at": owner.suspended_at.isoformat(),
                "reason": owner.suspension_reason,
                "changed": changed,
            }
        )
