"""A tenant's own tool policy: which tools its users may call at all, and which roles may call each.

Read with the tenant by the query that authenticates it (a JSON aggregate of the tenant's rows,
`TOOL_POLICIES_COLUMN`), so the invoke path applies it without a query of its own. Written only
here, so a policy is always one valid row per (tenant, tool).
"""

import json
from dataclasses import dataclass

from django.db import connection, transaction

from gateway_project.errors import ValidationFailed
from tenants.models import Role, Tenant, ToolPolicy


@dataclass(frozen=True)
class PolicyRule:
    enabled: bool
    roles: frozenset[str] | None  # None: the tool's own roles


def tool_policies_column() -> str:
    """A column of the tenant's policies as JSON [[tool, enabled, roles], ...], for a query whose tenant is `t`."""
    if connection.vendor == "postgresql":
        aggregate = "coalesce(json_agg(json_build_array(p.tool_name, p.enabled, p.roles)), '[]'::json)"
    else:
        aggregate = "json_group_array(json_array(p.tool_name, p.enabled, json(p.roles)))"
    return f"(SELECT {aggregate} FROM gateway_tool_policies p WHERE p.tenant_id = t.id) AS tool_policies_json"  # noqa: S608 - constant text


def tool_policies_attach(tenant: Tenant, raw) -> None:
    """Keep the policies the authenticating query read on the tenant object."""
    rows = raw if isinstance(raw, list) else json.loads(raw or "[]")
    tenant._tool_policies = {
        name: PolicyRule(enabled=bool(enabled), roles=None if roles is None else frozenset(roles))
        for name, enabled, roles in rows
    }


def tool_policies(tenant: Tenant) -> dict[str, PolicyRule]:
    """The tenant's policies by tool name: as its authenticating query read them, else read now (one query)."""
    cached = getattr(tenant, "_tool_policies", None)
    if cached is None:
        rows = ToolPolicy.objects.filter(tenant=tenant).values_list("tool_name", "enabled", "roles")
        tool_policies_attach(tenant, [list(row) for row in rows])
        cached = tenant._tool_policies
    return cached


def tool_policy_set(*, tenant: Tenant, tool_name: str, enabled: bool, roles: list[str] | None) -> ToolPolicy:
    """Set the tenant's rule for one tool (an upsert: two admins setting it at once end with the last one)."""
    from tools.providers import tool_resolve  # tools builds on tenants; importing it at module level would cycle

    errors: dict[str, list[str]] = {}
    if tool_resolve(tenant=tenant, name=tool_name) is None:
        errors["tool_name"] = [f"Unknown tool '{tool_name}'."]
    unknown_roles = sorted(set(roles or ()) - set(Role.values))
    if unknown_roles:
        errors["roles"] = [f"Unknown role '{role}'." for role in unknown_roles]
    if errors:
        raise ValidationFailed(errors)
    policy = ToolPolicy(tenant=tenant, tool_name=tool_name, enabled=enabled,
                        roles=None if roles is None else sorted(set(roles)))  # fmt: skip
    with transaction.atomic():
        ToolPolicy.objects.bulk_create(
            [policy], update_conflicts=True, unique_fields=["tenant", "tool_name"], update_fields=["enabled", "roles"]
        )
    tenant.__dict__.pop("_tool_policies", None)
    return ToolPolicy.objects.get(tenant=tenant, tool_name=tool_name)


def tool_policy_clear(*, tenant: Tenant, tool_name: str) -> bool:
    """Back to the tool's own definition. False when the tenant had no rule for it."""
    removed, _ = ToolPolicy.objects.filter(tenant=tenant, tool_name=tool_name).delete()
    tenant.__dict__.pop("_tool_policies", None)
    return bool(removed)
