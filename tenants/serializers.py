from django.conf import settings
from rest_framework import serializers

from gateway_project.fields import StrictCharField, StrictEmailField, StrictUUIDField
from gateway_project.timestamps import TimestampError, parse_aware_timestamp
from tenants.models import PrincipalKey, Role, TenantUser


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


class TimestampField(StrictCharField):
    """An RFC 3339 instant with its offset, as every timestamp the API takes."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            return parse_aware_timestamp(text)
        except TimestampError as error:
            raise serializers.ValidationError(str(error)) from None


class PrincipalKeyCreateSerializer(serializers.Serializer):
    user_id = StrictUUIDField(help_text="The user the key authenticates (a person or an agent).")
    label = StrictCharField(min_length=1, max_length=100, help_text="What the key is for.")
    expires_at = TimestampField(required=False, allow_null=True, default=None, help_text="Refused from then on.")
    tools = serializers.ListField(
        child=StrictCharField(min_length=1, max_length=100),
        required=False,
        allow_null=True,
        default=None,
        help_text="The tools it may call; left out or null: every tool its user may call.",
    )

    def validate_tools(self, value):
        limit = settings.GATEWAY_PRINCIPAL_KEY_MAX_TOOLS
        if value is not None and len(value) > limit:
            raise serializers.ValidationError(f"Name at most {limit} tools.")
        return value


class PrincipalKeyRotateSerializer(serializers.Serializer):
    grace_seconds = serializers.IntegerField(
        min_value=0, default=3600, help_text="How long the old key keeps working beside the new one."
    )

    def validate_grace_seconds(self, value: int) -> int:
        limit = settings.GATEWAY_KEY_ROTATION_MAX_GRACE_SECONDS
        if value > limit:
            raise serializers.ValidationError(f"Ensure this value is less than or equal to {limit}.")
        return value


class PrincipalKeySerializer(serializers.ModelSerializer):
    key_id = serializers.UUIDField(source="id")
    user_id = serializers.UUIDField()
    prefix = serializers.CharField(help_text="The key's public part: it names the key in lists and the audit log.")
    rotated_from = serializers.SerializerMethodField(help_text="The key this one replaced, if any.")

    class Meta:
        model = PrincipalKey
        fields = ["key_id", "prefix", "label", "user_id", "tools", "created_at", "expires_at", "last_used_at",
                  "revoked_at", "rotated_from"]  # fmt: skip

    def get_rotated_from(self, key) -> str | None:
        return str(key.rotated_from_id) if key.rotated_from_id else None


class PrincipalKeyCreatedSerializer(PrincipalKeySerializer):
    """A key as minted: the only answer that shows its secret."""

    api_key = serializers.SerializerMethodField(help_text="Shown here once; only its digest is stored.")

    class Meta(PrincipalKeySerializer.Meta):
        fields = [*PrincipalKeySerializer.Meta.fields, "api_key"]

    def get_api_key(self, key) -> str:
        return self.context["secret"]
