"""Audit log and usage ledger in the admin: read-only for everyone, fast on a million rows."""

from operator import attrgetter

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html

from audit.exports import csv_stream
from audit.models import AuditLog, AuditSeal, Outcome, UsageEvent
from gateway_project.admin_mixins import ReadOnlyAdminMixin
from tools.registry import registry

OUTCOME_COLOURS = {Outcome.SUCCESS: "#2e7d32", Outcome.DENIED: "#b26a00", Outcome.ERROR: "#c62828"}


class ToolFilter(admin.SimpleListFilter):
    """Offers the registered tools: a DISTINCT over a million rows would cost every page view."""

    title = "tool"
    parameter_name = "tool"

    def lookups(self, request, model_admin):
        return [(tool.name, tool.name) for tool in registry.all()]

    def queryset(self, request, queryset):
        # Only a registered name filters: anything else (a NUL, say) cannot be in the table anyway.
        return queryset.filter(tool_name=self.value()) if registry.get(self.value() or "") else queryset


class ReadOnlyLedgerAdmin(ReadOnlyAdminMixin):
    """Nobody adds, changes or deletes ledger rows here, superusers included."""

    list_select_related = ["tenant", "user"]
    show_full_result_count = False
    date_hierarchy = "created_at"
    # The primary key follows insertion order and needs no sort over the whole table.
    ordering = ["-id"]
    list_per_page = 100
    actions = ["export_csv"]
    # Attribute paths read off each row; "tenant.name" follows the relation, headed tenant_name.
    csv_columns: list[str] = []

    @admin.display(description="tenant", ordering="tenant__name")
    def tenant_name(self, row) -> str:
        return row.tenant.name

    @admin.action(description="Export selected rows as CSV (choose 'select all' for every filtered row)")
    def export_csv(self, request, queryset):
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        rows = queryset.select_related("tenant", "user").order_by("id").iterator(chunk_size=2000)
        columns = [(path.replace(".", "_"), attrgetter(path)) for path in self.csv_columns]
        return csv_stream(rows, columns, f"{self.model._meta.db_table}-{stamp}.csv")


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyLedgerAdmin):
    list_display = ["created_at", "tenant_name", "user", "outcome_badge", "tool_name", "status_code", "error_code",
                    "request_id", "client_ip"]  # fmt: skip
    list_filter = ["outcome", ToolFilter, "tenant", "created_at"]
    search_fields = ["=request_id", "=user__id", "=presented_user_id", "=idempotency_key"]
    search_help_text = "Exact request id, user id or idempotency key."
    csv_columns = [
        "created_at",
        "tenant_id",
        "tenant.name",
        "seq",
        "outcome",
        "action",
        "tool_name",
        "status_code",
        "error_code",
        "request_id",
        "idempotency_key",
        "user_id",
        "presented_user_id",
        "client_ip",
        "user_agent",
        "row_hash",
    ]

    @admin.display(description="outcome", ordering="outcome")
    def outcome_badge(self, row: AuditLog):
        return format_html(
            '<strong style="color: {}">{}</strong>', OUTCOME_COLOURS.get(row.outcome, "inherit"), row.outcome
        )


@admin.register(UsageEvent)
class UsageEventAdmin(ReadOnlyLedgerAdmin):
    list_display = ["created_at", "tenant_name", "user", "tool_name", "units", "activity_type", "request_id"]
    list_filter = [ToolFilter, "tenant", "created_at"]
    search_fields = ["=request_id", "=user__id"]
    search_help_text = "Exact request id or user id."
    csv_columns = [
        "created_at",
        "tenant_id",
        "tenant.name",
        "user_id",
        "activity_type",
        "tool_name",
        "units",
        "request_id",
    ]


@admin.register(AuditSeal)
class AuditSealAdmin(ReadOnlyLedgerAdmin):
    list_display = ["created_at", "tenant_name", "seq", "rows", "seal_hash"]
    list_filter = ["tenant", "created_at"]
    list_select_related = ["tenant"]
    actions = []
