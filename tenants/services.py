from django.db import IntegrityError, transaction

from gateway_project.exceptions import Conflict
from tenants.api_keys import api_key_digest, api_key_generate
from tenants.models import Tenant, TenantUser


def tenant_create(*, name: str, region: str) -> tuple[Tenant, str]:
    """Create a tenant; returns it with its API key, which is never retrievable again."""
    api_key = api_key_generate()
    tenant = Tenant.objects.create(name=name, region=region, api_key_digest=api_key_digest(api_key))
    return tenant, api_key


def tenant_api_key_rotate(*, tenant: Tenant) -> str:
    """Give the tenant a new API key; the old one stops working with this commit."""
    api_key = api_key_generate()
    tenant.api_key_digest = api_key_digest(api_key)
    Tenant.objects.filter(pk=tenant.pk).update(api_key_digest=tenant.api_key_digest)
    return api_key


def user_create(*, tenant: Tenant, email: str, role: str) -> TenantUser:
    # The unique constraint, not a prior SELECT, decides: two racing requests cannot both win.
    try:
        with transaction.atomic():
            return TenantUser.objects.create(tenant=tenant, email=email, role=role)
    except IntegrityError:
        raise Conflict(f"User with email '{email}' already exists in this tenant", code="duplicate_email") from None
