from django.core.management.base import CommandError

from gateway_project.commands import GatewayCommand
from gateway_project.errors import Conflict
from tenants.models import Role
from tenants.serializers import UserFieldsSerializer
from tenants.services import user_create


class Command(GatewayCommand):
    help = "Add a user to a tenant."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="Tenant id.")
        parser.add_argument("--email", required=True, help="The user's email, unique within the tenant.")
        parser.add_argument(
            "--role",
            required=True,
            choices=Role.values,
            help="The user's role; tenants/permissions.py says what each may do.",
        )

    def handle(self, *args, tenant: str, email: str, role: str, **options):
        owner = self.tenant(tenant)
        fields = self.validated(UserFieldsSerializer(data={"email": email, "role": role}))
        try:
            user = user_create(tenant=owner, **fields)
        except Conflict as conflict:
            raise CommandError(conflict.detail) from None
        self.emit({"user_id": str(user.id), "tenant_id": str(owner.id), "email": user.email, "role": user.role})
