"""Roles and permissions: one table in code, read by every role check.

The REST views check it through tenants/api_access.py, the invocation pipeline directly.
"""

from enum import StrEnum
from typing import NamedTuple

from gateway_project.errors import Forbidden
from tenants.context import TenantContext
from tenants.models import Role


class Permission(StrEnum):
    TOOLS_INVOKE = "tools.invoke"
    KPIS_WRITE = "kpis.write"
    KPIS_READ = "kpis.read"
    USERS_WRITE = "users.write"
    KEYS_WRITE = "keys.write"
    ACCESS_MANAGE = "access.manage"
    SECRETS_WRITE = "secrets.write"
    TOOLS_MANAGE = "tools.manage"


# What each permission lets a role do, in the 403's words, where the caller names no action of
# its own: tools that require a permission at invoke time, and view tables that name a bare permission.
PERMISSION_ACTIONS: dict[Permission, str] = {
    Permission.TOOLS_INVOKE: "invoke tools",
    Permission.KPIS_WRITE: "write KPIs",
    Permission.KPIS_READ: "read KPIs",
    Permission.USERS_WRITE: "create users",
    Permission.KEYS_WRITE: "manage API keys",
    Permission.ACCESS_MANAGE: "manage tool access",
    Permission.SECRETS_WRITE: "manage secrets",
    Permission.TOOLS_MANAGE: "manage HTTP tools",
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.MEMBER: frozenset({Permission.KPIS_READ}),
}


def roles_holding(permission: Permission) -> frozenset[str]:
    """The roles whose permissions include `permission`: who may call a tool that declares it."""
    return frozenset(role.value for role, held in ROLE_PERMISSIONS.items() if permission in held)


# Marks an action any user of the tenant may call, whatever the role.
ANY_TENANT_USER = None


class Requirement(NamedTuple):
    """A view action's permission, and the words its 403 uses for the action.

    The words belong to the action, not the permission: creating KPIs and ingesting points
    both need kpis.write, but the Phase 0 reference, whose clients match on its messages,
    says "create KPIs" for one and "ingest KPI points" for the other.
    """

    permission: Permission
    action: str


def permission_require(*, role: str, permission: Permission, action: str | None = None) -> None:
    """Refuse a role without `permission`: 403 "Role '<role>' is not authorized to <action>"."""
    if permission not in ROLE_PERMISSIONS.get(role, frozenset()):
        action = action or PERMISSION_ACTIONS[permission]
        raise Forbidden(f"Role '{role}' is not authorized to {action}", code="permission_denied")


class PrincipalKeyRequired(Forbidden):
    default_code = "principal_key_required"
    default_detail = "This tenant's API key may only create users and keys; call with a principal key"


class ScopedKeyMayNotAdminister(Forbidden):
    default_code = "key_scope"
    default_detail = "A key limited to some tools may not administer the tenant"


def service_key_check(context: TenantContext, *, administering: bool) -> None:
    """What the authenticating key may do here, whatever its user's role.

    The tenant key acts as any user only where its tenant allows it, and may always administer.
    A principal key limited to some tools may not administer (create users, keys or policies):
    otherwise an agent's narrow key could mint itself a wider one.
    """
    if context.key is None and not context.tenant.service_key_acts_as_users and not administering:
        raise PrincipalKeyRequired()
    if context.key is not None and context.key.tools is not None and administering:
        raise ScopedKeyMayNotAdminister()
