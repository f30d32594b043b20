"""The numbers behind the operator dashboard: a handful of aggregate queries over the last N days."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from audit.models import AuditLog, Outcome, UsageEvent
from gateway_project.charts import BarChart, stacked_bar_chart
from tenants.models import Tenant

OUTCOME_ORDER = [Outcome.SUCCESS, Outcome.ERROR, Outcome.DENIED]


@dataclass(frozen=True)
class Rate:
    count: int
    total: int

    @property
    def percent(self) -> float:
        return round(self.count / self.total * 100, 1) if self.total else 0.0


@dataclass(frozen=True)
class Dashboard:
    tenant: Tenant | None
    since: datetime
    days: int
    chart: BarChart
    invocations: int
    units: int
    errors: Rate
    denials: Rate
    top_tenants: list[dict]
    top_tools: list[dict]
    recent_denials: list[AuditLog]


def _per_day(audit, first_day: date, days: int) -> list[tuple[date, dict[str, int]]]:
    counts: dict[date, dict[str, int]] = {first_day + timedelta(days=offset): {} for offset in range(days)}
    per_day = audit.annotate(day=TruncDate("created_at")).values("day", "outcome").annotate(n=Count("id"))
    for row in per_day.order_by():
        if row["day"] in counts:
            counts[row["day"]][row["outcome"]] = row["n"]
    return list(counts.items())


def dashboard_build(*, tenant: Tenant | None = None, days: int = 30) -> Dashboard:
    first_day = timezone.now().date() - timedelta(days=days - 1)
    since = datetime.combine(first_day, datetime.min.time(), tzinfo=timezone.get_current_timezone())
    audit = AuditLog.objects.filter(created_at__gte=since)
    usage = UsageEvent.objects.filter(created_at__gte=since)
    if tenant is not None:
        audit, usage = audit.filter(tenant=tenant), usage.filter(tenant=tenant)

    per_day = _per_day(audit, first_day, days)
    totals = {outcome: sum(counts.get(outcome, 0) for _, counts in per_day) for outcome in OUTCOME_ORDER}
    invocations = sum(totals.values())
    by_usage = {"calls": Count("id"), "units": Sum("units")}
    return Dashboard(
        tenant=tenant,
        since=since,
        days=days,
        chart=stacked_bar_chart([(day.strftime("%b %d"), counts) for day, counts in per_day], OUTCOME_ORDER),
        invocations=invocations,
        units=usage.aggregate(units=Sum("units"))["units"] or 0,
        errors=Rate(totals[Outcome.ERROR], invocations),
        denials=Rate(totals[Outcome.DENIED], invocations),
        top_tenants=list(
            usage.values("tenant_id", "tenant__name").annotate(**by_usage).order_by("-units", "tenant__name")[:10]
        )
        if tenant is None
        else [],
        top_tools=list(usage.values("tool_name").annotate(**by_usage).order_by("-units", "tool_name")[:10]),
        recent_denials=list(audit.filter(outcome=Outcome.DENIED).select_related("tenant", "user").order_by("-id")[:15]),
    )
