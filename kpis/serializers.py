from django.conf import settings
from rest_framework import serializers

from gateway_project.fields import StrictCharField
from kpis.models import KpiDefinition


class KpiCreateSerializer(serializers.Serializer):
    name = StrictCharField(min_length=1, max_length=255)
    unit = StrictCharField(max_length=50, required=False, allow_null=True, allow_blank=True)
    description = StrictCharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        trim_whitespace=False,
        help_text="At most GATEWAY_MAX_KPI_DESCRIPTION_LENGTH characters (default 2000).",
    )

    def validate_description(self, value: str | None) -> str | None:
        # Read per request, so the limit is a setting and not a constant frozen at import.
        limit = settings.GATEWAY_MAX_KPI_DESCRIPTION_LENGTH
        if value is not None and len(value) > limit:
            raise serializers.ValidationError(f"Ensure this field has no more than {limit} characters.")
        return value


class KpiSerializer(serializers.ModelSerializer):
    kpi_id = serializers.UUIDField(source="id")

    class Meta:
        model = KpiDefinition
        fields = ["kpi_id", "name", "unit", "description"]


class PointSerializer(serializers.Serializer):
    ts = serializers.DateTimeField(help_text="RFC 3339 with `Z` or an offset, e.g. 2026-01-08T00:00:00Z.")
    value = serializers.FloatField(help_text="A finite number.")


class PointsBulkSerializer(serializers.Serializer):
    """Documents the bulk body; kpis.points validates it without a serializer per point."""

    points = PointSerializer(many=True, min_length=1, max_length=settings.GATEWAY_MAX_POINTS_PER_BATCH)


class IngestResultSerializer(serializers.Serializer):
    inserted = serializers.IntegerField()
    ignored = serializers.IntegerField()


class LatestPointSerializer(serializers.Serializer):
    kpi_id = serializers.UUIDField()
    ts = serializers.DateTimeField()
    value = serializers.FloatField()
