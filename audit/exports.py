"""CSV export of admin querysets, streamed so a million rows never sit in memory; and of the dashboard."""

import csv
import io
from collections.abc import Callable, Iterable
from itertools import chain

from django.http import HttpResponse, StreamingHttpResponse

from audit.dashboard import OUTCOME_ORDER, Dashboard

Column = tuple[str, Callable[[object], object]]

# A cell opening with one of these would be run as a formula by a spreadsheet.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


class _Passthrough:
    """The file object csv.writer wants; each writerow returns the line instead of storing it."""

    def write(self, line: str) -> str:
        return line


def csv_cell(value: object) -> str:
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    if isinstance(value, str) and text.startswith(_FORMULA_TRIGGERS):
        return "'" + text
    return text


def csv_stream(rows: Iterable, columns: list[Column], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Passthrough())
    header = writer.writerow([name for name, _ in columns])
    lines = (writer.writerow([csv_cell(value(row)) for _, value in columns]) for row in rows)
    response = StreamingHttpResponse(chain([header], lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def dashboard_csv(board: Dashboard) -> HttpResponse:
    """What the dashboard shows, section by section: a header row and its rows, a blank row between.

    Small by construction (a row per day, ten top rows, the recent denials), so not streamed."""
    tenant, period = board.tenant, board.period
    scope = [tenant.id, tenant.name] if tenant else ["", "All tenants"]
    totals = [board.invocations, board.units, board.errors.count, board.errors.percent, board.denials.count,
              board.denials.percent, board.unknown.count, board.unknown.percent]  # fmt: skip
    per_day = [[day, *(counts.get(outcome, 0) for outcome in OUTCOME_ORDER), sum(counts.values())]
               for day, counts in board.per_day]  # fmt: skip
    top_tenants = [[row["tenant_id"], row["tenant__name"], row["calls"], row["units"]] for row in board.top_tenants]
    top_tools = [[row["tool_name"], row["calls"], row["units"]] for row in board.top_tools]
    denials = [
        [row.created_at, row.tenant.name, row.user.email if row.user else row.presented_user_id, row.tool_name,
         row.error_code, row.client_ip, row.request_id]
        for row in board.recent_denials
    ]  # fmt: skip
    sections = [
        (["tenant_id", "tenant", "from_utc", "to_utc"], [[*scope, period.first_day, period.last_day]]),
        (
            [
                "invocations",
                "units",
                "errors",
                "error_rate_percent",
                "denials",
                "denial_rate_percent",
                "unknown",
                "unknown_rate_percent",
            ],
            [totals],
        ),
        (["date_utc", *OUTCOME_ORDER, "total"], per_day),
        *([(["top_tenant_id", "top_tenant", "calls", "units"], top_tenants)] if tenant is None else []),
        (["top_tool", "calls", "units"], top_tools),
        (["denied_at_utc", "tenant", "user", "tool", "reason", "client_ip", "request_id"], denials),
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for number, (header, rows) in enumerate(sections):
        if number:
            writer.writerow([])
        writer.writerow(header)
        writer.writerows([csv_cell(value) for value in row] for row in rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    filename = f"dashboard-{scope[0] or 'all-tenants'}-{period.first_day:%Y%m%d}-{period.last_day:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
