import uuid

from gateway_project.commands import GatewayCommand
from gateway_project.timestamps import format_timestamp
from tenants.api_keys import PRINCIPAL_KEY_PREFIX, principal_key_public_id
from tenants.models import PrincipalKey
from tenants.principal_keys import principal_key_revoke


class Command(GatewayCommand):
    help = (
        "Revoke a principal key: it is refused (401 key_revoked) from now on, on every server. "
        "Revoking a revoked key changes nothing (revoked: false)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--key", required=True, help="The key's prefix (gwp_<public id>), its public id, or its id (a UUID)."
        )

    def handle(self, *args, key: str, **options):
        found = self.principal_key(key.strip())
        revoked = principal_key_revoke(key=found)
        self.emit(
            {
                "revoked": revoked,
                "key_id": str(found.id),
                "prefix": found.prefix,
                "tenant_id": str(found.tenant_id),
                "user_id": str(found.user_id),
                "label": found.label,
                "revoked_at": format_timestamp(found.revoked_at),
            }
        )

    def principal_key(self, named: str) -> PrincipalKey:
        if principal_key_public_id(named) is not None:
            # Never echoed back: the secret would land in logs beside the command's output.
            raise self.bad_input(f"Pass the key's prefix ({PRINCIPAL_KEY_PREFIX}<public id>), not the key itself")
        try:
            lookup = {"pk": uuid.UUID(named)}
        except ValueError:
            lookup = {"public_id": named.removeprefix(PRINCIPAL_KEY_PREFIX)}
        found = PrincipalKey.objects.filter(**lookup).first()
        if found is None:
            raise self.bad_input(f"Key '{named}' not found")
        return found
