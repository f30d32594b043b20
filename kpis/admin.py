from django.contrib import admin
from django.db.models import OuterRef, Subquery
from django.template.loader import render_to_string

from gateway_project.admin_site import shortened, utc_timestamp
from gateway_project.charts import downsample, line_chart
from gateway_project.timestamps import format_timestamp
from kpis.forms import KpiDefinitionForm
from kpis.models import KpiDefinition, KpiPoint
from kpis.selectors import kpi_latest_point
from tenants.admin_filters import TenantFilter

# The chart reads at most this many of the newest points, and draws at most CHART_POINTS of them.
CHART_WINDOW = 20_000
CHART_POINTS = 600


@admin.register(KpiDefinition)
class KpiDefinitionAdmin(admin.ModelAdmin):
    form = KpiDefinitionForm
    # Cut to fit a 1366-px screen, the whole value on hover; the description is on the KPI's page.
    list_display = ["kpi_name", "tenant_name", "unit_text", "latest_value", "latest_ts", "created_at_utc"]
    list_filter = [("tenant", TenantFilter)]
    search_fields = ["name", "=id"]
    list_select_related = ["tenant"]
    autocomplete_fields = ["tenant"]
    readonly_fields = ["id", "created_at_utc", "latest_point", "series_chart"]
    fields = ["id", "tenant", "name", "unit", "description", "created_at_utc", "latest_point", "series_chart"]
    show_full_result_count = False

    created_at_utc = utc_timestamp("created_at", "created")

    def get_readonly_fields(self, request, obj=None):
        # Moving a KPI to another tenant would strand its points in the old one.
        return [*self.readonly_fields, "tenant"] if obj else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False  # its points, and audit rows that name it, must not lose their subject

    def get_queryset(self, request):
        newest = KpiPoint.objects.filter(tenant=OuterRef("tenant"), kpi=OuterRef("pk")).order_by("-ts")
        return (
            super()
            .get_queryset(request)
            .annotate(latest_ts=Subquery(newest.values("ts")[:1]), latest_value=Subquery(newest.values("value")[:1]))
        )

    @admin.display(description="name", ordering="name")
    def kpi_name(self, kpi: KpiDefinition) -> str:
        return shortened(kpi.name, 28)

    @admin.display(description="tenant", ordering="tenant__name")
    def tenant_name(self, kpi: KpiDefinition) -> str:
        return shortened(kpi.tenant.name, 18)

    @admin.display(description="unit", ordering="unit")
    def unit_text(self, kpi: KpiDefinition) -> str:
        return shortened(kpi.unit or "-", 10)

    @admin.display(description="latest value")
    def latest_value(self, kpi: KpiDefinition):
        return kpi.latest_value

    @admin.display(description="latest at (UTC)", ordering="latest_ts")
    def latest_ts(self, kpi: KpiDefinition):
        return kpi.latest_ts

    @admin.display(description="latest point")
    def latest_point(self, kpi: KpiDefinition) -> str:
        point = kpi_latest_point(tenant=kpi.tenant, kpi_id=kpi.id) if kpi.pk else None
        return f"{point.value} at {format_timestamp(point.ts)}" if point else "no points yet"

    @admin.display(description="series")
    def series_chart(self, kpi: KpiDefinition) -> str:
        newest = list(
            KpiPoint.objects.filter(tenant_id=kpi.tenant_id, kpi=kpi).order_by("-ts").values_list("ts", "value")[
                :CHART_WINDOW
            ]
        ) if kpi.pk else []  # fmt: skip
        points = downsample(newest[::-1], CHART_POINTS)
        return render_to_string(
            "admin/kpis/series_chart.html",
            {"chart": line_chart(points), "shown": len(newest), "window": CHART_WINDOW, "drawn_limit": CHART_POINTS},
        )
