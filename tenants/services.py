from django.db import IntegrityError, transaction
from django.utils import timezone

from gateway_project.errors import Conflict
from tenants.api_keys import api_key_digest, api_key_generate
from tenants.models import Tenant, TenantLimits, TenantUser


def tenant_create(*, name: str, region: str, **limits: int | None) -> tuple[Tenant, str]:
    """Create a tenant; returns it with its API key, which is never retrievable again.

    `limits` are those an operator may set at once (tenant_limits_update's); left out, the settings' apply.
    """
    api_key = api_key_generate()
    with transaction.atomic():
        tenant = Tenant.objects.create(name=name, region=region, api_key_digest=api_key_digest(api_key))
        if limits:
            tenant_limits_update(tenant=tenant, **limits)
    return tenant, api_key


def tenant_limits_update(
    *,
    tenant: Tenant,
    rate_limit_per_minute: int | None,
    user_rate_limit_per_minute: int | None,
    tool_rate_limit_per_minute: int | None,
) -> None:
    """Set all of the tenant's own rate limits (None: the setting's default; 0: no limit); `tenant.limits` follows.

    A tenant without a limits row that keeps every default is given none.
    """
    limits = {
        "rate_limit_per_minute": rate_limit_per_minute,
        "user_rate_limit_per_minute": user_rate_limit_per_minute,
        "tool_rate_limit_per_minute": tool_rate_limit_per_minute,
    }
    row = TenantLimits(tenant=tenant, **limits)
    if TenantLimits.objects.filter(tenant=tenant).update(**limits):
        tenant.limits = row
    elif any(value is not None for value in limits.values()):
        # An upsert: two operators giving a tenant its first limits at once must not meet an IntegrityError.
        TenantLimits.objects.bulk_create(
            [row], update_conflicts=True, unique_fields=["tenant"], update_fields=list(limits)
        )
        tenant.limits = row
    else:
        Tenant.limits.related.set_cached_value(tenant, None)  # no row, as a select_related("limits") caches it


def tenant_api_key_rotate(*, tenant: Tenant) -> str:
    """Give the tenant a new API key; the old one stops working with this commit."""
    api_key = api_key_generate()
    tenant.api_key_digest = api_key_digest(api_key)
    Tenant.objects.filter(pk=tenant.pk).update(api_key_digest=tenant.api_key_digest)
    return api_key


def tenant_suspend(*, tenant: Tenant, reason: str = "") -> bool:
    """Refuse every API call of the tenant from this commit on; its rows and users stay.

    Returns False, changing nothing, when the tenant was suspended already: the first suspension's time
    and reason are the ones kept. `tenant` is refreshed either way.
    """
    # One printable line: it is shown in the console and the admin log (and PostgreSQL refuses NUL).
    reason = " ".join("".join(char if char.isprintable() else " " for char in reason).split())
    max_length = Tenant._meta.get_field("suspension_reason").max_length
    changed = Tenant.objects.filter(pk=tenant.pk, suspended_at__isnull=True).update(
        suspended_at=timezone.now(), suspension_reason=reason[:max_length]
    )
    tenant.refresh_from_db(fields=["suspended_at", "suspension_reason"])
    return bool(changed)


def tenant_reinstate(*, tenant: Tenant) -> bool:
    """Let the tenant call the API again, with the key it had. Returns False when it was not suspended."""
    changed = Tenant.objects.filter(pk=tenant.pk, suspended_at__isnull=False).update(
        suspended_at=None, suspension_reason=""
    )
    tenant.refresh_from_db(fields=["suspended_at", "suspension_reason"])
    return bool(changed)


def user_create(*, tenant: Tenant, email: str, role: str) -> TenantUser:
    # The unique constraint, not a prior SELECT, decides: two racing requests cannot both win.
    try:
        with transaction.atomic():
            return TenantUser.objects.create(tenant=tenant, email=email, role=role)
    except IntegrityError:
        raise Conflict(f"User with email '{email}' already exists in this tenant", code="duplicate_email") from None
