import uuid
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.template.response import TemplateResponse

from audit.dashboard import Period, dashboard_build, period_from_query
from audit.exports import dashboard_csv
from tenants.models import Tenant


def _selected_tenant(raw: str | None) -> Tenant | None:
    try:
        return Tenant.objects.filter(pk=uuid.UUID(raw)).first() if raw else None
    except ValueError:
        return None


def _audit_list_query(tenant: Tenant | None, period: Period) -> str:
    """The audit list's parameters for the same tenant and days (UtcDateRangeFilter's from/to)."""
    query = {"tenant__id__exact": str(tenant.id)} if tenant else {}
    return urlencode({**query, "created_at__from": period.first_day, "created_at__to": period.last_day})


def dashboard_view(request):
    """The operator dashboard: staff who may read the audit log see it, for all tenants or one, for a
    range of UTC days; `export=csv` downloads what the page shows."""
    if not request.user.has_perm("audit.view_auditlog"):
        raise PermissionDenied
    tenant = _selected_tenant(request.GET.get("tenant"))
    period, period_problem = period_from_query(
        request.GET.get("from", ""), request.GET.get("to", ""), today=datetime.now(UTC).date()
    )
    dashboard = dashboard_build(tenant=tenant, period=period)
    if request.GET.get("export") == "csv":
        return dashboard_csv(dashboard)
    period_query = {"from": period.first_day, "to": period.last_day}
    scope_query = {"tenant": tenant.id, **period_query} if tenant else period_query
    context = {
        **admin.site.each_context(request),
        "title": f"Dashboard: {tenant.name}" if tenant else "Dashboard: all tenants",
        "dashboard": dashboard,
        # Suspended tenants are not offered, unless one is the tenant shown.
        "tenants": Tenant.objects.filter(Q(suspended_at__isnull=True) | Q(pk=tenant.pk if tenant else None))
        .order_by("name")
        .values("id", "name"),
        "period_problem": period_problem,
        # Links that keep what is shown: the same days for another tenant, the CSV of this view,
        # and the audit rows behind it.
        "period_query": urlencode(period_query),
        "export_query": urlencode({**scope_query, "export": "csv"}),
        "audit_list_query": _audit_list_query(tenant, period),
    }
    return TemplateResponse(request, "admin/dashboard.html", context)
