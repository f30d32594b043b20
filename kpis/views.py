from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from gateway_project.errors import NotFound
from gateway_project.timestamps import format_timestamp
from kpis.api_docs import kpi_create_docs, kpi_list_docs, kpi_retrieve_docs, latest_docs, points_bulk_docs
from kpis.models import KpiDefinition
from kpis.points import points_parse
from kpis.selectors import kpi_latest_or_404, kpi_list, kpi_not_found
from kpis.serializers import KpiCreateSerializer, KpiSerializer
from kpis.services import kpi_create, points_ingest
from tenants.permissions import Permission, Requirement
from tenants.scoping import TenantScopedViewSet


class KpiViewSet(TenantScopedViewSet):
    queryset = KpiDefinition.objects.all()
    serializer_class = KpiSerializer
    lookup_url_kwarg = "kpi_id"
    # The words are the Phase 0 reference's denials, which its clients match on.
    required_permissions = {
        "list": Requirement(Permission.KPIS_READ, "read KPIs"),
        "retrieve": Requirement(Permission.KPIS_READ, "read KPIs"),
        "latest": Requirement(Permission.KPIS_READ, "read KPIs"),
        "create": Requirement(Permission.KPIS_WRITE, "create KPIs"),
        "points_bulk": Requirement(Permission.KPIS_WRITE, "ingest KPI points"),
    }

    def not_found(self, raw_id: object) -> NotFound:
        return kpi_not_found(raw_id)

    @kpi_list_docs
    def list(self, request):
        return Response(KpiSerializer(kpi_list(tenant=self.tenant), many=True).data)

    @kpi_retrieve_docs
    def retrieve(self, request, kpi_id: str):
        return Response(KpiSerializer(self.get_object()).data)

    @kpi_create_docs
    def create(self, request):
        body = KpiCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        kpi = kpi_create(tenant=self.tenant, **body.validated_data)
        return Response(KpiSerializer(kpi).data, status=status.HTTP_201_CREATED)

    @points_bulk_docs
    @action(detail=True, methods=["post"], url_path="points:bulk")
    def points_bulk(self, request, kpi_id: str):
        # Contract order: the body is validated (422) before the KPI is looked up (404).
        points = points_parse(request.data)
        result = points_ingest(kpi=self.get_object(), points=points)
        return Response({"inserted": result.inserted, "ignored": result.ignored})

    @latest_docs
    @action(detail=True, methods=["get"])
    def latest(self, request, kpi_id: str):
        kpi_uuid, point = kpi_latest_or_404(tenant=self.tenant, kpi_id=kpi_id)
        return Response({"kpi_id": str(kpi_uuid), "ts": format_timestamp(point.ts), "value": point.value})
