"""Three actors on every tenant endpoint: Acme's admin, Acme's member, and Globex's admin (the outsider).

The outsider calls with its own valid credentials and Acme's object ids, and
must see exactly what a missing object looks like. Each endpoint also has a
"validates tenant" case: Acme's credentials with the outsider's user id.
"""

from datetime import UTC, datetime

import pytest
from model_bakery import baker

from kpis.models import KpiDefinition, KpiPoint
from tenants.models import Role
from tenants.permissions import ROLE_PERMISSIONS


@pytest.fixture
def acme_kpi(acme):
    tenant, _ = acme
    kpi = baker.make(KpiDefinition, tenant=tenant, name="MRR", unit="GBP")
    baker.make(KpiPoint, tenant=tenant, kpi=kpi, ts=datetime(2026, 1, 8, tzinfo=UTC), value=1250.0)
    return kpi


def call(api, actor, endpoint: str, kpi, **extra_headers):
    """Send one endpoint's request as `actor`; ids always name Acme's KPI."""
    headers = actor.headers(**extra_headers)
    kpi_path = f"/v1/kpis/{kpi.id}"
    invoke_headers = {**headers, "Idempotency-Key": f"{endpoint}-{actor.user.id}"}
    requests = {
        "tools.list": lambda: api.get("/v1/tools", headers=headers),
        "tools.invoke": lambda: api.post(
            "/v1/tools/invoke",
            {"tool_name": "kpi_summary", "payload": {"kpi_id": str(kpi.id)}},
            format="json",
            headers=invoke_headers,
        ),
        "kpis.create": lambda: api.post("/v1/kpis", {"name": "Churn"}, format="json", headers=headers),
        "kpis.list": lambda: api.get("/v1/kpis", headers=headers),
        "kpis.retrieve": lambda: api.get(kpi_path, headers=headers),
        "kpis.latest": lambda: api.get(f"{kpi_path}/latest", headers=headers),
        "kpis.points_bulk": lambda: api.post(
            f"{kpi_path}/points:bulk",
            {"points": [{"ts": "2026-02-01T00:00:00Z", "value": 1.0}]},
            format="json",
            headers=headers,
        ),
    }
    return requests[endpoint]()


ENDPOINTS = [
    "tools.list",
    "tools.invoke",
    "kpis.create",
    "kpis.list",
    "kpis.retrieve",
    "kpis.latest",
    "kpis.points_bulk",
]

# endpoint: (admin, member, outsider) statuses
EXPECTED = {
    "tools.list": (200, 200, 200),
    "tools.invoke": (200, 403, 404),
    "kpis.create": (201, 403, 201),
    "kpis.list": (200, 200, 200),
    "kpis.retrieve": (200, 200, 404),
    "kpis.latest": (200, 200, 404),
    "kpis.points_bulk": (200, 403, 404),
}


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_admin(api, acme_admin, acme_kpi, endpoint):
    assert call(api, acme_admin, endpoint, acme_kpi).status_code == EXPECTED[endpoint][0]


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_member(api, acme_member, acme_kpi, endpoint):
    response = call(api, acme_member, endpoint, acme_kpi)

    assert response.status_code == EXPECTED[endpoint][1]
    if response.status_code == 403:
        assert response.json()["code"] == "permission_denied"
        assert response.json()["detail"].startswith("Role 'member' is not authorized to ")


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_outsider_sees_nothing_of_acme(api, outsider, acme_kpi, endpoint):
    response = call(api, outsider, endpoint, acme_kpi)

    assert response.status_code == EXPECTED[endpoint][2]
    if response.status_code == 404:
        assert response.json() == {"detail": f"KPI '{acme_kpi.id}' not found", "code": "kpi_not_found"}
    assert KpiPoint.objects.filter(kpi=acme_kpi).count() == 1
    assert list(KpiDefinition.objects.filter(tenant=acme_kpi.tenant)) == [acme_kpi]


@pytest.mark.django_db
def test_outsider_lists_only_its_own_kpis(api, outsider, acme_kpi):
    own = baker.make(KpiDefinition, tenant=outsider.tenant, name="Globex MRR")
    response = api.get("/v1/kpis", headers=outsider.headers())
    assert [kpi["kpi_id"] for kpi in response.json()] == [str(own.id)]


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_validates_tenant(api, acme_admin, outsider, acme_kpi, endpoint):
    response = call(api, acme_admin, endpoint, acme_kpi, **{"X-User-ID": str(outsider.user.id)})

    assert response.status_code == 403
    assert response.json()["detail"] == "User does not belong to this tenant"


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_rejects_wrong_key(api, acme_admin, outsider, acme_kpi, endpoint):
    response = call(api, acme_admin, endpoint, acme_kpi, **{"X-API-Key": outsider.api_key})
    assert response.status_code == 401


# The Phase 0 reference's wording, which its clients match on: one phrase per action, not per permission.
PHASE_0_DENIALS = {
    "tools.invoke": "Role 'member' is not authorized to invoke tools",
    "kpis.create": "Role 'member' is not authorized to create KPIs",
    "kpis.points_bulk": "Role 'member' is not authorized to ingest KPI points",
    "kpis.list": "Role 'member' is not authorized to read KPIs",
    "kpis.retrieve": "Role 'member' is not authorized to read KPIs",
    "kpis.latest": "Role 'member' is not authorized to read KPIs",
}


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", list(PHASE_0_DENIALS))
def test_role_denials_say_what_phase_0_said(api, acme_member, acme_kpi, endpoint, monkeypatch):
    # Members may read KPIs; a member role without kpis.read shows the reads' wording.
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.MEMBER, frozenset())

    response = call(api, acme_member, endpoint, acme_kpi)

    assert response.status_code == 403
    assert response.json() == {"detail": PHASE_0_DENIALS[endpoint], "code": "permission_denied"}


@pytest.mark.django_db
def test_user_creation_denial_says_what_phase_0_said(api, acme_member, settings):
    settings.GATEWAY_OPEN_REGISTRATION = False
    body = {"tenant_id": str(acme_member.tenant.id), "email": "new@acme.test", "role": "member"}

    response = api.post("/v1/users", body, format="json", headers=acme_member.headers())

    assert response.status_code == 403
    assert response.json() == {"detail": "Role 'member' is not authorized to create users", "code": "permission_denied"}
