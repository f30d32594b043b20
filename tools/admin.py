from django import forms
from django.conf import settings
from django.contrib import admin
from django.db.models.constants import LOOKUP_SEP

from gateway_project.admin_mixins import ReadOnlyAdminMixin
from gateway_project.admin_site import UtcDateRangeFilter, shortened, utc_timestamp
from tenants.admin_filters import TenantFilter
from tools.models import IdempotencyKey, KeyState, VaultSecret
from tools.vault import VaultUnavailable, current_key_fingerprint, secret_delete, secret_store

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


class VaultSecretForm(forms.ModelForm):
    """Names the secret and takes its value, write-only: never rendered back, stored through tools.vault."""

    value = forms.CharField(
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        strip=False,
        required=False,
        help_text="Stored encrypted, never shown again. When changing a secret, leave empty to keep its value.",
    )

    class Meta:
        model = VaultSecret
        fields = ["tenant", "name"]

    def clean_value(self):
        value = self.cleaned_data["value"]
        if not value and not self.instance.pk:
            raise forms.ValidationError("A new secret needs a value.")
        limit = settings.GATEWAY_VAULT_MAX_SECRET_BYTES
        if len(value.encode()) > limit:
            raise forms.ValidationError(f"At most {limit} bytes (UTF-8).")
        if value:
            try:
                current_key_fingerprint()
            except VaultUnavailable as unavailable:
                raise forms.ValidationError(unavailable.detail) from None
        return value


@admin.register(VaultSecret)
class VaultSecretAdmin(admin.ModelAdmin):
    """The vault in the console: names, owners and keys. A value goes in and never comes out; its ciphertext neither."""

    form = VaultSecretForm
    list_display = ["name", "owner", "key_fingerprint", "updated_at_utc"]
    list_filter = [("tenant", TenantFilter), "key_fingerprint"]
    search_fields = ["name", "tenant__name"]
    list_select_related = ["tenant"]
    raw_id_fields = ["tenant"]
    show_full_result_count = False

    updated_at_utc = utc_timestamp("updated_at", "updated")
    created_at_utc = utc_timestamp("created_at", "created")

    def get_fields(self, request, obj=None):
        fields = ["tenant", "name", "value", "key_fingerprint", "created_at_utc", "updated_at_utc"]
        if obj is None:
            return ["tenant", "name", "value"]
        # Someone who may only look has no value to type, and nothing of it to see.
        return fields if self.has_change_permission(request, obj) else [name for name in fields if name != "value"]

    def get_readonly_fields(self, request, obj=None):
        return ["tenant", "name", "key_fingerprint", "created_at_utc", "updated_at_utc"] if obj else []

    def lookup_allowed(self, lookup, value, request=None):
        # Not even the ciphertext's shape is offered to a filter in the address.
        if lookup.split(LOOKUP_SEP)[0] == "ciphertext":
            return False
        return super().lookup_allowed(lookup, value, request)

    @admin.display(description="owner", ordering="tenant__name")
    def owner(self, secret: VaultSecret) -> str:
        return shortened(secret.tenant.name, 18) if secret.tenant else "operator"

    def save_model(self, request, obj, form, change):
        value = form.cleaned_data["value"]
        if not value:
            return  # a change that keeps the value: tenant and name cannot change, so nothing to write
        saved = secret_store(tenant=obj.tenant, name=obj.name, value=value)
        obj.pk, obj.created_at, obj.updated_at = saved.pk, saved.created_at, saved.updated_at
        obj.ciphertext, obj.key_fingerprint = saved.ciphertext, saved.key_fingerprint
        obj._state.adding, obj._state.db = False, saved._state.db

    def delete_model(self, request, obj):
        secret_delete(tenant=obj.tenant, name=obj.name)

    def delete_queryset(self, request, queryset):
        for secret in queryset.select_related("tenant"):
            secret_delete(tenant=secret.tenant, name=secret.name)


from tools import http_tool_admin  # noqa: E402,F401  registers the HTTP tools' admin
