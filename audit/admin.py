"""Audit log and usage ledger in the admin: read-only for everyone, fast on a million rows."""

import uuid
from functools import reduce
from operator import attrgetter, or_

from django.contrib import admin
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html

from audit.exports import csv_stream
from audit.models import AuditLog, AuditSeal, Channel, Outcome, UsageEvent
from gateway_project.admin_mixins import ReadOnlyAdminMixin
from gateway_project.admin_site import UtcDateRangeFilter, shortened, utc_timestamp
from tenants.admin_filters import TenantFilter
from tenants.models import Tenant, TenantUser
from tools.providers import tool_list, tool_resolve

OUTCOME_COLOURS = {
    Outcome.SUCCESS: "#2e7d32",
    Outcome.DENIED: "#b26a00",
    Outcome.ERROR: "#c62828",
    # Neither a success nor a failure: the request may have taken effect upstream, and someone should find out.
    Outcome.UNKNOWN: "#6a1b9a",
}


class ToolFilter(admin.SimpleListFilter):
    """Offers every tool the providers know: a DISTINCT over a million rows would cost every page view."""

    title = "tool"
    parameter_name = "tool"

    def lookups(self, request, model_admin):
        return [(tool.name, tool.name) for tool in tool_list(tenant=None)]

    def queryset(self, request, queryset):
        # Only a known name filters: anything else (a NUL, say) cannot be in the table anyway.
        return (
            queryset.filter(tool_name=self.value()) if tool_resolve(tenant=None, name=self.value() or "") else queryset
        )


class ChannelFilter(admin.SimpleListFilter):
    """The channels an invocation can come through, from the code: no DISTINCT over the table."""

    title = "channel"
    parameter_name = "channel"

    def lookups(self, request, model_admin):
        return Channel.choices

    def queryset(self, request, queryset):
        return queryset.filter(channel=self.value()) if self.value() in Channel.values else queryset


