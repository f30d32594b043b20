"""OpenAPI documentation of the KPI endpoints, with the seed walk-through's examples."""

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, extend_schema

from gateway_project.openapi import AUTHENTICATED_ERRORS, BODY_ERRORS, error_responses, kpi_id_parameter
from kpis.serializers import (
    IngestResultSerializer,
    KpiCreateSerializer,
    KpiSerializer,
    LatestPointSerializer,
    PointsBulkSerializer,
)

KPI_ID = "880e8400-e29b-41d4-a716-446655440003"
MRR = {"kpi_id": KPI_ID, "name": "MRR", "unit": "GBP", "description": "Monthly recurring revenue"}
NOT_FOUND = "No such KPI in this tenant."

kpi_list_docs = extend_schema(
    operation_id="kpis_list",
    tags=["KPIs"],
    summary="List the tenant's KPI definitions",
    description="A plain JSON array, ordered by name. Admins and members.",
    responses={200: KpiSerializer(many=True), **error_responses(*AUTHENTICATED_ERRORS)},
    examples=[OpenApiExample("One KPI", value=[MRR], response_only=True, status_codes=["200"])],
)

kpi_retrieve_docs = extend_schema(
    operation_id="kpis_retrieve",
    tags=["KPIs"],
    summary="Get one KPI definition",
    description="Admins and members.",
    parameters=[kpi_id_parameter()],
    responses={200: KpiSerializer, **error_responses(*AUTHENTICATED_ERRORS, 404, s404=NOT_FOUND)},
)

kpi_create_docs = extend_schema(
    operation_id="kpis_create",
    tags=["KPIs"],
    summary="Create a KPI definition",
    description="Names are unique within a tenant. Admins only (`kpis.write`).",
    request=KpiCreateSerializer,
    responses={
        201: KpiSerializer,
        **error_responses(*AUTHENTICATED_ERRORS, *BODY_ERRORS, 409, s409="A KPI with this name exists in the tenant."),
    },
    examples=[
        OpenApiExample(
            "MRR", value={"name": "MRR", "unit": "GBP", "description": "Monthly recurring revenue"}, request_only=True
        ),
        OpenApiExample("Created", value=MRR, response_only=True, status_codes=["201"]),
    ],
)

points_bulk_docs = extend_schema(
    operation_id="kpis_points_bulk",
    tags=["KPIs"],
    summary="Ingest points in bulk",
    description=(
        f"1 to {settings.GATEWAY_MAX_POINTS_PER_BATCH} points (`GATEWAY_MAX_POINTS_PER_BATCH`), all or none: "
        "one bad point is a 422 naming its index (`points[3].ts`) and nothing is stored. Timestamps need "
        "`Z` or an offset and are stored as UTC instants; values must be finite numbers. A point whose "
        "instant is already stored for this KPI, or repeated earlier in the batch, is counted as ignored. "
        "Admins only (`kpis.write`)."
    ),
    parameters=[kpi_id_parameter()],
    request=PointsBulkSerializer,
    responses={
        200: IngestResultSerializer,
        **error_responses(*AUTHENTICATED_ERRORS, *BODY_ERRORS, 404, s404=NOT_FOUND),
    },
    examples=[
        OpenApiExample(
            "Two points",
            value={
                "points": [
                    {"ts": "2026-01-01T00:00:00Z", "value": 1000.0},
                    {"ts": "2026-01-08T00:00:00Z", "value": 1250.0},
                ]
            },
            request_only=True,
        ),
        OpenApiExample("Inserted", value={"inserted": 2, "ignored": 0}, response_only=True, status_codes=["200"]),
    ],
)

latest_docs = extend_schema(
    operation_id="kpis_latest",
    tags=["KPIs"],
    summary="Get a KPI's latest point",
    description="The point with the newest timestamp, found by index. Admins and members.",
    parameters=[kpi_id_parameter()],
    responses={
        200: LatestPointSerializer,
        **error_responses(*AUTHENTICATED_ERRORS, 404, s404="No such KPI in this tenant, or it has no points yet."),
    },
    examples=[
        OpenApiExample(
            "Latest",
            value={"kpi_id": KPI_ID, "ts": "2026-01-08T00:00:00Z", "value": 1250.0},
            response_only=True,
            status_codes=["200"],
        )
    ],
)
