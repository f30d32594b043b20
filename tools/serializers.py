from rest_framework import serializers

from gateway_project.fields import StrictCharField


class InvocationSerializer(serializers.Serializer):
    tool_name = StrictCharField(min_length=1, max_length=100)
    payload = serializers.JSONField(required=False, default=dict)

    def validate_payload(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Payload must be a JSON object.")
        return value


class InvocationResultSerializer(serializers.Serializer):
    request_id = serializers.UUIDField()
    result = serializers.JSONField()


class ToolSerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
    input_schema = serializers.JSONField()
    permission = serializers.CharField()
    units = serializers.IntegerField()
