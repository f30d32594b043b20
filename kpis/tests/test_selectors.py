from datetime import UTC, datetime

import pytest
from model_bakery import baker

from gateway_project.errors import NotFound
from kpis.models import KpiDefinition, KpiPoint
from kpis.selectors import kpi_first_point_since, kpi_get, kpi_latest_point, kpi_list


@pytest.fixture
def two_tenants_kpis(acme_admin, outsider):
    ours = baker.make(KpiDefinition, tenant=acme_admin.tenant, name="MRR")
    theirs = baker.make(KpiDefinition, tenant=outsider.tenant, name="MRR")
    return ours, theirs


@pytest.mark.django_db
def test_kpi_list_excludes_other_tenant(acme_admin, two_tenants_kpis):
    ours, _ = two_tenants_kpis
    assert list(kpi_list(tenant=acme_admin.tenant)) == [ours]


@pytest.mark.django_db
def test_kpi_get_excludes_other_tenant(acme_admin, two_tenants_kpis):
    ours, theirs = two_tenants_kpis
    assert kpi_get(tenant=acme_admin.tenant, kpi_id=ours.id) == ours
    with pytest.raises(NotFound):
        kpi_get(tenant=acme_admin.tenant, kpi_id=theirs.id)


@pytest.mark.django_db
def test_point_selectors_read_only_their_kpi(acme_admin, two_tenants_kpis):
    ours, theirs = two_tenants_kpis
    baker.make(KpiPoint, tenant=ours.tenant, kpi=ours, ts=datetime(2026, 1, 1, tzinfo=UTC), value=1)
    baker.make(KpiPoint, tenant=theirs.tenant, kpi=theirs, ts=datetime(2026, 2, 1, tzinfo=UTC), value=2)

    tenant = acme_admin.tenant
    assert kpi_latest_point(tenant=tenant, kpi_id=ours.id).value == 1
    assert kpi_first_point_since(tenant=tenant, kpi_id=ours.id, since=datetime(2025, 1, 1, tzinfo=UTC)).value == 1
    assert kpi_first_point_since(tenant=tenant, kpi_id=ours.id, since=datetime(2026, 1, 2, tzinfo=UTC)) is None
    # The other tenant's id names nothing here, though its points exist.
    assert kpi_latest_point(tenant=tenant, kpi_id=theirs.id) is None
