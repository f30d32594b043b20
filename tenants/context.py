"""Who is calling: the tenant and user named by the request headers, resolved once."""

import uuid
from dataclasses import dataclass

from gateway_project.exceptions import Forbidden, GatewayError, InvalidCredentials
from tenants.api_keys import api_key_matches
from tenants.models import Tenant, TenantUser

TENANT_ID_HEADER = "X-Tenant-ID"
USER_ID_HEADER = "X-User-ID"
API_KEY_HEADER = "X-API-Key"
TENANT_HEADERS = (TENANT_ID_HEADER, USER_ID_HEADER, API_KEY_HEADER)


@dataclass(frozen=True)
class TenantContext:
    """The outcome of the contract's steps 2 and 3.

    `tenant` is set once the API key matched, even if the user check then
    failed, so that denied attempts can still be audited against the tenant.
    """

    tenant: Tenant | None = None
    user: TenantUser | None = None
    error: GatewayError | None = None


def _parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def tenant_context_resolve(*, tenant_id: str, user_id: str, api_key: str) -> TenantContext:
    """Authenticate the tenant, then find the user; one query for every legitimate caller.

    The user is loaded with its tenant; only when the user is missing or belongs
    elsewhere does a second query fetch the named tenant to tell 401 from 403.
    """
    tenant_uuid = _parse_uuid(tenant_id)
    if tenant_uuid is None:
        return TenantContext(error=InvalidCredentials())
    user_uuid = _parse_uuid(user_id)
    user = TenantUser.objects.select_related("tenant").filter(pk=user_uuid).first() if user_uuid else None

    if user is not None and user.tenant_id == tenant_uuid:
        tenant = user.tenant
    else:
        tenant = Tenant.objects.filter(pk=tenant_uuid).first()
    if tenant is None or not api_key_matches(api_key, tenant.api_key_digest):
        return TenantContext(error=InvalidCredentials())
    if user is None:
        return TenantContext(tenant=tenant, error=Forbidden("User not found", code="user_not_found"))
    if user.tenant_id != tenant.id:
        return TenantContext(
            tenant=tenant, error=Forbidden("User does not belong to this tenant", code="user_not_in_tenant")
        )
    return TenantContext(tenant=tenant, user=user)


def tenant_context_from_headers(headers) -> TenantContext:
    return tenant_context_resolve(
        tenant_id=headers.get(TENANT_ID_HEADER, "").strip(),
        user_id=headers.get(USER_ID_HEADER, "").strip(),
        api_key=headers.get(API_KEY_HEADER, "").strip(),
    )


class TenantContextLoader:
    """Resolves the tenant headers on first `get()` and remembers the answer.

    `loaded` tells whether resolution has happened without causing it, so error
    handling can ask "did the tenant authenticate?" without a query.
    """

    def __init__(self, headers):
        self._headers = headers
        self.loaded: TenantContext | None = None

    def get(self) -> TenantContext:
        if self.loaded is None:
            self.loaded = tenant_context_from_headers(self._headers)
        return self.loaded
