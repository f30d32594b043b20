"""The README's curl walk-through, step by step, against a real multi-process server."""

import pytest
import requests

pytestmark = pytest.mark.live_server_processes


def test_seed_walkthrough(gateway_server):
    url = gateway_server
    tenant = requests.post(f"{url}/v1/tenants", json={"name": "Acme Corp", "region": "us-east-1"}, timeout=10)
    assert tenant.status_code == 201
    tenant = tenant.json()

    admin = requests.post(
        f"{url}/v1/users",
        json={"tenant_id": tenant["tenant_id"], "email": "admin@acme.com", "role": "admin"},
        timeout=10,
    )
    assert admin.status_code == 201
    headers = {
        "X-Tenant-ID": tenant["tenant_id"],
        "X-User-ID": admin.json()["user_id"],
        "X-API-Key": tenant["api_key"],
    }

    echo = requests.post(
        f"{url}/v1/tools/invoke",
        json={"tool_name": "echo", "payload": {"text": "Hello, World!"}},
        headers={**headers, "Idempotency-Key": "my-unique-request-1"},
        timeout=10,
    )
    assert echo.status_code == 200
    assert echo.json()["result"] == {"echo": {"text": "Hello, World!"}}

    kpi = requests.post(
        f"{url}/v1/kpis",
        json={"name": "MRR", "unit": "GBP", "description": "Monthly recurring revenue"},
        headers=headers,
        timeout=10,
    )
    assert kpi.status_code == 201
    kpi_id = kpi.json()["kpi_id"]
    assert kpi.json() == {"kpi_id": kpi_id, "name": "MRR", "unit": "GBP", "description": "Monthly recurring revenue"}

    ingest = requests.post(
        f"{url}/v1/kpis/{kpi_id}/points:bulk",
        json={
            "points": [{"ts": "2026-01-01T00:00:00Z", "value": 1000.0}, {"ts": "2026-01-08T00:00:00Z", "value": 1250.0}]
        },
        headers=headers,
        timeout=10,
    )
    assert (ingest.status_code, ingest.json()) == (200, {"inserted": 2, "ignored": 0})

    summary = requests.post(
        f"{url}/v1/tools/invoke",
        json={"tool_name": "kpi_summary", "payload": {"kpi_id": kpi_id, "window_days": 7}},
        headers={**headers, "Idempotency-Key": "kpi-summary-request-1"},
        timeout=10,
    )
    assert summary.status_code == 200
    assert summary.json()["result"] == {
        "kpi_id": kpi_id,
        "latest": {"ts": "2026-01-08T00:00:00Z", "value": 1250.0},
        "start": {"ts": "2026-01-01T00:00:00Z", "value": 1000.0},
        "delta_abs": 250.0,
        "delta_pct": 25.0,
    }

    kpis = requests.get(f"{url}/v1/kpis", headers=headers, timeout=10)
    assert [k["kpi_id"] for k in kpis.json()] == [kpi_id]
    latest = requests.get(f"{url}/v1/kpis/{kpi_id}/latest", headers=headers, timeout=10)
    assert latest.json() == {"kpi_id": kpi_id, "ts": "2026-01-08T00:00:00Z", "value": 1250.0}
