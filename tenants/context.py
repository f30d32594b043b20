"""Who is calling: the tenant and user named by the request headers, resolved once."""

import functools
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from gateway_project.db import db_value, python_value
from gateway_project.errors import Forbidden, GatewayError, InvalidCredentials
from tenants.api_keys import api_key_matches, is_principal_key, principal_key_public_id
from tenants.models import PrincipalKey, Tenant, TenantLimits, TenantUser
from tenants.tool_policy import tool_policies_attach, tool_policies_column

TENANT_ID_HEADER = "X-Tenant-ID"
USER_ID_HEADER = "X-User-ID"
API_KEY_HEADER = "X-API-Key"
TENANT_HEADERS = (TENANT_ID_HEADER, USER_ID_HEADER, API_KEY_HEADER)
AUTHORIZATION_HEADER = "Authorization"
# A key's last use is written at most this often, so using a key costs no write on most requests.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TenantSuspended(Forbidden):
    default_code = "tenant_suspended"
    default_detail = "Tenant is suspended"


class KeyRevoked(InvalidCredentials):
    default_code = "key_revoked"
    default_detail = "This API key was revoked"


class KeyExpired(InvalidCredentials):
    default_code = "key_expired"
    default_detail = "This API key has expired"


@dataclass(frozen=True)
class TenantContext:
    """The outcome of the contract's steps 2 and 3.

    `tenant` is set once the API key matched, even if the user check then
    failed, so that denied attempts can still be audited against the tenant.
    """

    tenant: Tenant | None = None
    user: TenantUser | None = None
    error: GatewayError | None = None
    # The principal key that authenticated the user; None when the tenant key named the user.
    key: PrincipalKey | None = None

    @property
    def key_public_id(self) -> str:
        return self.key.public_id if self.key is not None else ""


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
_RESOLVE_SQL = """
    SELECT t.*, u.id AS user_id, u.tenant_id AS user_tenant_id, u.email AS user_email,
           u.role AS user_role, u.created_at AS user_created_at, {limits}, {policies}
    FROM gateway_tenants t LEFT JOIN gateway_users u ON u.id = %s
         LEFT JOIN gateway_tenant_limits l ON l.tenant_id = t.id
    WHERE t.id = %s
"""
_USER_COLUMNS = ("id", "tenant_id", "email", "role", "created_at")


_KEY_COLUMNS = ", ".join(f"k.{field.column} AS key_{field.attname}" for field in PrincipalKey._meta.concrete_fields)
# A principal key names its tenant and its user: one statement finds all three, and the tenant's limits.
_RESOLVE_PRINCIPAL_SQL = """
    SELECT t.*, u.id AS user_id, u.tenant_id AS user_tenant_id, u.email AS user_email,
           u.role AS user_role, u.created_at AS user_created_at, {limits}, {policies}, {keys}
    FROM gateway_principal_keys k JOIN gateway_tenants t ON t.id = k.tenant_id
         JOIN gateway_users u ON u.id = k.user_id
         LEFT JOIN gateway_tenant_limits l ON l.tenant_id = t.id
    WHERE k.public_id = %s
"""


@functools.cache
def _statement(template: str) -> str:
    """A resolving statement for this process's database: the policies' JSON aggregate differs by vendor.
    The columns come from model metadata; every value is a parameter."""
    return template.format(limits=_LIMITS_COLUMNS, policies=tool_policies_column(), keys=_KEY_COLUMNS)


def _key_beside(tenant: Tenant) -> PrincipalKey:
    """The PrincipalKey the query joined in, converted as the ORM would."""
    fields = PrincipalKey._meta.concrete_fields
    values = [python_value(PrincipalKey, field.name, getattr(tenant, f"key_{field.attname}")) for field in fields]
    key = PrincipalKey.from_db(connection.alias, [field.attname for field in fields], values)
    key.tenant = tenant
    return key


def _beside(tenant: Tenant) -> None:
    """What the query read beside the tenant, kept on it: its limits and its tool policies."""
    _limits_beside(tenant)
    tool_policies_attach(tenant, tenant.tool_policies_json)


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
    tenant = next(iter(Tenant.objects.raw(_statement(_RESOLVE_SQL), params)), None)
    if tenant is None or not api_key_matches(api_key, tenant.api_key_digest):
        return TenantContext(error=InvalidCredentials())
    _beside(tenant)
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


def principal_context_resolve(*, api_key: str, tenant_id: str = "", user_id: str = "") -> TenantContext:
    """Authenticate a principal key: its tenant, its user, and the key itself, in one query.

    `tenant_id` and `user_id` are what the caller also named, if anything: a tenant other than the
    key's is the same 401 as a wrong key; a user other than the key's is 403 user_mismatch, audited.
    Revocation and expiry are read from the row on every request, so they hold at once everywhere.
    """
    public_id = principal_key_public_id(api_key)
    found = Tenant.objects.raw(_statement(_RESOLVE_PRINCIPAL_SQL), [public_id]) if public_id else ()
    tenant = next(iter(found), None)
    if tenant is None:
        return TenantContext(error=InvalidCredentials())
    key = _key_beside(tenant)
    if not api_key_matches(api_key, key.digest) or (tenant_id and _parse_uuid(tenant_id) != tenant.id):
        return TenantContext(error=InvalidCredentials())
    now = timezone.now()
    if key.revoked_at is not None:
        return TenantContext(error=KeyRevoked())
    if key.expires_at is not None and key.expires_at <= now:
        return TenantContext(error=KeyExpired())
    _beside(tenant)
    user = _user_beside(tenant)
    _note_use(key, now)
    if tenant.suspended_at is not None:
        return TenantContext(tenant=tenant, user=user, key=key, error=TenantSuspended())
    if user_id and _parse_uuid(user_id) != user.id:
        mismatch = Forbidden("X-User-ID names another user than the key's", code="user_mismatch")
        return TenantContext(tenant=tenant, user=user, key=key, error=mismatch)
    return TenantContext(tenant=tenant, user=user, key=key)


def _note_use(key: PrincipalKey, now) -> None:
    """Record when the key was last used, to the minute: one write a minute per key at most."""
    stale = now - LAST_USED_RESOLUTION
    if key.last_used_at is None or key.last_used_at < stale:
        PrincipalKey.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale), pk=key.pk).update(
            last_used_at=now
        )
        key.last_used_at = now


def bearer_token(headers) -> str | None:
    """The token of `Authorization: Bearer <token>`, or None when the request sends no bearer token."""
    scheme, _, token = headers.get(AUTHORIZATION_HEADER, "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def tenant_context_from_headers(headers) -> TenantContext:
    """The caller, by whichever key it sent: a principal key (as a bearer token or in X-API-Key), or the tenant key."""
    tenant_id = headers.get(TENANT_ID_HEADER, "").strip()
    user_id = headers.get(USER_ID_HEADER, "").strip()
    bearer = bearer_token(headers)
    api_key = headers.get(API_KEY_HEADER, "").strip() if bearer is None else bearer
    if bearer is not None or is_principal_key(api_key):
        return principal_context_resolve(api_key=api_key, tenant_id=tenant_id, user_id=user_id)
    return tenant_context_resolve(tenant_id=tenant_id, user_id=user_id, api_key=api_key)


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
