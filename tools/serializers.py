from rest_framework import serializers

from gateway_project.fields import StrictCharField


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
