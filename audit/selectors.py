"""Reads of the audit trail and the usage ledger that more than one place needs; each takes the tenant."""

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate

from audit.models import UsageEvent
from tenants.models import Tenant


class UsageGroupBy(StrEnum):
    TOOL = "tool"
    TENANT = "tenant"
    USER = "user"
    DAY = "day"  # the UTC calendar day


# Per grouping, the column that tells groups apart and the one that names them (values() names). Names
# order groups of equal units; the key breaks the ties names leave (two tenants may share a name).
_KEY_AND_LABEL = {
    UsageGroupBy.TOOL: ("tool_name", "tool_name"),
    UsageGroupBy.TENANT: ("tenant_id", "tenant__name"),
    UsageGroupBy.USER: ("user_id", "user__email"),
    UsageGroupBy.DAY: ("day", "day"),
}


@dataclass(frozen=True)
class UsageGroup:
    """What the ledger metered for one tool, tenant, user or day."""

    key: str | uuid.UUID | date  # the tool's name, the tenant's or the user's id, the day
    label: str  # how to name it: the tool's name, the tenant's name, the user's email, the day (YYYY-MM-DD)
    invocations: int
    units: int


@dataclass(frozen=True)
class UsageSummary:
    """What the usage ledger metered in [since, until), for one tenant or all, by group, most units first."""

    group_by: UsageGroupBy
    since: datetime
    until: datetime | None
    groups: list[UsageGroup]

    @property
    def invocations(self) -> int:
        return sum(group.invocations for group in self.groups)

    @property
    def units(self) -> int:
        return sum(group.units for group in self.groups)


def usage_summary(
    *, tenant: Tenant | None, since: datetime, until: datetime | None, group_by: UsageGroupBy | str
) -> UsageSummary:
    """Invocations metered and their units in [since, until) (`until=None`: up to now), grouped by tool, tenant,
    user or UTC day, most units first; `tenant=None` reads every tenant's (the operator's dashboard).

    The one read of the ledger's sums, for the dashboard, the tenant page, and reports and budgets: one
    query, on (tenant, created_at) for a tenant and on (created_at, id) for all. Each usage row is one
    successful invocation, so counting rows counts invocations. Every group is returned: there are as many
    as tools, tenants, users or days with usage in the period.
    """
    group_by = UsageGroupBy(group_by)
    rows = UsageEvent.objects.filter(created_at__gte=since)
    if tenant is not None:
        rows = rows.filter(tenant=tenant)
    if until is not None:
        rows = rows.filter(created_at__lt=until)
    if group_by is UsageGroupBy.DAY:
        rows = rows.annotate(day=TruncDate("created_at", tzinfo=UTC))
    key, label = _KEY_AND_LABEL[group_by]
    columns = list(dict.fromkeys((label, key)))
    per_group = rows.values(*columns).annotate(invocations=Count("id"), units=Sum("units")).order_by("-units", *columns)
    groups = [UsageGroup(row[key], str(row[label]), row["invocations"], row["units"]) for row in per_group]
    return UsageSummary(group_by=group_by, since=since, until=until, groups=groups)
