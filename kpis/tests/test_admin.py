from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.admin.templatetags.admin_list import result_headers
from django.urls import reverse
from model_bakery import baker

from kpis.models import KpiDefinition, KpiPoint


@pytest.fixture
def kpi(acme):
    tenant, _ = acme
    kpi = baker.make(KpiDefinition, tenant=tenant, name="MRR", unit="GBP")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    KpiPoint.objects.bulk_create(
        KpiPoint(tenant=tenant, kpi=kpi, ts=start + timedelta(hours=hour), value=100 + hour) for hour in range(1000)
    )
    return kpi


@pytest.mark.django_db
def test_list_shows_the_latest_point(admin_client, kpi):
    response = admin_client.get(reverse("admin:kpis_kpidefinition_changelist"))
    (listed,) = response.context["cl"].result_list
    assert (listed.latest_value, listed.latest_ts) == (1099.0, datetime(2026, 2, 11, 15, tzinfo=UTC))


@pytest.mark.django_db
def test_change_page_charts_the_series(admin_client, kpi):
    response = admin_client.get(reverse("admin:kpis_kpidefinition_change", args=[kpi.pk]))

    page = response.content.decode()
    assert "1099.0 at 2026-02-11T15:00:00Z" in page
    polyline = page.split('<polyline points="')[1].split('"')[0]
    assert len(polyline.split()) == 600  # 1,000 points sampled down for drawing
    assert "All 1000 points" in page


@pytest.mark.django_db
def test_a_kpi_without_points_says_so(admin_client, acme):
    tenant, _ = acme
    empty = baker.make(KpiDefinition, tenant=tenant, name="New")
    page = admin_client.get(reverse("admin:kpis_kpidefinition_change", args=[empty.pk])).content.decode()
    assert "no points yet" in page
    assert "<polyline" not in page


@pytest.mark.django_db
def test_tenant_is_fixed_and_kpis_cannot_be_deleted(admin_client, kpi, outsider):
    change = reverse("admin:kpis_kpidefinition_change", args=[kpi.pk])
    admin_client.post(change, {"name": "MRR", "unit": "GBP", "tenant": str(outsider.tenant.pk)})
    assert KpiDefinition.objects.get(pk=kpi.pk).tenant_id == kpi.tenant_id
    delete = reverse("admin:kpis_kpidefinition_delete", args=[kpi.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    "values",
    [[-1e308, 1e308], [0.0, 1.7e308], [1.7976931348623157e308] * 2, [-1.7976931348623157e308, 1.7976931348623157e308],
     [5e-324, 5e-324], [1e20, 1e20]],
)  # fmt: skip
def test_any_finite_series_charts(admin_client, acme, values):
    """Extreme values a tenant may ingest once broke the axis arithmetic, and the page with it."""
    tenant, _ = acme
    kpi = baker.make(KpiDefinition, tenant=tenant, name="Extreme")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    KpiPoint.objects.bulk_create(
        KpiPoint(tenant=tenant, kpi=kpi, ts=start + timedelta(hours=hour), value=value)
        for hour, value in enumerate(values)
    )

    response = admin_client.get(reverse("admin:kpis_kpidefinition_change", args=[kpi.pk]))

    assert response.status_code == 200
    polyline = response.content.decode().split('<polyline points="')[1].split('"')[0]
    assert len(polyline.split()) == len(values)


@pytest.mark.django_db
def test_times_say_utc(admin_client, kpi):
    listing = admin_client.get(reverse("admin:kpis_kpidefinition_changelist")).content.decode()
    assert "Latest at (UTC)" in listing and "Created (UTC)" in listing
    change = admin_client.get(reverse("admin:kpis_kpidefinition_change", args=[kpi.pk])).content.decode()
    assert "Created (UTC):" in change


@pytest.mark.django_db
def test_the_list_fits_a_1366_px_screen(admin_client, kpi):
    """Long names and units cut to a width and whole on hover; the description is on the KPI's page."""
    KpiDefinition.objects.filter(pk=kpi.pk).update(name="N" * 255, unit="U" * 50, description="the whole story")
    response = admin_client.get(reverse("admin:kpis_kpidefinition_changelist"))

    headers = [str(header["text"]) for header in result_headers(response.context["cl"])]
    assert headers == ["name", "tenant", "unit", "latest value", "latest at (UTC)", "created (UTC)"]
    page = response.content.decode()
    assert f'<span class="gateway-cut" style="max-width: 28ch" title="{"N" * 255}">' in page
    assert f'<span class="gateway-cut" style="max-width: 10ch" title="{"U" * 50}">' in page
    assert "the whole story" not in page
