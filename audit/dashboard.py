"""The numbers behind the operator dashboard: a handful of aggregate queries over a range of UTC days.

Usage (units, top tenants, top tools) is read through audit.selectors.usage_summary, like every other
reader of the usage ledger's sums; the audit trail's counts are the dashboard's own."""

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate

from audit.models import AuditLog, Outcome
from audit.selectors import UsageGroupBy, usage_summary
from gateway_project.admin_site import parse_day
from gateway_project.charts import BarChart, stacked_bar_chart
from tenants.models import Tenant

# Every outcome, each a series of the chart and a column of the export; a new one goes last, so the export's
# columns keep their places.
OUTCOME_ORDER = [Outcome.SUCCESS, Outcome.ERROR, Outcome.DENIED, Outcome.UNKNOWN]
DEFAULT_DAYS = 30
# One bar per day: a year still draws; more would be bars thinner than a pixel.
MAX_DAYS = 366
RECENT_DENIALS = 15
TOP_ROWS = 10


@dataclass(frozen=True)
class Period:
    """Whole UTC days, first and last included."""

    first_day: date
    last_day: date

    @classmethod
    def ending(cls, last_day: date, days: int = DEFAULT_DAYS) -> "Period":
        return cls(last_day - timedelta(days=days - 1), last_day)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time.min, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.last_day + timedelta(days=1), time.min, tzinfo=UTC)


def period_from_query(first: str, last: str, *, today: date) -> tuple[Period, str]:
    """The period `from`..`to` (YYYY-MM-DD, UTC) names, and what was wrong with it ("" if nothing).

    Either end may be left out: `to` defaults to today, `from` to DEFAULT_DAYS before `to`. A value
    that is no date, a `from` after `to` or more than MAX_DAYS fall back to the default period."""
    first, last = first.strip(), last.strip()
    first_day, last_day = parse_day(first), parse_day(last)
    if (first and first_day is None) or (last and last_day is None):
        return Period.ending(today), f"Dates are YYYY-MM-DD; showing the last {DEFAULT_DAYS} days instead."
    last_day = last_day or today
    period = Period(first_day, last_day) if first_day else Period.ending(last_day)
    if period.first_day > period.last_day:
        return Period.ending(today), f"'From' is after 'to'; showing the last {DEFAULT_DAYS} days instead."
    if period.days > MAX_DAYS:
        return Period.ending(today), f"At most {MAX_DAYS} days at once; showing the last {DEFAULT_DAYS} days instead."
    return period, ""


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
    period: Period
    per_day: list[tuple[date, dict[str, int]]]
    chart: BarChart
    # Every how many bars the chart's axis names a day.
    label_every: int
    invocations: int
    units: int
    errors: Rate
    denials: Rate
    unknown: Rate  # sent upstream, no answer: whether it took effect is for someone to find out
    top_tenants: list[dict]
    top_tools: list[dict]
    recent_denials: list[AuditLog]

    @property
    def days(self) -> int:
        return self.period.days


def _per_day(audit, period: Period) -> list[tuple[date, dict[str, int]]]:
    counts: dict[date, dict[str, int]] = {
        period.first_day + timedelta(days=offset): {} for offset in range(period.days)
    }
    per_day = audit.annotate(day=TruncDate("created_at", tzinfo=UTC)).values("day", "outcome").annotate(n=Count("id"))
    for row in per_day.order_by():
        if row["day"] in counts:
            counts[row["day"]][row["outcome"]] = row["n"]
    return list(counts.items())


def dashboard_build(*, tenant: Tenant | None = None, period: Period | None = None) -> Dashboard:
    period = period or Period.ending(datetime.now(UTC).date())
    audit = AuditLog.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
    if tenant is not None:
        audit = audit.filter(tenant=tenant)
    usage = {"tenant": tenant, "since": period.start, "until": period.end}
    # Every tool with usage, a handful: its totals are the period's, so no query of their own.
    by_tool = usage_summary(**usage, group_by=UsageGroupBy.TOOL)
    by_tenant = usage_summary(**usage, group_by=UsageGroupBy.TENANT).groups[:TOP_ROWS] if tenant is None else []

    per_day = _per_day(audit, period)
    totals = {outcome: sum(counts.get(outcome, 0) for _, counts in per_day) for outcome in OUTCOME_ORDER}
    invocations = sum(totals.values())
    return Dashboard(
        tenant=tenant,
        period=period,
        per_day=per_day,
        chart=stacked_bar_chart([(day.strftime("%b %d"), counts) for day, counts in per_day], OUTCOME_ORDER),
        label_every=max(7, math.ceil(period.days / 8)),
        invocations=invocations,
        units=by_tool.units,
        errors=Rate(totals[Outcome.ERROR], invocations),
        denials=Rate(totals[Outcome.DENIED], invocations),
        unknown=Rate(totals[Outcome.UNKNOWN], invocations),
        # The rows as the template and the CSV export (audit.exports) read them.
        top_tenants=[
            {"tenant_id": group.key, "tenant__name": group.label, "calls": group.invocations, "units": group.units}
            for group in by_tenant
        ],
        top_tools=[
            {"tool_name": group.key, "calls": group.invocations, "units": group.units}
            for group in by_tool.groups[:TOP_ROWS]
        ],
        # The latest by time: a row's id follows when it was written, which is not always when it happened.
        recent_denials=list(
            audit.filter(outcome=Outcome.DENIED)
            .select_related("tenant", "user")
            .order_by("-created_at", "-id")[:RECENT_DENIALS]
        ),
    )
