"""Reads of the KPI store; each takes the tenant, so none can cross tenants."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from gateway_project.db import db_value, fetch_one, python_value
from gateway_project.errors import NotFound
from kpis.models import KpiDefinition, KpiPoint
from tenants.models import Tenant
from tenants.scoping import tenant_object_or_404

# Both walk the unique (tenant_id, kpi_id, ts) index and stop at its first row, however many
# points there are: backwards for the newest, forwards from `since` for the earliest after it.
_LATEST_SQL = "SELECT ts, value FROM kpi_points WHERE tenant_id = %s AND kpi_id = %s ORDER BY ts DESC LIMIT 1"
_FIRST_SINCE_SQL = (
    "SELECT ts, value FROM kpi_points WHERE tenant_id = %s AND kpi_id = %s AND ts >= %s ORDER BY ts LIMIT 1"
)


@dataclass(frozen=True)
class Point:
    ts: datetime
    value: float


def kpi_not_found(kpi_id: object) -> NotFound:
    return NotFound(f"KPI '{str(kpi_id)[:100]}' not found", code="kpi_not_found")


def kpi_no_data(kpi_id: uuid.UUID) -> NotFound:
    return NotFound(f"No data points found for KPI '{kpi_id}'", code="kpi_no_data")


def kpi_list(*, tenant: Tenant):
    return KpiDefinition.objects.filter(tenant=tenant).order_by("name", "id")


def kpi_get(*, tenant: Tenant, kpi_id: str | uuid.UUID) -> KpiDefinition:
    return tenant_object_or_404(KpiDefinition.objects.filter(tenant=tenant), kpi_id, kpi_not_found(kpi_id))


def _point(sql: str, params: list) -> Point | None:
    row = fetch_one(sql, params)
    return Point(ts=python_value(KpiPoint, "ts", row[0]), value=row[1]) if row else None


def kpi_latest_point(*, tenant: Tenant, kpi_id: uuid.UUID) -> Point | None:
    return _point(_LATEST_SQL, [db_value(KpiPoint, "tenant", tenant.id), db_value(KpiPoint, "kpi", kpi_id)])


def kpi_first_point_since(*, tenant: Tenant, kpi_id: uuid.UUID, since: datetime) -> Point | None:
    params = [
        db_value(KpiPoint, "tenant", tenant.id),
        db_value(KpiPoint, "kpi", kpi_id),
        db_value(KpiPoint, "ts", since),
    ]
    return _point(_FIRST_SINCE_SQL, params)


def kpi_latest_or_404(*, tenant: Tenant, kpi_id: str | uuid.UUID) -> tuple[uuid.UUID, Point]:
    """The newest point of the tenant's KPI, in one query when it has points.

    A point stored under (tenant, kpi) proves the KPI is the tenant's; only when there is
    none does a second query tell an unknown KPI (404) from one without data (404, no_data).
    """
    try:
        kpi_uuid = kpi_id if isinstance(kpi_id, uuid.UUID) else uuid.UUID(str(kpi_id))
    except ValueError:
        raise kpi_not_found(kpi_id) from None
    latest = kpi_latest_point(tenant=tenant, kpi_id=kpi_uuid)
    if latest is None:
        kpi_get(tenant=tenant, kpi_id=kpi_uuid)
        raise kpi_no_data(kpi_uuid)
    return kpi_uuid, latest
