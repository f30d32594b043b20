import uuid

from gateway_project.commands import GatewayCommand
from gateway_project.errors import ValidationFailed
from gateway_project.timestamps import TimestampError, format_timestamp, parse_aware_timestamp
from tenants.models import PrincipalKey, Tenant, TenantUser
from tenants.principal_keys import principal_key_create

LABEL_MAX_LENGTH = PrincipalKey._meta.get_field("label").max_length


class Command(GatewayCommand):
    help = (
        "Mint a principal key for one user of a tenant: it authenticates as that user and no other. "
        "Prints the key, which is shown only once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="Tenant id.")
        parser.add_argument("--user", required=True, help="Id of the tenant's user the key acts as.")
        parser.add_argument("--label", required=True, help="What the key is for, e.g. 'CI deploys' (100 characters).")
        parser.add_argument(
            "--expires-at", help="RFC 3339 with Z or an offset, e.g. 2027-01-01T00:00:00Z. Left out: never expires."
        )
        parser.add_argument(
            "--tool",
            action="append",
            dest="tools",
            metavar="NAME",
            help="A tool the key may call; repeat for each. Left out: every tool the user's role may call.",
        )

    def handle(self, *args, tenant: str, user: str, label: str, expires_at: str | None, tools, **options):
        owner = self.tenant(tenant)
        holder = self.user_of(owner, user)
        if len(label) > LABEL_MAX_LENGTH:
            raise self.bad_input(f"label: Ensure this field has no more than {LABEL_MAX_LENGTH} characters.")
        try:
            expiry = None if expires_at is None else parse_aware_timestamp(expires_at)
        except TimestampError as error:
            raise self.bad_input(f"expires_at: {error}") from None
        try:
            key, secret = principal_key_create(tenant=owner, user=holder, label=label, expires_at=expiry, tools=tools)
        except ValidationFailed as refusal:
            field, messages = next(iter(refusal.errors.items()))
            raise self.bad_input(f"{field}: {messages[0]}") from None
        self.emit(
            {
                "key_id": str(key.id),
                "prefix": key.prefix,
                "api_key": secret,
                "user_id": str(holder.id),
                "tenant_id": str(owner.id),
                "label": key.label,
                "expires_at": format_timestamp(key.expires_at) if key.expires_at else None,
                "tools": key.tools,
            }
        )

    def user_of(self, tenant: Tenant, raw_id: str) -> TenantUser:
        """The tenant's user; another tenant's user is as unknown as no user at all."""
        try:
            user = TenantUser.objects.filter(pk=uuid.UUID(raw_id), tenant=tenant).first()
        except ValueError:
            user = None
        if user is None:
            raise self.bad_input(f"User '{raw_id}' not found in tenant '{tenant.id}'")
        return user
