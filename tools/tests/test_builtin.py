"""kpi_summary arithmetic and errors, through the invoke endpoint as a client sees them."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from model_bakery import baker

from kpis.models import KpiDefinition, KpiPoint

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def kpi(acme):
    tenant, _ = acme
    return baker.make(KpiDefinition, tenant=tenant, name="MRR")


def add_points(kpi, *points):
    for days, value in points:
        baker.make(KpiPoint, tenant=kpi.tenant, kpi=kpi, ts=T0 + timedelta(days=days), value=value)


@pytest.fixture
def summary(invoke, acme_admin):
    def run(kpi_id, **payload):
        response = invoke(
            acme_admin,
            {"tool_name": "kpi_summary", "payload": {"kpi_id": str(kpi_id), **payload}},
            key=str(uuid.uuid4()),
        )
        return response

    return run


@pytest.mark.django_db
class TestArithmetic:
    def test_the_seed_example(self, summary, kpi):
        add_points(kpi, (0, 1000.0), (7, 1250.0))

        result = summary(kpi.id, window_days=7).json()["result"]

        assert result == {
            "kpi_id": str(kpi.id),
            "latest": {"ts": "2026-01-08T00:00:00Z", "value": 1250.0},
            "start": {"ts": "2026-01-01T00:00:00Z", "value": 1000.0},
            "delta_abs": 250.0,
            "delta_pct": 25.0,
        }

    def test_start_is_the_earliest_point_inside_the_window(self, summary, kpi):
        add_points(kpi, (0, 10.0), (3, 40.0), (5, 50.0), (10, 80.0))

        result = summary(kpi.id, window_days=7).json()["result"]

        # Window is [day 3, day 10]: day 0 is outside, day 3 is on the boundary and counts.
        assert result["start"] == {"ts": "2026-01-04T00:00:00Z", "value": 40.0}
        assert result["delta_abs"] == 40.0
        assert result["delta_pct"] == 100.0

    def test_window_defaults_to_seven_days(self, summary, kpi):
        add_points(kpi, (0, 1.0), (3, 2.0), (9, 4.0))
        assert summary(kpi.id).json()["result"]["start"]["value"] == 2.0

    def test_zero_start_gives_null_percentage(self, summary, kpi):
        add_points(kpi, (0, 0.0), (7, 5.0))

        result = summary(kpi.id).json()["result"]

        assert result["delta_abs"] == 5.0
        assert result["delta_pct"] is None

    def test_a_fall_is_negative(self, summary, kpi):
        add_points(kpi, (0, 200.0), (1, 150.0))
        result = summary(kpi.id).json()["result"]
        assert (result["delta_abs"], result["delta_pct"]) == (-50.0, -25.0)

    def test_negative_start(self, summary, kpi):
        add_points(kpi, (0, -100.0), (1, -50.0))
        result = summary(kpi.id).json()["result"]
        assert (result["delta_abs"], result["delta_pct"]) == (50.0, -50.0)

    def test_a_single_point_is_its_own_start(self, summary, kpi):
        add_points(kpi, (0, 42.0))
        result = summary(kpi.id).json()["result"]
        assert result["latest"] == result["start"]
        assert (result["delta_abs"], result["delta_pct"]) == (0.0, 0.0)

    def test_overflowing_difference_is_null_not_a_500(self, summary, kpi):
        add_points(kpi, (0, -1.7e308), (1, 1.7e308))
        result = summary(kpi.id).json()["result"]
        assert (result["delta_abs"], result["delta_pct"]) == (None, None)

    def test_window_reaching_before_year_one_is_fine(self, summary, kpi):
        baker.make(KpiPoint, tenant=kpi.tenant, kpi=kpi, ts=datetime(1, 1, 2, tzinfo=UTC), value=1.0)
        assert summary(kpi.id, window_days=3650).status_code == 200


@pytest.mark.django_db
class TestErrors:
    def test_unknown_kpi_is_404(self, summary):
        missing = uuid.uuid4()
        response = summary(missing)
        assert response.status_code == 404
        assert response.json() == {"detail": f"KPI '{missing}' not found", "code": "kpi_not_found"}

    def test_another_tenants_kpi_is_the_same_404(self, summary, outsider):
        theirs = baker.make(KpiDefinition, tenant=outsider.tenant)
        add_points(theirs, (0, 1.0))
        response = summary(theirs.id)
        assert response.status_code == 404
        assert response.json()["detail"] == f"KPI '{theirs.id}' not found"

    def test_no_points_is_404(self, summary, kpi):
        response = summary(kpi.id)
        assert response.status_code == 404
        assert response.json() == {"detail": f"No data points found for KPI '{kpi.id}'", "code": "kpi_no_data"}

    def test_other_kpis_points_do_not_count(self, summary, kpi, acme):
        other = baker.make(KpiDefinition, tenant=kpi.tenant, name="Other")
        add_points(other, (0, 1.0))
        assert summary(kpi.id).status_code == 404
