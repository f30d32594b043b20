"""List filters for the console's pages that offer tenants (suspended tenants are hidden unless asked for),
and the principal keys' status, which the key list shows and filters by."""

import uuid
from datetime import datetime

from django.contrib import admin
from django.db import models
from django.db.models import Case, CharField, Q, Value, When
from django.utils import timezone

from tenants.models import Tenant


class TenantFilter(admin.RelatedFieldListFilter):
    """Offers the active tenants, and a "Show suspended tenants" choice that offers the suspended ones too.

    Use it on any list of rows with a tenant foreign key: `list_filter = [("tenant", TenantFilter)]`.
    It filters with Django's own query string (`tenant__id__exact=<id>`), so a link to a list filtered by a
    tenant works the same with or without it, and a selected tenant is offered even when suspended.
    """

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.show_suspended_kwarg = f"{field_path}__suspended"
        self.hidden_suspended = 0
        super().__init__(field, request, params, model, model_admin, field_path)
        # It decides what is offered, never what is listed: not a lookup for queryset().
        self.show_suspended = self.used_parameters.pop(self.show_suspended_kwarg, None) is not None

    def expected_parameters(self):
        return [*super().expected_parameters(), self.show_suspended_kwarg]

    def field_choices(self, field, request, model_admin):
        show_suspended = self.show_suspended_kwarg in self.used_parameters
        selected = {str(tenant_id) for tenant_id in uuids(self.lookup_val or [])}
        # One query, as Django's own filter makes: every tenant, the suspended ones counted if not offered.
        tenants = Tenant.objects.order_by("name", "id").only("id", "name", "suspended_at")
        choices = []
        for tenant in tenants:
            if tenant.is_suspended and not show_suspended and str(tenant.pk) not in selected:
                self.hidden_suspended += 1
                continue
            choices.append((tenant.pk, f"{tenant} (suspended)" if tenant.is_suspended else str(tenant)))
        return choices

    def has_output(self):
        return super().has_output() or self.hidden_suspended > 0 or self.show_suspended

    def choices(self, changelist):
        yield from super().choices(changelist)
        if self.show_suspended:
            yield {
                "selected": False,
                "query_string": changelist.get_query_string(remove=[self.show_suspended_kwarg]),
                "display": "Hide suspended tenants",
            }
        elif self.hidden_suspended:
            yield {
                "selected": False,
                "query_string": changelist.get_query_string({self.show_suspended_kwarg: "1"}),
                "display": f"Show suspended tenants ({self.hidden_suspended})",
            }


class SuspendedFilter(admin.SimpleListFilter):
    """The tenant list's own filter: active or suspended tenants (all by default)."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("suspended", "Suspended")]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(suspended_at__isnull=True)
        if self.value() == "suspended":
            return queryset.filter(suspended_at__isnull=False)
        return queryset


def uuids(values: list[str]) -> list[uuid.UUID]:
    """The values that are tenant ids; anything else selects nothing (and Django's lookup refuses it)."""
    parsed = []
    for value in values:
        try:
            parsed.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return parsed


class KeyStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ROTATED = "rotated", "Rotated"  # has a successor; works until its expiry (the grace period), then not
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


def key_status_conditions(now: datetime) -> dict[KeyStatus, Q]:
    """Which principal keys are in each status at `now`; each key is in exactly one, first match wins:
    revoked, then rotated, then expired, else active. The list's column and its filter both read these."""
    revoked = Q(revoked_at__isnull=False)
    rotated = Q(revoked_at__isnull=True, rotated_to__isnull=False)
    expired = Q(revoked_at__isnull=True, rotated_to__isnull=True, expires_at__lte=now)
    active = Q(revoked_at__isnull=True, rotated_to__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    return {
        KeyStatus.REVOKED: revoked,
        KeyStatus.ROTATED: rotated,
        KeyStatus.EXPIRED: expired,
        KeyStatus.ACTIVE: active,
    }


def key_status(now: datetime) -> Case:
    """Each principal key's status as a column of the query that reads it: no query per row."""
    whens = [When(condition, then=Value(status.value)) for status, condition in key_status_conditions(now).items()]
    return Case(*whens, output_field=CharField())


class KeyStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return KeyStatus.choices

    def queryset(self, request, queryset):
        if self.value() not in KeyStatus.values:
            return queryset  # anything else (a NUL, a typo) filters nothing
        return queryset.filter(key_status_conditions(timezone.now())[KeyStatus(self.value())])
