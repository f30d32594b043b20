"""A 50,000-point batch is held once, parsed once, and written in chunks: memory stays bounded."""

import json
import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest
from model_bakery import baker

from kpis.models import KpiDefinition, KpiPoint

POINTS = 50_000
# The body is ~3 MB of JSON; Python objects for it are several times that. The bound is
# what must not be crossed, with room for the interpreter's own noise.
PEAK_LIMIT_MB = 64


@pytest.mark.django_db
def test_peak_memory_of_a_50k_point_ingest(api, acme_admin):
    kpi = baker.make(KpiDefinition, tenant=acme_admin.tenant, name="Memory")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    body = json.dumps(
        {"points": [{"ts": (start + timedelta(seconds=n)).isoformat(), "value": float(n)} for n in range(POINTS)]}
    ).encode()

    tracemalloc.start()
    try:
        response = api.post(
            f"/v1/kpis/{kpi.id}/points:bulk", body, content_type="application/json", headers=acme_admin.headers()
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert response.json() == {"inserted": POINTS, "ignored": 0}
    assert KpiPoint.objects.filter(kpi=kpi).count() == POINTS
    print(f"\npeak traced memory for a {POINTS:,}-point ingest: {peak / 2**20:.1f} MB")
    assert peak < PEAK_LIMIT_MB * 2**20
