from rest_framework import serializers

from gateway_project.fields import StrictCharField
from kpis.models import KpiDefinition


class KpiCreateSerializer(serializers.Serializer):
    name = StrictCharField(min_length=1, max_length=255)
    unit = StrictCharField(max_length=50, required=False, allow_null=True, allow_blank=True)
    description = StrictCharField(required=False, allow_null=True, allow_blank=True, trim_whitespace=False)


class KpiSerializer(serializers.ModelSerializer):
    kpi_id = serializers.UUIDField(source="id")

    class Meta:
        model = KpiDefinition
        fields = ["kpi_id", "name", "unit", "description"]


class PointSerializer(serializers.Serializer):
    ts = serializers.DateTimeField()
    value = serializers.FloatField()


class PointsBulkSerializer(serializers.Serializer):
    """Documents the bulk body; kpis.points validates it without a serializer per point."""

    points = PointSerializer(many=True)


class IngestResultSerializer(serializers.Serializer):
    inserted = serializers.IntegerField()
    ignored = serializers.IntegerField()


class LatestPointSerializer(serializers.Serializer):
    kpi_id = serializers.UUIDField()
    ts = serializers.DateTimeField()
    value = serializers.FloatField()
