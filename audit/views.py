import uuid

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from audit.dashboard import dashboard_build
from tenants.models import Tenant


def _selected_tenant(raw: str | None) -> Tenant | None:
    try:
        return Tenant.objects.filter(pk=uuid.UUID(raw)).first() if raw else None
    except ValueError:
        return None


def dashboard_view(request):
    """The operator dashboard: staff who may read the audit log see it, for all tenants or one."""
    if not request.user.has_perm("audit.view_auditlog"):
        raise PermissionDenied
    tenant = _selected_tenant(request.GET.get("tenant"))
    context = {
        **admin.site.each_context(request),
        "title": f"Dashboard: {tenant.name}" if tenant else "Dashboard: all tenants",
        "dashboard": dashboard_build(tenant=tenant),
        "tenants": Tenant.objects.order_by("name").values("id", "name"),
    }
    return TemplateResponse(request, "admin/dashboard.html", context)
