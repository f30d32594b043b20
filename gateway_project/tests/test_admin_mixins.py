"""Every console list page answers a NUL in any filter, search or other list parameter without a
database error: PostgreSQL text cannot hold NUL, so such a value used to reach it and 500."""

import pytest
from django.contrib import admin
from django.urls import reverse

from gateway_project.admin_site import GatewayAdminSite

# Every list of the console: the gateway's own, and those of Django's users and groups and of django-axes.
ALL_ADMINS = sorted(admin.site._registry.values(), key=str)
# A lone NUL, and one inside an otherwise valid value.
NUL_VALUES = ["\x00", "denied\x00", "eu-\x00west-1"]


def changelist_url(model_admin) -> str:
    return reverse(f"admin:{model_admin.opts.app_label}_{model_admin.opts.model_name}_changelist")


def list_parameters(admin_client, model_admin) -> list[str]:
    """Every parameter the list page reads: each filter's own, a lookup on each filtered field (the
    console accepts those too), the date drill-down, search, order and page."""
    changelist = admin_client.get(changelist_url(model_admin)).context["cl"]
    names = {name for spec in changelist.filter_specs for name in spec.expected_parameters()}
    for field in (entry for entry in model_admin.list_filter if isinstance(entry, str)):
        names |= {field, f"{field}__exact", f"{field}__in"}
    if model_admin.date_hierarchy:
        names |= {f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")}
    return sorted(names | {"q", "o", "p"})


def test_the_console_is_the_gateways_site():
    """The NUL guard lives in the site, so a newly registered admin cannot forget it."""
    assert isinstance(admin.site, GatewayAdminSite)
    assert {"tenants", "tools", "kpis", "audit", "auth", "axes"} <= {m._meta.app_label for m in admin.site._registry}


@pytest.mark.django_db
@pytest.mark.parametrize("model_admin", ALL_ADMINS, ids=lambda model_admin: model_admin.opts.label)
def test_a_nul_in_any_list_parameter_is_never_a_server_error(admin_client, acme_admin, model_admin):
    parameters = list_parameters(admin_client, model_admin)
    assert {"q", "o", "p"} <= set(parameters)

    for name in parameters:
        for value in NUL_VALUES:
            response = admin_client.get(changelist_url(model_admin), {name: value})
            # 200, or Django's own answer to a value that is no filter at all: back to the list with ?e=1.
            assert response.status_code == 200 or response.url.endswith("?e=1"), (name, value)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "listed"),
    [
        ("/admin/tenants/tenant/?region=%00", []),
        ("/admin/tenants/tenant/?region=eu-%00west-1", ["Acme"]),  # the NUL dropped, as from the search box
        ("/admin/audit/auditlog/?outcome__exact=%00", []),
        ("/admin/tenants/tenantuser/?role__exact=%00", []),
        ("/admin/tools/idempotencykey/?endpoint__exact=%00", []),
        ("/admin/tenants/tenant/?reg%00ion=eu-west-1", ["Acme"]),  # in a parameter's name too
        ("/admin/auth/user/?username=%00", []),
    ],
)
def test_the_filters_from_the_issue(admin_client, acme_admin, url, listed):
    response = admin_client.get(url)

    assert response.status_code == 200
    assert [str(row).split(" (")[0] for row in response.context["cl"].result_list] == listed


@pytest.mark.django_db
def test_an_action_on_every_row_of_a_nul_filter(admin_client):
    """An action with "select all" runs on the filtered rows, read through the same parameters."""
    response = admin_client.post(
        "/admin/audit/auditlog/?outcome__exact=%00",
        {"action": "export_csv", "select_across": "1", "_selected_action": ["1"]},
    )

    assert response.status_code == 200
    assert len(b"".join(response.streaming_content).decode().splitlines()) == 1  # the header row only


@pytest.mark.django_db
def test_a_nul_in_an_autocomplete_search(admin_client, acme_admin):
    response = admin_client.get(
        "/admin/autocomplete/",
        {"term": "Ac\x00me", "app_label": "tenants", "model_name": "tenantuser", "field_name": "tenant"},
    )
    assert response.status_code == 200
    assert [result["text"] for result in response.json()["results"]] == [str(acme_admin.tenant)]
