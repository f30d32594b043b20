"""Reads of the audit trail and the usage ledger that more than one place needs; each takes the tenant."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Sum

from audit.models import UsageEvent
from tenants.models import Tenant


@dataclass(frozen=True)
class ToolUsage:
    tool_name: str
    invocations: int
    units: int


@dataclass(frozen=True)
class UsageTotals:
    """What the usage ledger metered for one tenant in [since, until): per tool, and in all."""

    since: datetime
    until: datetime | None
    by_tool: list[ToolUsage]

    @property
    def invocations(self) -> int:
        return sum(tool.invocations for tool in self.by_tool)

    @property
    def units(self) -> int:
        return sum(tool.units for tool in self.by_tool)


def usage_totals(*, tenant: Tenant, since: datetime, until: datetime | None = None) -> UsageTotals:
    """Invocations metered and their units, by tool, most units first: one query on (tenant, created_at).

    Each usage row is one successful invocation, so counting rows counts invocations.
    """
    rows = UsageEvent.objects.filter(tenant=tenant, created_at__gte=since)
    if until is not None:
        rows = rows.filter(created_at__lt=until)
    per_tool = (
        rows.values("tool_name")
        .annotate(invocations=Count("id"), units=Sum("units"))
        .order_by("-units", "tool_name")
        .values_list("tool_name", "invocations", "units")
    )
    return UsageTotals(since=since, until=until, by_tool=[ToolUsage(*row) for row in per_tool])
