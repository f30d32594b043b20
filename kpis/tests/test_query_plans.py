"""latest and kpi_summary read the index, not the table: the plan says so on both databases."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from model_bakery import baker

from gateway_project.db import db_value
from kpis.models import KpiDefinition, KpiPoint
from kpis.selectors import _FIRST_SINCE_SQL, _LATEST_SQL

INDEX_COLUMNS = ["tenant_id", "kpi_id", "ts"]


def unique_index_name() -> str:
    """The index behind the (tenant, kpi, ts) constraint: named by us on PostgreSQL, by SQLite on SQLite."""
    if connection.vendor == "postgresql":
        return "kpi_points_tenant_kpi_ts_uniq"
    with connection.cursor() as cursor:
        for _, name, *_ in cursor.execute("PRAGMA index_list(kpi_points)").fetchall():
            columns = [row[2] for row in cursor.execute(f"PRAGMA index_info({name})").fetchall()]
            if columns == INDEX_COLUMNS:
                return name
    raise AssertionError("no index on (tenant_id, kpi_id, ts)")


@pytest.fixture
def crowded(acme, outsider):
    """Several KPIs with thousands of points each, so a planner has a real choice to make."""
    tenant, _ = acme
    start = datetime(2026, 1, 1, tzinfo=UTC)
    kpis = [
        baker.make(KpiDefinition, tenant=owner, name=f"K{n}")
        for n, owner in enumerate([tenant] * 3 + [outsider.tenant])
    ]
    KpiPoint.objects.bulk_create(
        KpiPoint(tenant=kpi.tenant, kpi=kpi, ts=start + timedelta(minutes=minute), value=minute)
        for kpi in kpis
        for minute in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return kpis[0]


def plan(sql: str, params: list) -> str:
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return "\n".join(" ".join(str(column) for column in row) for row in cursor.fetchall())


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["latest", "first_since"])
def test_the_point_lookups_walk_the_index_and_never_sort(crowded, query):
    params = [db_value(KpiPoint, "tenant", crowded.tenant_id), db_value(KpiPoint, "kpi", crowded.id)]
    sql = _LATEST_SQL
    if query == "first_since":
        sql = _FIRST_SINCE_SQL
        params.append(db_value(KpiPoint, "ts", datetime(2026, 1, 2, tzinfo=UTC)))

    explained = plan(sql, params)

    assert unique_index_name() in explained, explained
    assert "TEMP B-TREE" not in explained and "Sort" not in explained, explained  # SQLite / PostgreSQL sorts
    assert "Seq Scan" not in explained and "SCAN kpi_points" not in explained, explained
