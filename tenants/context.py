"""Who is calling: the tenant and user named by the request headers, resolved once."""

import uuid
from dataclasses import dataclass

from django.db import connection

from gateway_project.db import db_value, python_value
from gateway_project.errors import Forbidden, GatewayError, InvalidCredentials
from tenants.api_keys import api_key_matches
from tenants.models import Tenant, TenantLimits, TenantUser

TENANT_ID_HEADER = "X-Tenant-ID"
USER_ID_HEADER = "X-User-ID"
API_KEY_HEADER = "X-API-Key"
TENANT_HEADERS = (TENANT_ID_HEADER, USER_ID_HEADER, API_KEY_HEADER)


class TenantSuspended(Forbidden):
    default_code = "tenant_suspended"
    default_detail = "Tenant is suspended"


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


# Every column of the limits row (a field added to TenantLimits is read too), each named limits_<attname>.
_LIMITS_COLUMNS = ", ".join(
    f"l.{field.column} AS limits_{field.attname}" for field in TenantLimits._meta.concrete_fields
)
# One statement for every caller: the named tenant with its own limits, and beside it the named user wherever
# that user lives, so a user of another tenant is told apart from no user at all.
_RESOLVE_SQL = f"""
    SELECT t.*, u.id AS user_id, u.tenant_id AS user_tenant_id, u.email AS user_email,
           u.role AS user_role, u.created_at AS user_created_at, {_LIMITS_COLUMNS}
    FROM gateway_tenants t LEFT JOIN gateway_users u ON u.id = %s
         LEFT JOIN gateway_tenant_limits l ON l.tenant_id = t.id
    WHERE t.id = %s
"""  # noqa: S608 - the columns come from model metadata; every value is a parameter
_USER_COLUMNS = ("id", "tenant_id", "email", "role", "created_at")


def _limits_beside(tenant: Tenant) -> None:
    """Cache the TenantLimits the query joined in on the tenant (None if it has none), as
    select_related("limits") would: the rate limits read `tenant.limits` without a query."""
    if tenant.limits_tenant_id is None:
        Tenant.limits.related.set_cached_value(tenant, None)
        return
    fields = TenantLimits._meta.concrete_fields
    values = [python_value(TenantLimits, field.name, getattr(tenant, f"limits_{field.attname}")) for field in fields]
    tenant.limits = TenantLimits.from_db(connection.alias, [field.attname for field in fields], values)


def _user_beside(tenant: Tenant) -> TenantUser | None:
    """The TenantUser the query joined in, converted as the ORM would, or None."""
    raw = {name: getattr(tenant, f"user_{name}") for name in _USER_COLUMNS}
    if raw["id"] is None:
        return None
    values = [python_value(TenantUser, "tenant" if name == "tenant_id" else name, raw[name]) for name in _USER_COLUMNS]
    user = TenantUser.from_db(connection.alias, list(_USER_COLUMNS), values)
    if user.tenant_id == tenant.id:
        user.tenant = tenant
    return user


def tenant_context_resolve(*, tenant_id: str, user_id: str, api_key: str) -> TenantContext:
    """Authenticate the tenant, refuse it if suspended, then find the user: one raw query, cheap enough for
    every request."""
    tenant_uuid = _parse_uuid(tenant_id)
    if tenant_uuid is None:
        return TenantContext(error=InvalidCredentials())
    user_uuid = _parse_uuid(user_id)
    params = [db_value(TenantUser, "id", user_uuid), db_value(Tenant, "id", tenant_uuid)]
    tenant = next(iter(Tenant.objects.raw(_RESOLVE_SQL, params)), None)
    if tenant is None or not api_key_matches(api_key, tenant.api_key_digest):
        return TenantContext(error=InvalidCredentials())
    _limits_beside(tenant)
    user = _user_beside(tenant)
    if tenant.suspended_at is not None:
        # Only once the key matched, so a stranger learns nothing; the tenant is set, so the attempt is audited.
        own_user = user if user is not None and user.tenant_id == tenant.id else None
        return TenantContext(tenant=tenant, user=own_user, error=TenantSuspended())
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
