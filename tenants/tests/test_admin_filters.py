"""TenantFilter: the console's tenant filters offer active tenants; suspended ones only when asked for."""

import pytest
from django.urls import reverse
from model_bakery import baker

from conftest import make_tenant
from tenants.admin_filters import TenantFilter
from tenants.models import TenantUser
from tenants.services import tenant_suspend

USERS = reverse("admin:tenants_tenantuser_changelist")


def tenant_filter(response) -> tuple[TenantFilter, list[dict]]:
    changelist = response.context["cl"]
    (spec,) = [spec for spec in changelist.filter_specs if isinstance(spec, TenantFilter)]
    return spec, list(spec.choices(changelist))


def offered(choices: list[dict]) -> list[str]:
    return [choice["display"] for choice in choices]


@pytest.fixture
def initech(db):
    tenant, _ = make_tenant("Initech")
    baker.make(TenantUser, tenant=tenant, email="ops@initech.test", role="admin")
    tenant_suspend(tenant=tenant, reason="closed")
    return tenant


@pytest.mark.django_db
class TestTenantFilter:
    def test_hides_suspended_tenants_and_offers_to_show_them(self, admin_client, acme_admin, outsider, initech):
        _, choices = tenant_filter(admin_client.get(USERS))

        assert offered(choices) == ["All", str(acme_admin.tenant), str(outsider.tenant), "Show suspended tenants (1)"]
        assert choices[-1]["query_string"] == "?tenant__suspended=1"

    def test_shows_them_when_asked_marked_suspended_without_filtering_rows(
        self, admin_client, acme_admin, outsider, initech
    ):
        response = admin_client.get(USERS, {"tenant__suspended": "1"})
        _, choices = tenant_filter(response)

        assert offered(choices) == [
            "All", str(acme_admin.tenant), str(outsider.tenant), f"{initech} (suspended)", "Hide suspended tenants"
        ]  # fmt: skip
        assert choices[3]["query_string"] == f"?tenant__id__exact={initech.pk}&tenant__suspended=1"
        assert choices[-1]["query_string"] == "?"
        # Showing the choice lists nobody more or fewer.
        assert len(response.context["cl"].result_list) == 3

    def test_a_suspended_tenant_selected_by_a_link_filters_and_is_offered(self, admin_client, acme_admin, initech):
        response = admin_client.get(USERS, {"tenant__id__exact": str(initech.pk)})
        _, choices = tenant_filter(response)

        assert [user.email for user in response.context["cl"].result_list] == ["ops@initech.test"]
        selected = [choice["display"] for choice in choices if choice["selected"]]
        assert selected == [f"{initech} (suspended)"]

    def test_with_no_suspended_tenant_there_is_no_extra_choice(self, admin_client, acme_admin, outsider):
        _, choices = tenant_filter(admin_client.get(USERS))
        assert offered(choices) == ["All", str(acme_admin.tenant), str(outsider.tenant)]

    def test_it_shows_even_when_only_one_tenant_is_active(self, admin_client, acme_admin, initech):
        _, choices = tenant_filter(admin_client.get(USERS))
        assert offered(choices) == ["All", str(acme_admin.tenant), "Show suspended tenants (1)"]

    @pytest.mark.parametrize("value", ["not-a-uuid", "a%00b"])
    def test_a_malformed_tenant_is_not_a_server_error(self, admin_client, acme_admin, value):
        assert admin_client.get(f"{USERS}?tenant__id__exact={value}").status_code in (200, 302)

    def test_costs_one_query_however_many_tenants(self, admin_client, acme_admin, initech, django_assert_num_queries):
        for index in range(10):
            make_tenant(f"Tenant {index}")
        # 1 session, 2 staff user, 3 tenants offered by the filter, 4 users counted, 5 the page of users with tenants
        with django_assert_num_queries(5):
            admin_client.get(USERS)


def test_every_console_list_of_tenant_rows_uses_it():
    """A list that filters by tenant and forgot this filter would offer suspended tenants again."""
    from django.contrib import admin

    with_tenant = [
        model_admin for model, model_admin in admin.site._registry.items()
        if any(getattr(field, "name", "") == "tenant" for field in model._meta.get_fields())
    ]  # fmt: skip
    assert {model_admin.opts.model_name for model_admin in with_tenant} >= {
        "auditlog", "usageevent", "auditseal", "idempotencykey", "kpidefinition", "tenantuser",
    }  # fmt: skip
    for model_admin in with_tenant:
        assert ("tenant", TenantFilter) in model_admin.list_filter, model_admin


@pytest.mark.django_db
def test_the_dashboard_offers_active_tenants_and_the_one_shown(admin_client, acme_admin, initech):
    offered_all = {row["name"] for row in admin_client.get("/admin/dashboard/").context["tenants"]}
    shown = admin_client.get(f"/admin/dashboard/?tenant={initech.id}").context["tenants"]

    assert offered_all == {"Acme"}
    assert {row["name"] for row in shown} == {"Acme", "Initech"}
