"""The built-in tools, exactly as the contract defines them."""

import math
from datetime import UTC, datetime, timedelta

from gateway_project.timestamps import format_timestamp
from kpis.selectors import kpi_first_point_since, kpi_latest_or_404
from tenants.permissions import Permission
from tools.registry import ToolCall, tool


@tool(
    name="echo",
    description='Returns the payload unchanged, as {"echo": <payload>}.',
    input_schema={"type": "object"},
)
def echo(call: ToolCall) -> dict:
    return {"echo": call.payload}


KPI_SUMMARY_SCHEMA = {
    "type": "object",
    "properties": {
        "kpi_id": {"type": "string", "format": "uuid", "description": "The KPI to summarise."},
        "window_days": {
            "type": "integer",
            "minimum": 1,
            "maximum": 3650,
            "default": 7,
            "description": "How far back from the latest point the start point may lie.",
        },
    },
    "required": ["kpi_id"],
    "additionalProperties": False,
}


def _finite_or_none(number: float) -> float | None:
    # Two finite values can still differ by more than a float holds; say so with null.
    return number if math.isfinite(number) else None


@tool(
    name="kpi_summary",
    description=(
        "Latest point of a KPI, the earliest point within `window_days` before it, "
        "and the change between them (delta_pct is null when the start value is 0)."
    ),
    input_schema=KPI_SUMMARY_SCHEMA,
    permission=Permission.KPIS_READ,
)
def kpi_summary(call: ToolCall) -> dict:
    kpi_id, latest = kpi_latest_or_404(tenant=call.tenant, kpi_id=call.payload["kpi_id"])
    window_days = call.payload.get("window_days", KPI_SUMMARY_SCHEMA["properties"]["window_days"]["default"])
    window = timedelta(days=int(window_days))
    try:
        since = latest.ts - window
    except OverflowError:
        since = datetime.min.replace(tzinfo=UTC)
    # The latest point itself qualifies, so a start point always exists.
    start = kpi_first_point_since(tenant=call.tenant, kpi_id=kpi_id, since=since)
    delta_abs = _finite_or_none(latest.value - start.value)
    delta_pct = None
    if delta_abs is not None and start.value != 0:
        delta_pct = _finite_or_none(delta_abs / start.value * 100)
    return {
        "kpi_id": str(kpi_id),
        "latest": {"ts": format_timestamp(latest.ts), "value": latest.value},
        "start": {"ts": format_timestamp(start.ts), "value": start.value},
        "delta_abs": delta_abs,
        "delta_pct": delta_pct,
    }