class ReadOnlyLedgerAdmin(ReadOnlyAdminMixin):
    """Nobody adds, changes or deletes ledger rows here, superusers included."""

    list_select_related = ["tenant", "user"]
    show_full_result_count = False
    date_hierarchy = "created_at"
    # Newest first by time; the (created_at, id) index (migration 0007) walks it without a sort.
    ordering = ["-created_at", "-id"]
    list_per_page = 100
    actions = ["export_csv"]
    # Attribute paths read off each row; "tenant.name" follows the relation, headed tenant_name.
    csv_columns: list[str] = []
    # get_search_results below does the searching; Django shows the search box when this is set.
    search_fields = ["request_id"]
    # Exact-id columns searched besides request_id (each indexed), and whether X-User-ID as presented is kept.
    search_exact_fields: list[str] = []
    search_presented_user_id = False

    created_at_utc = utc_timestamp("created_at", "time")

    # The columns an operator scans, each cut to fit a 1366-px screen (the whole value on hover);
    # every other field is on the row's own page.
    @admin.display(description="tenant", ordering="tenant__name")
    def tenant_name(self, row) -> str:
        return shortened(row.tenant.name, 16)

    @admin.display(description="user", ordering="user__email")
    def user_email(self, row) -> str:
        if row.user is None:  # an X-User-ID that named nobody in the tenant
            return shortened(getattr(row, "presented_user_id", "") or "-", 9)
        return shortened(row.user.email, 22)

    @admin.display(description="tool", ordering="tool_name")
    def tool(self, row) -> str:
        return shortened(row.tool_name or "-", 12)

    @admin.display(description="request id")
    def request(self, row) -> str:
        return shortened(row.request_id, 9)

    def get_search_results(self, request, queryset, search_term):
        """One term, matched against tenant names, user emails and tool names, and exactly against ids.

        Names and emails are looked up in their own small tables first, so the ledger is read
        through its tenant, user, request-id and idempotency-key indexes, never with a LIKE."""
        term = search_term.strip()
        if not term:
            return queryset, False
        matches = self._search_matches(term, queryset.model)
        return (queryset.filter(reduce(or_, matches)) if matches else queryset.none()), False

    def _search_matches(self, term: str, model) -> list[Q]:
        matches = [Q(**{field: term}) for field in self.search_exact_fields]
        folded = term.casefold()
        tools = [tool.name for tool in tool_list(tenant=None) if folded in tool.name.casefold()]
        if tools:
            matches.append(Q(tool_name__in=tools))
        tenants = list(Tenant.objects.filter(name__icontains=term).values_list("id", flat=True))
        users = list(TenantUser.objects.filter(email__icontains=term).values_list("id", flat=True))
        try:
            exact_id = uuid.UUID(term)
        except ValueError:
            exact_id = None
        if exact_id is not None:
            matches.append(Q(request_id=exact_id))
            tenants += Tenant.objects.filter(pk=exact_id).values_list("id", flat=True)
            known_user = TenantUser.objects.filter(pk=exact_id).exists()
            if known_user:
                users.append(exact_id)
            elif self.search_presented_user_id and not model.objects.filter(request_id=exact_id).exists():
                # An X-User-ID that named nobody is kept only as presented, unindexed: the one
                # search that reads the whole ledger, and only for an id that is nothing else.
                matches.append(Q(presented_user_id__in={term, str(exact_id)}))
        if tenants:
            matches.append(Q(tenant_id__in=tenants))
        if users:
            matches.append(Q(user_id__in=users))
        return matches

    @admin.action(description="Export selected rows as CSV (choose 'select all' for every filtered row)")
    def export_csv(self, request, queryset):
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        rows = queryset.select_related("tenant", "user").order_by("id").iterator(chunk_size=2000)
        columns = [(path.replace(".", "_"), attrgetter(path)) for path in self.csv_columns]
        return csv_stream(rows, columns, f"{self.model._meta.db_table}-{stamp}.csv")


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyLedgerAdmin):
    list_display = ["created_at_utc", "tenant_name", "user_email", "outcome_badge", "tool", "status", "request"]
    list_filter = ["outcome", ToolFilter, ChannelFilter, ("tenant", TenantFilter), ("created_at", UtcDateRangeFilter)]
    search_exact_fields = ["idempotency_key"]
    search_presented_user_id = True
    search_help_text = (
        "Tenant name, user email or tool name (any part), or an exact request id, user id or idempotency key."
    )
    fields = ["created_at_utc", "tenant", "seq", "outcome", "action", "channel", "tool_name", "status_code",
              "error_code", "request_id", "idempotency_key", "user", "presented_user_id", "units", "duration_ms",
              "client_ip", "user_agent", "api_key_fingerprint", "api_key_id", "payload_fingerprint", "chain_version",
              "prev_hash", "row_hash"]  # fmt: skip
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
        "api_key_id",
    ]

    @admin.display(description="status", ordering="status_code")
    def status(self, row: AuditLog) -> str:
        return shortened(f"{row.status_code} {row.error_code}".strip(), 16)

    @admin.display(description="outcome", ordering="outcome")
    def outcome_badge(self, row: AuditLog):
        return format_html(
            '<strong style="color: {}">{}</strong>', OUTCOME_COLOURS.get(row.outcome, "inherit"), row.outcome
        )


@admin.register(UsageEvent)
class UsageEventAdmin(ReadOnlyLedgerAdmin):
    list_display = ["created_at_utc", "tenant_name", "user_email", "tool", "units", "request"]
    list_filter = [ToolFilter, ("tenant", TenantFilter), ("created_at", UtcDateRangeFilter)]
    search_help_text = "Tenant name, user email or tool name (any part), or an exact request id or user id."
    fields = ["created_at_utc", "tenant", "user", "activity_type", "tool_name", "units", "request_id"]
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
    list_display = ["created_at_utc", "tenant_name", "seq", "rows", "seal"]
    list_filter = [("tenant", TenantFilter), ("created_at", UtcDateRangeFilter)]
    list_select_related = ["tenant"]
    # Seals are written in time order, so the primary key is newest first without another index.
    ordering = ["-id"]
    search_fields = []
    actions = []
    fields = ["created_at_utc", "tenant", "seq", "rows", "last_row_hash", "prev_seal_hash", "seal_hash"]

    @admin.display(description="seal hash")
    def seal(self, row: AuditSeal) -> str:
        return shortened(row.seal_hash, 13)

    def changelist_view(self, request, extra_context=None):
        # The page says how to seal, and says so first when there is no seal at all (not just none filtered).
        return super().changelist_view(request, {"any_seal": AuditSeal.objects.exists(), **(extra_context or {})})
