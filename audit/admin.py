"""Audit log and usage ledger in the admin: read-only for everyone, fast on a million rows."""

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html

from audit.exports import csv_stream
from audit.models import AuditLog, AuditSeal, Outcome, UsageEvent
from tools.registry import registry

OUTCOME_COLOURS = {Outcome.SUCCESS: "#2e7d32", Outcome.DENIED: "#b26a00", Outcome.ERROR: "#c62828"}


class ToolFilter(admin.SimpleListFilter):
    """Offers the registered tools: a DISTINCT over a million rows would cost every page view."""

    title = "tool"
    parameter_name = "tool"

    def lookups(self, request, model_admin):
        return [(tool.name, tool.name) for tool in registry.all()]

    def queryset(self, request, queryset):
        return queryset.filter(tool_name=self.value()) if self.value() else queryset


class ReadOnlyLedgerAdmin(admin.ModelAdmin):
    """Nobody adds, changes or deletes ledger rows here, superusers included."""

    list_select_related = ["tenant", "user"]
    show_full_result_count = False
    date_hierarchy = "created_at"
    # The primary key follows insertion order and needs no sort over the whole table.
    ordering = ["-id"]
    list_per_page = 100
    actions = ["export_csv"]
    csv_columns: list = []

    @admin.display(description="tenant", ordering="tenant__name")
    def tenant_name(self, row) -> str:
        return row.tenant.name

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Export selected rows as CSV (choose 'select all' for every filtered row)")
    def export_csv(self, request, queryset):
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        rows = queryset.select_related("tenant", "user").order_by("id").iterator(chunk_size=2000)
        return csv_stream(rows, self.csv_columns, f"{self.model._meta.db_table}-{stamp}.csv")


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyLedgerAdmin):
    list_display = ["created_at", "tenant_name", "user", "outcome_badge", "tool_name", "status_code", "error_code",
                    "request_id", "client_ip"]  # fmt: skip
    list_filter = ["outcome", ToolFilter, "tenant", "created_at"]
    search_fields = ["=request_id", "=user__id", "=presented_user_id", "=idempotency_key"]
    search_help_text = "Exact request id, user id or idempotency key."
    csv_columns = [
        ("created_at", lambda row: row.created_at),
        ("tenant_id", lambda row: row.tenant_id),
        ("tenant", lambda row: row.tenant.name),
        ("seq", lambda row: row.seq),
        ("outcome", lambda row: row.outcome),
        ("action", lambda row: row.action),
        ("tool_name", lambda row: row.tool_name),
        ("status_code", lambda row: row.status_code),
        ("error_code", lambda row: row.error_code),
        ("request_id", lambda row: row.request_id),
        ("idempotency_key", lambda row: row.idempotency_key),
        ("user_id", lambda row: row.user_id),
        ("presented_user_id", lambda row: row.presented_user_id),
        ("client_ip", lambda row: row.client_ip),
        ("user_agent", lambda row: row.user_agent),
        ("row_hash", lambda row: row.row_hash),
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
        ("created_at", lambda row: row.created_at),
        ("tenant_id", lambda row: row.tenant_id),
        ("tenant", lambda row: row.tenant.name),
        ("user_id", lambda row: row.user_id),
        ("activity_type", lambda row: row.activity_type),
        ("tool_name", lambda row: row.tool_name),
        ("units", lambda row: row.units),
        ("request_id", lambda row: row.request_id),
    ]


@admin.register(AuditSeal)
class AuditSealAdmin(ReadOnlyLedgerAdmin):
    list_display = ["created_at", "tenant_name", "seq", "rows", "seal_hash"]
    list_filter = ["tenant", "created_at"]
    list_select_related = ["tenant"]
    actions = []
