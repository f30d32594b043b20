from django.contrib import admin
from django.db.models.constants import LOOKUP_SEP

from gateway_project.admin_mixins import ReadOnlyAdminMixin
from gateway_project.admin_site import UtcDateRangeFilter, shortened, utc_timestamp
from tenants.admin_filters import TenantFilter
from tools.models import IdempotencyKey, KeyState

STORED_ANSWER = "response_body"


class KeyStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return KeyState.choices

    def queryset(self, request, queryset):
        return queryset.in_state(self.value()) if self.value() in KeyState.values else queryset


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdminMixin):
    """Read-only: keys change only through invocations and purge_idempotency_keys."""

    # What an operator scans, cut to fit a 1366-px screen (the whole value on hover); the rest is on the key's page.
    list_display = ["key_text", "state", "tenant_name", "status", "created_at_utc", "expires_at_utc"]
    list_filter = [KeyStateFilter, "endpoint", ("tenant", TenantFilter), ("created_at", UtcDateRangeFilter)]
    search_fields = ["=key"]
    list_select_related = ["tenant"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = ["key", "state", "tenant", "user", "endpoint", "response_status", STORED_ANSWER, "fingerprint",
              "claim_token", "created_at_utc", "locked_at_utc", "completed_at_utc", "expires_at_utc"]  # fmt: skip

    created_at_utc = utc_timestamp("created_at", "created")
    locked_at_utc = utc_timestamp("locked_at", "claimed")
    completed_at_utc = utc_timestamp("completed_at", "completed")
    expires_at_utc = utc_timestamp("expires_at", "expires")

    # A stored answer is raw tool output, which can echo secrets a payload carried: superusers only,
    # on the page and in the address, where a lookup on it would answer guesses about its text.
    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if request.user.is_superuser else [field for field in fields if field != STORED_ANSWER]

    def lookup_allowed(self, lookup, value, request=None):
        if lookup.split(LOOKUP_SEP)[0] == STORED_ANSWER and not (request and request.user.is_superuser):
            return False
        return super().lookup_allowed(lookup, value, request)

    @admin.display(description="key", ordering="key")
    def key_text(self, record: IdempotencyKey) -> str:
        return shortened(record.key, 24)

    @admin.display(description="tenant", ordering="tenant__name")
    def tenant_name(self, record: IdempotencyKey) -> str:
        return shortened(record.tenant.name, 18)

    @admin.display(description="status", ordering="response_status")
    def status(self, record: IdempotencyKey):
        return record.response_status

    @admin.display(description="state")
    def state(self, record: IdempotencyKey) -> str:
        return record.state().label
