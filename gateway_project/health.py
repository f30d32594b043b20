from django.db import DatabaseError, connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from gateway_project.api_views import ApiViewMixin
from gateway_project.openapi import error_responses


class HealthView(ApiViewMixin, APIView):
    """GET /healthz: 200 when the database answers a query, 503 when it does not."""

    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(
        operation_id="healthz",
        tags=["Health"],
        summary="Check the gateway and its database",
        responses={
            200: inline_serializer("Health", {"status": serializers.ChoiceField(choices=["ok"])}),
            **error_responses(503),
        },
    )
    def get(self, request):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except DatabaseError:
            return Response({"detail": "Database unavailable", "code": "database_unavailable"}, status=503)
        return Response({"status": "ok"})
