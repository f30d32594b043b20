from django.core.validators import RegexValidator
from rest_framework import serializers

from gateway_project.errors import ValidationFailed
from gateway_project.fields import StrictCharField, StrictUUIDField
from tenants.models import Role
from tools.http_tools import MAX_DESCRIPTION_LENGTH, MAX_UNITS
from tools.models import TOOL_NAME_MAX_LENGTH, TOOL_NAME_PATTERN, HttpMethod, HttpTool


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


def _default(field: str):
    return HttpTool._meta.get_field(field).get_default()


class CredentialSerializer(serializers.Serializer):
    """Where a vault secret goes in the upstream request; the secret by its name, its value never leaves the vault."""

    def get_fields(self):
        # "in" is a Python keyword, so the fields are listed here rather than declared on the class.
        return {
            "secret": serializers.CharField(help_text="The name of a secret in the tenant's vault (PUT /v1/secrets)."),
            "in": serializers.ChoiceField(choices=["header", "query"], help_text="A header or a query parameter."),
            "name": serializers.CharField(help_text="The header's or query parameter's name, e.g. `Authorization`."),
            "format": serializers.CharField(
                required=False, default="{secret}", help_text="Text holding `{secret}` once, e.g. `Bearer {secret}`."
            ),
        }


class HttpToolSerializer(serializers.Serializer):
    """An HTTP tool: its whole definition; its credentials name vault secrets, whose values never appear."""

    # As a request body this documents what tools/http_tools.py checks: that module, not this class, validates it.

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(
        min_length=1, max_length=TOOL_NAME_MAX_LENGTH, validators=[RegexValidator(TOOL_NAME_PATTERN)],
        help_text="Letters, digits, `_`, `.`, `-`, first a letter or digit; not a built-in tool's name. "
        "Unique in the tenant.",
    )  # fmt: skip
    description = serializers.CharField(required=False, default="", allow_blank=True, max_length=MAX_DESCRIPTION_LENGTH)
    input_schema = serializers.DictField(
        required=False, default=_default("input_schema"),
        help_text='JSON Schema (draft 2020-12) of the payload, `"type": "object"`; each placeholder of the URL is a '
        "required property of it.",
    )  # fmt: skip
    method = serializers.ChoiceField(choices=HttpMethod.values, required=False, default=_default("method"))
    url_template = serializers.CharField(
        max_length=2000,
        help_text="An absolute http(s) URL; `{field}` placeholders in the path take the payload's fields.",
    )
    query_params = serializers.ListField(
        child=serializers.CharField(), required=False, default=list,
        help_text="Payload properties sent in the query string.",
    )  # fmt: skip
    body_field = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=100,
        help_text="Send this payload property's value as the body; empty: the properties the URL and the query "
        "do not take (query parameters for GET and DELETE).",
    )  # fmt: skip
    static_headers = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False, default=dict,
        help_text="Headers sent as they are; never a credential (name a vault secret in `credentials`).",
    )  # fmt: skip
    credentials = CredentialSerializer(many=True, required=False, default=list)
    connect_timeout_seconds = serializers.FloatField(
        required=False, default=_default("connect_timeout_seconds"),
        help_text="More than 0, at most GATEWAY_HTTP_TOOL_MAX_TIMEOUT_SECONDS and the total timeout.",
    )  # fmt: skip
    read_timeout_seconds = serializers.FloatField(
        required=False, default=_default("read_timeout_seconds"),
        help_text="More than 0, at most GATEWAY_HTTP_TOOL_MAX_TIMEOUT_SECONDS and the total timeout.",
    )  # fmt: skip
    total_timeout_seconds = serializers.FloatField(
        required=False, default=_default("total_timeout_seconds"),
        help_text="More than 0, at most GATEWAY_HTTP_TOOL_MAX_TIMEOUT_SECONDS.",
    )  # fmt: skip
    max_response_bytes = serializers.IntegerField(
        min_value=1, required=False, default=_default("max_response_bytes"),
        help_text="A larger answer is a 502; at most GATEWAY_HTTP_TOOL_MAX_RESPONSE_BYTES.",
    )  # fmt: skip
    units = serializers.IntegerField(
        min_value=1, max_value=MAX_UNITS, required=False, default=_default("units"),
        help_text="Units one successful call meters.",
    )  # fmt: skip
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices), min_length=1, required=False, default=_default("roles"),
        help_text="The roles that may call it.",
    )  # fmt: skip
    idempotency_header = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=100,
        help_text="The header the upstream reads an idempotency key from; empty: it honours none, and a call "
        "whose outcome is unknown is never sent again.",
    )  # fmt: skip
    enabled = serializers.BooleanField(required=False, default=True, help_text="Off: the tool is not offered.")
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


def definition_fields(body) -> dict:
    """A create's or change's body as tools/http_tools.py takes it, which checks every field itself."""
    if not isinstance(body, dict):
        raise ValidationFailed({"body": ["A JSON object of the tool's fields."]})
    return body


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
