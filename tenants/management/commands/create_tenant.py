from django.core.management.base import CommandError
from django.db import transaction

from gateway_project.commands import GatewayCommand
from tenants.models import Role
from tenants.selectors import tenant_named
from tenants.serializers import TenantCreateSerializer, UserFieldsSerializer
from tenants.services import tenant_create, user_create


class Command(GatewayCommand):
    help = "Create a tenant (and optionally its first admin); prints the API key, which is shown only once."

    def add_arguments(self, parser):
        parser.add_argument(
            "--name", required=True, help="The tenant's name; refused if another tenant has it, ignoring case."
        )
        parser.add_argument("--region", required=True, help="Where the tenant's data lives, e.g. eu-west-1.")
        parser.add_argument("--admin-email", help="Also create an admin user with this email.")
        parser.add_argument(
            "--allow-duplicate-name",
            action="store_true",
            help="Create the tenant even if another tenant already has this name.",
        )

    def handle(self, *args, name: str, region: str, admin_email: str | None, allow_duplicate_name: bool, **options):
        tenant_fields = self.validated(TenantCreateSerializer(data={"name": name, "region": region}))
        admin_fields = None
        if admin_email is not None:
            admin_fields = self.validated(UserFieldsSerializer(data={"email": admin_email, "role": Role.ADMIN}))
        # Run twice (a retried script, the README recipe), the command would leave two tenants nobody can tell apart.
        namesake = None if allow_duplicate_name else tenant_named(name=tenant_fields["name"])
        if namesake is not None:
            raise CommandError(
                f"A tenant named '{namesake.name}' already exists ({namesake.id}); "
                "pass --allow-duplicate-name to create another"
            )
        with transaction.atomic():
            tenant, api_key = tenant_create(**tenant_fields)
            admin = user_create(tenant=tenant, **admin_fields) if admin_fields else None
        self.emit(
            {
                "tenant_id": str(tenant.id),
                "name": tenant.name,
                "region": tenant.region,
                "api_key": api_key,
                "admin_user_id": str(admin.id) if admin else None,
            }
        )
