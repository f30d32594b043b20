"""What every API view shares: how its request body is parsed."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from rest_framework.views import APIView

from audit.models import AuditLog
from gateway_project.api_views import ApiViewMixin
from kpis.models import KpiDefinition
from tenants.models import Tenant, TenantUser

EMPTY_BODY = {"detail": "Request body is empty; send a JSON document", "code": "malformed_json"}


def routed_api_views() -> set[type[APIView]]:
    """Every DRF view our own URLconf routes to (the schema and docs pages are drf-spectacular's)."""
    found = set()

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                view_class = getattr(pattern.callback, "cls", None)
                if view_class and issubclass(view_class, APIView) and not view_class.__module__.startswith("drf_"):
                    found.add(view_class)

    walk(get_resolver().url_patterns)
    return found


def test_every_api_view_builds_its_request_the_gateways_way():
    views = routed_api_views()
    paths = ["/v1/tools/invoke", "/v1/tools", "/v1/tenants", "/v1/users", "/v1/kpis", "/v1/kpis/x/latest", "/healthz"]
    assert {resolve(path).func.cls for path in paths} <= views
    assert {view.__name__ for view in views if not issubclass(view, ApiViewMixin)} == set()


@pytest.fixture
def kpi(acme_admin):
    return KpiDefinition.objects.create(tenant=acme_admin.tenant, name="MRR")


def post_empty(api, path, headers=None, content_type="application/json"):
    return api.post(path, content_type=content_type, headers=headers or {})


@pytest.mark.django_db
class TestEmptyBody:
    """No bytes is not a JSON document: 400, never a 422 listing the fields it lacks."""

    @pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8"])
    def test_on_kpi_create(self, api, acme_admin, content_type):
        response = post_empty(api, "/v1/kpis", acme_admin.headers(), content_type)

        assert (response.status_code, response.json()) == (400, EMPTY_BODY)
        assert not KpiDefinition.objects.exists()

    def test_on_points_bulk(self, api, acme_admin, kpi):
        response = post_empty(api, f"/v1/kpis/{kpi.id}/points:bulk", acme_admin.headers())
        assert (response.status_code, response.json()) == (400, EMPTY_BODY)

    def test_on_invoke_and_audited_as_an_error(self, api, acme_admin):
        response = post_empty(api, "/v1/tools/invoke", acme_admin.headers(**{"Idempotency-Key": "empty-1"}))

        assert (response.status_code, response.json()) == (400, EMPTY_BODY)
        audit = AuditLog.objects.get()
        assert (audit.outcome, audit.status_code, audit.error_code) == ("error", 400, "malformed_json")

    def test_on_tenant_registration(self, api):
        response = post_empty(api, "/v1/tenants")

        assert (response.status_code, response.json()) == (400, EMPTY_BODY)
        assert not Tenant.objects.exists()

    def test_on_open_user_registration(self, api):
        response = post_empty(api, "/v1/users")
        assert (response.status_code, response.json()) == (400, EMPTY_BODY)

    def test_on_user_creation_by_an_admin(self, api, acme_admin, settings):
        settings.GATEWAY_OPEN_REGISTRATION = False
        response = post_empty(api, "/v1/users", acme_admin.headers())

        assert (response.status_code, response.json()) == (400, EMPTY_BODY)
        assert TenantUser.objects.count() == 1

    def test_a_body_of_another_type_is_still_415(self, api, acme_admin):
        response = post_empty(api, "/v1/kpis", acme_admin.headers(), content_type="text/plain")
        assert (response.status_code, response.json()["code"]) == (415, "unsupported_media_type")

    # The contract's order holds: headers (400), tenant and key (401), user (403), role (403), then the body.
    def test_a_missing_header_is_named_first(self, api, acme_admin):
        headers = acme_admin.headers()
        del headers["X-API-Key"]
        response = post_empty(api, "/v1/kpis", headers)
        assert response.json() == {"detail": "Missing required header: X-API-Key", "code": "missing_header"}

    def test_a_wrong_key_is_401_first(self, api, acme_admin, outsider):
        response = post_empty(api, "/v1/kpis", acme_admin.headers(**{"X-API-Key": outsider.api_key}))
        assert (response.status_code, response.json()["code"]) == (401, "invalid_credentials")

    def test_an_unknown_user_is_403_first(self, api, acme_admin, outsider):
        response = post_empty(api, "/v1/kpis", acme_admin.headers(**{"X-User-ID": str(outsider.user.id)}))
        assert (response.status_code, response.json()["code"]) == (403, "user_not_in_tenant")

    def test_the_role_is_checked_first(self, api, acme_member):
        response = post_empty(api, "/v1/kpis", acme_member.headers())
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied")

    def test_reads_never_parse_a_body(self, api, acme_admin, kpi):
        response = api.get(f"/v1/kpis/{kpi.id}", content_type="application/json", headers=acme_admin.headers())
        assert response.status_code == 200


# Each endpoint and exactly the methods it serves (HEAD wherever GET is).
ALLOWED = {
    "/healthz": {"GET", "HEAD", "OPTIONS"},
    "/v1/tenants": {"POST", "OPTIONS"},
    "/v1/users": {"POST", "OPTIONS"},
    "/v1/tools": {"GET", "HEAD", "OPTIONS"},
    "/v1/tools/invoke": {"POST", "OPTIONS"},
    "/v1/kpis": {"GET", "POST", "HEAD", "OPTIONS"},
    "/v1/kpis/{kpi_id}": {"GET", "HEAD", "OPTIONS"},
    "/v1/kpis/{kpi_id}/points:bulk": {"POST", "OPTIONS"},
    "/v1/kpis/{kpi_id}/latest": {"GET", "HEAD", "OPTIONS"},
    "/api/schema/": {"GET", "HEAD", "OPTIONS"},
    "/api/docs/": {"GET", "HEAD", "OPTIONS"},
    "/api/redoc/": {"GET", "HEAD", "OPTIONS"},
}


def allowed(response) -> set[str]:
    return {method.strip() for method in response["Allow"].split(",")}


@pytest.mark.django_db
class TestOptions:
    """OPTIONS answers what the endpoint serves, to anyone: the OpenAPI document already says as much."""

    @pytest.mark.parametrize("path", list(ALLOWED))
    def test_is_200_with_exactly_the_served_methods_and_no_body(self, api, path):
        response = api.options(path.format(kpi_id="5f0c3b1e-7a8d-4c2b-9e6f-1a2b3c4d5e6f"))

        assert response.status_code == 200
        assert allowed(response) == ALLOWED[path]
        assert (response.content, response["Content-Length"]) == (b"", "0")
        assert "Content-Type" not in response

    @pytest.mark.parametrize("path", list(ALLOWED))
    def test_every_other_method_is_405_and_names_the_same_methods(self, api, acme_admin, kpi, path):
        for method in {"GET", "POST", "PUT", "PATCH", "DELETE"} - ALLOWED[path]:
            headers = acme_admin.headers(**{"Idempotency-Key": "k"})
            response = api.generic(method, path.format(kpi_id=kpi.id), headers=headers)
            assert response.status_code == 405, method
            assert allowed(response) == ALLOWED[path]

    def test_needs_no_headers_and_ignores_wrong_ones(self, api, acme_admin, outsider):
        response = api.options("/v1/kpis", headers=acme_admin.headers(**{"X-API-Key": outsider.api_key}))
        assert response.status_code == 200

    def test_on_invoke_is_not_an_invocation_attempt(self, api, acme_admin, acme_member):
        for actor in (acme_admin, acme_member):
            response = api.options("/v1/tools/invoke", headers=actor.headers(**{"Idempotency-Key": "k"}))
            assert response.status_code == 200
        assert not AuditLog.objects.exists()

    def test_is_not_rate_limited_nor_counted(self, api, acme_admin, settings):
        settings.GATEWAY_RATE_LIMIT_TENANT_PER_MINUTE = 1
        for _ in range(3):
            assert api.options("/v1/kpis", headers=acme_admin.headers()).status_code == 200
        assert api.get("/v1/kpis", headers=acme_admin.headers()).status_code == 200
