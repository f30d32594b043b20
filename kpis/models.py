import uuid

from django.db import models

from tenants.models import Tenant


class KpiDefinition(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="kpis")
    name = models.CharField(max_length=255)
    # An omitted unit or description is null in the API, so it is NULL here too.
    unit = models.CharField(max_length=50, null=True, blank=True)  # noqa: DJ001
    description = models.TextField(null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "kpi_definitions"
        verbose_name = "KPI definition"
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="kpi_definitions_tenant_name_uniq")]

    def __str__(self) -> str:
        return self.name


class KpiPoint(models.Model):
    id = models.BigAutoField(primary_key=True)
    # No single-column indexes: the unique (tenant, kpi, ts) index serves every read, and
    # two more indexes to maintain would tax every ingested point.
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+", db_index=False)
    kpi = models.ForeignKey(KpiDefinition, on_delete=models.PROTECT, related_name="points", db_index=False)
    # Always a UTC instant; two points of one KPI never share one.
    ts = models.DateTimeField()
    value = models.FloatField()

    class Meta:
        db_table = "kpi_points"
        verbose_name = "KPI point"
        constraints = [
            # Also the index behind "latest" and "first since": (tenant, kpi) equality, then ts order.
            models.UniqueConstraint(fields=["tenant", "kpi", "ts"], name="kpi_points_tenant_kpi_ts_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi_id} {self.ts.isoformat()} = {self.value}"
