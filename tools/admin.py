from django.contrib import admin
from django.db.models import Q
from django.utils import timezone

from gateway_project.admin_mixins import ReadOnlyAdminMixin
from tools.models import IdempotencyKey


class KeyStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("in_progress", "In progress"), ("completed", "Completed"), ("expired", "Expired")]

    def queryset(self, request, queryset):
        now = timezone.now()
        live = Q(expires_at__gt=now)
        if self.value() == "in_progress":
            return queryset.filter(live, response_status__isnull=True)
        if self.value() == "completed":
            return queryset.filter(live, response_status__isnull=False)
        if self.value() == "expired":
            return queryset.filter(expires_at__lte=now)
        return queryset


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdminMixin):
    """Read-only: keys change only through invocations and purge_idempotency_keys."""

    list_display = ["key", "state", "tenant", "user", "endpoint", "response_status", "created_at", "expires_at"]
    list_filter = [KeyStateFilter, "endpoint", "tenant"]
    search_fields = ["=key"]
    list_select_related = ["tenant", "user"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    @admin.display(description="state")
    def state(self, record: IdempotencyKey) -> str:
        if record.is_expired:
            return "expired"
        return "completed" if record.is_completed else "in progress"
