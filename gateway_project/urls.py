from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from audit.views import dashboard_view
from gateway_project.api_views import ApiViewMixin
from gateway_project.health import HealthView
from gateway_project.landing import landing_view
from gateway_project.openapi import same_host_only
from kpis.views import KpiViewSet
from tenants.views import PrincipalKeyViewSet, TenantViewSet, UserViewSet
from tools.views import (
    AccessViewSet,
    HttpToolViewSet,
    InvocationViewSet,
    SecretViewSet,
    ToolCatalogViewSet,
    ToolPolicyViewSet,
)


# The documents' own views, answering OPTIONS like every API view instead of a 405 that lists OPTIONS.
class SchemaView(ApiViewMixin, SpectacularAPIView):
    pass


class SwaggerView(ApiViewMixin, SpectacularSwaggerView):
    pass


class RedocView(ApiViewMixin, SpectacularRedocView):
    pass


router = SimpleRouter(trailing_slash=False)
router.register("tenants", TenantViewSet, basename="tenant")
router.register("users", UserViewSet, basename="user")
router.register("keys", PrincipalKeyViewSet, basename="key")
router.register("tools", ToolCatalogViewSet, basename="tool")
router.register("kpis", KpiViewSet, basename="kpi")
router.register("tool-policies", ToolPolicyViewSet, basename="tool-policy")
router.register("access", AccessViewSet, basename="access")
router.register("secrets", SecretViewSet, basename="secret")
router.register("http-tools", HttpToolViewSet, basename="http-tool")

urlpatterns = [
    path("", landing_view, name="landing"),
    path("v1/tools/invoke", InvocationViewSet.as_view({"post": "create"}), name="tool-invoke"),
    path("v1/", include(router.urls)),
    path("healthz", HealthView.as_view(), name="healthz"),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", same_host_only(SwaggerView.as_view(url_name="schema")), name="swagger-ui"),
    path(
        "api/redoc/",
        same_host_only(RedocView.as_view(url_name="schema", template_name="api_docs/redoc.html")),
        name="redoc",
    ),
    path("admin/dashboard/", admin.site.admin_view(dashboard_view), name="admin-dashboard"),
    path("admin/", admin.site.urls),
]

handler400 = "gateway_project.error_views.bad_request"
handler403 = "gateway_project.error_views.forbidden"
handler404 = "gateway_project.error_views.not_found"
handler500 = "gateway_project.error_views.server_error"
