"""Reads of the KPI store; each takes the tenant, so none can cross tenants."""

import uuid
from datetime import datetime

from gateway_project.exceptions import NotFound
from kpis.models import KpiDefinition, KpiPoint
from tenants.models import Tenant
from tenants.scoping import tenant_object_or_404


def kpi_not_found(kpi_id: object) -> NotFound:
    return NotFound(f"KPI '{str(kpi_id)[:100]}' not found", code="kpi_not_found")


def kpi_no_data(kpi: KpiDefinition) -> NotFound:
    return NotFound(f"No data points found for KPI '{kpi.id}'", code="kpi_no_data")


def kpi_list(*, tenant: Tenant):
    return KpiDefinition.objects.filter(tenant=tenant).order_by("name", "id")


def kpi_get(*, tenant: Tenant, kpi_id: str | uuid.UUID) -> KpiDefinition:
    return tenant_object_or_404(KpiDefinition.objects.filter(tenant=tenant), kpi_id, kpi_not_found(kpi_id))


def kpi_latest_point(*, kpi: KpiDefinition) -> KpiPoint | None:
    # Walks the (tenant, kpi, ts) index backwards and stops at the first row.
    return KpiPoint.objects.filter(tenant_id=kpi.tenant_id, kpi=kpi).order_by("-ts").first()


def kpi_first_point_since(*, kpi: KpiDefinition, since: datetime) -> KpiPoint | None:
    return KpiPoint.objects.filter(tenant_id=kpi.tenant_id, kpi=kpi, ts__gte=since).order_by("ts").first()
