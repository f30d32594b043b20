from rest_framework import serializers

from gateway_project.fields import StrictCharField, StrictEmailField, StrictUUIDField
from tenants.models import Role, TenantUser


class TenantCreateSerializer(serializers.Serializer):
    name = StrictCharField(min_length=1, max_length=255)
    region = StrictCharField(min_length=1, max_length=50)


class TenantSuspendSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=255, allow_blank=True, required=False, default="")


class TenantCreatedSerializer(serializers.Serializer):
    """Renders `{"tenant": Tenant, "api_key": str}`: the only time the key is shown."""

    tenant_id = serializers.UUIDField(source="tenant.id")
    name = serializers.CharField(source="tenant.name")
    region = serializers.CharField(source="tenant.region")
    api_key = serializers.CharField(help_text="Shown here once; only its digest is stored.")
    created_at = serializers.DateTimeField(source="tenant.created_at")


def _normalize_email(email: str) -> str:
    # The domain is case-insensitive; the local part is kept as typed.
    local, _, domain = email.strip().rpartition("@")
    return f"{local}@{domain.lower()}"


class UserFieldsSerializer(serializers.Serializer):
    """A user's own fields, for callers that already know the tenant (commands, admin)."""

    email = StrictEmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices)

    def validate_email(self, value: str) -> str:
        return _normalize_email(value)


class UserCreateSerializer(UserFieldsSerializer):
    tenant_id = StrictUUIDField()


class UserSerializer(serializers.ModelSerializer):
    user_id = serializers.UUIDField(source="id")
    tenant_id = serializers.UUIDField()

    class Meta:
        model = TenantUser
        fields = ["user_id", "tenant_id", "email", "role", "created_at"]
