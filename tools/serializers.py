from rest_framework import serializers

from gateway_project.fields import StrictCharField, StrictUUIDField


class ToolNameField(StrictCharField):
    """A tool's name: any string validates; an unregistered one is a 404, not a 422."""


class InvocationSerializer(serializers.Serializer):
    tool_name = ToolNameField(min_length=1, max_length=100)
    payload = serializers.JSONField(
        required=False, default=dict, help_text="A JSON object, validated against the tool's input_schema."
    )

    def validate_payload(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Payload must be a JSON object.")
        return value


class InvocationResultSerializer(serializers.Serializer):
    request_id = serializers.UUIDField(help_text="This invocation's id, as in the audit log and the usage ledger.")
    result = serializers.DictField(help_text="What the tool returned.")


class ToolSerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
    input_schema = serializers.DictField(help_text="JSON Schema (draft 2020-12) of the tool's payload.")
    permission = serializers.CharField(help_text="The permission a role needs, besides `tools.invoke`.")
    roles = serializers.SerializerMethodField(help_text="The roles that may call the tool.")
    units = serializers.IntegerField(help_text="The most units one successful invocation meters.")

    def get_roles(self, tool) -> list[str]:
        return sorted(tool.roles)


class ToolPolicySerializer(serializers.Serializer):
    tool_name = serializers.CharField(read_only=True)
    enabled = serializers.BooleanField(help_text="Off: every call of the tool is refused (403 tool_disabled).")
    roles = serializers.ListField(
        child=StrictCharField(min_length=1, max_length=16),
        allow_null=True,
        required=False,
        default=None,
        help_text="The roles that may call it, instead of the tool's own; null: the tool's own.",
    )
    updated_at = serializers.DateTimeField(read_only=True)


class VaultSecretSerializer(serializers.Serializer):
    """A secret as the API shows it: its name and dates, never its value or ciphertext."""

    name = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class SecretValueSerializer(serializers.Serializer):
    value = StrictCharField(
        min_length=1, write_only=True, trim_whitespace=False,
        help_text="The secret, stored encrypted; never returned. At most GATEWAY_VAULT_MAX_SECRET_BYTES (8192) bytes.",
    )  # fmt: skip

    def validate_value(self, value: str) -> str:
        # Kept exactly as sent (no trimming: a secret's spaces are its own), but never only whitespace.
        if not value.strip():
            raise serializers.ValidationError("This field may not be blank.")
        return value


class AccessQuerySerializer(serializers.Serializer):
    user_id = StrictUUIDField(help_text="The user whose access is explained.")
    tool = StrictCharField(min_length=1, max_length=100, help_text="The tool's name.")
    key_id = StrictUUIDField(required=False, default=None, help_text="A principal key of that user; left out: the "
                             "tenant key acting as the user.")  # fmt: skip


class VerdictSerializer(serializers.Serializer):
    rule = serializers.CharField(help_text="service_key, invoke_permission, key_scope, tenant_policy, role, rate_limit")
    passed = serializers.BooleanField()
    detail = serializers.CharField()
    code = serializers.SerializerMethodField(help_text="The refusal's code when the rule refuses, else null.")

    def get_code(self, verdict) -> str | None:
        return verdict.refusal.code if verdict.refusal else None


class AccessExplanationSerializer(serializers.Serializer):
    allowed = serializers.BooleanField(help_text="True when no access rule refuses the call (rate limits aside).")
    refused_by = serializers.CharField(allow_null=True, help_text="The code of the first rule that refuses, or null.")
    verdicts = VerdictSerializer(many=True, help_text="Every rule, in the order a call meets them.")
