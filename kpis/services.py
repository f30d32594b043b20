from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, connection, transaction

from gateway_project.db import db_value, execute, insert_rows, utc_datetime_adapter
from gateway_project.errors import Conflict
from kpis.models import KpiDefinition, KpiPoint
from tenants.models import Tenant


def kpi_create(*, tenant: Tenant, name: str, unit: str | None = None, description: str | None = None) -> KpiDefinition:
    try:
        with transaction.atomic():
            return KpiDefinition.objects.create(tenant=tenant, name=name, unit=unit, description=description)
    except IntegrityError:
        raise Conflict(f"KPI named '{name}' already exists in this tenant", code="duplicate_kpi_name") from None


@dataclass(frozen=True)
class IngestResult:
    inserted: int
    ignored: int


# PostgreSQL takes a batch as two arrays in one statement: no per-row placeholders to bind and
# parse. Instants travel as ISO text, which psycopg sends as is and PostgreSQL parses exactly.
_INSERT_ARRAYS_SQL = (
    "INSERT INTO kpi_points (tenant_id, kpi_id, ts, value) "
    "SELECT %s, %s, unnest(%s::text[])::timestamptz, unnest(%s::double precision[]) "
    "ON CONFLICT (tenant_id, kpi_id, ts) DO NOTHING"
)


def _insert_as_arrays(tenant_id, kpi_id, points: dict[datetime, float]) -> int:
    instants = [ts.isoformat() for ts in points]
    return execute(_INSERT_ARRAYS_SQL, [tenant_id, kpi_id, instants, list(points.values())])


def points_ingest(*, kpi: KpiDefinition, points: list[tuple[datetime, float]]) -> IngestResult:
    """Store a validated batch atomically; an instant already stored or repeated in the batch is ignored.

    The first occurrence of an instant in the batch wins; the database's unique
    constraint decides against stored rows, so concurrent batches cannot double-insert.
    """
    first_per_instant: dict[datetime, float] = {}
    for ts, value in points:
        first_per_instant.setdefault(ts, value)
    # Adapted column by column: the two ids once per batch, not once per point.
    tenant_id, kpi_id = db_value(KpiPoint, "tenant", kpi.tenant_id), db_value(KpiPoint, "kpi", kpi.id)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            inserted = _insert_as_arrays(tenant_id, kpi_id, first_per_instant)
        else:
            ts_for_db = utc_datetime_adapter()
            rows = ((tenant_id, kpi_id, ts_for_db(ts), value) for ts, value in first_per_instant.items())
            inserted = insert_rows(
                KpiPoint, ["tenant", "kpi", "ts", "value"], rows, ignore_conflicts_on=["tenant", "kpi", "ts"],
                adapted=True,
            )  # fmt: skip
    return IngestResult(inserted=inserted, ignored=len(points) - inserted)
