"""Who may call which tool, and why: every access rule of an invocation, in the order it is checked.

    the tenant key may act as users → the role holds tools.invoke      (before the body is read)
    → the key's tool list → the tenant's tool policy → the role is among the tool's roles

One definition serves every reader: the invocation pipeline refuses with the first rule that
fails, `GET /v1/tools` lists the tools no rule refuses, and `GET /v1/access` shows the chain.
Each refusal's code names its rule.
"""

from dataclasses import dataclass

from gateway_project.errors import Forbidden
from tenants.context import TenantContext
from tenants.permissions import Permission, permission_require, service_key_check
from tenants.rate_limits import rate_limit_state, tenant_limits, tool_limit
from tenants.tool_policy import tool_policies
from tools.providers import tool_list
from tools.registry import Tool


class OutsideKeyScope(Forbidden):
    default_code = "key_scope"

    def __init__(self, tool: Tool):
        super().__init__(f"This API key may not call {tool.name}")


class ToolDisabled(Forbidden):
    default_code = "tool_disabled"

    def __init__(self, tool: Tool):
        super().__init__(f"Tool '{tool.name}' is disabled for this tenant")


class RoleNotAllowed(Forbidden):
    default_code = "role_not_allowed"

    def __init__(self, role: str, tool: Tool):
        super().__init__(f"Role '{role}' is not authorized to call {tool.name}")


@dataclass(frozen=True)
class Verdict:
    """One rule's answer for one caller: passed, or the refusal a call would get."""

    rule: str
    detail: str
    refusal: Forbidden | None = None

    @property
    def passed(self) -> bool:
        return self.refusal is None


def caller_verdicts(context: TenantContext) -> list[Verdict]:
    """The rules about the caller alone, checked before the request is read."""
    verdicts = []
    try:
        service_key_check(context, administering=False)
        how = "a principal key" if context.key is not None else "the tenant key, which this tenant lets act as users"
        verdicts.append(Verdict("service_key", f"Authenticated by {how}."))
    except Forbidden as refused:
        verdicts.append(Verdict("service_key", refused.detail, refused))
    try:
        permission_require(role=context.user.role, permission=Permission.TOOLS_INVOKE)
        verdicts.append(Verdict("invoke_permission", f"Role '{context.user.role}' holds tools.invoke."))
    except Forbidden as refused:
        verdicts.append(Verdict("invoke_permission", refused.detail, refused))
    return verdicts


def tool_verdicts(context: TenantContext, tool: Tool) -> list[Verdict]:
    """The rules about calling this tool: the key's scope, then the tenant's policy, then the roles."""
    verdicts = []
    scope = context.key.tools if context.key is not None else None
    if scope is None:
        verdicts.append(Verdict("key_scope", "The key may call any tool its user may."))
    elif tool.name in scope:
        verdicts.append(Verdict("key_scope", f"The key's tool list names {tool.name}."))
    else:
        verdicts.append(Verdict("key_scope", f"The key's tool list leaves {tool.name} out.", OutsideKeyScope(tool)))
    policy = tool_policies(context.tenant).get(tool.name)
    if policy is not None and not policy.enabled:
        verdicts.append(Verdict("tenant_policy", "The tenant disabled the tool.", ToolDisabled(tool)))
    else:
        verdicts.append(Verdict("tenant_policy", "The tenant allows the tool." if policy else "No tenant rule."))
    roles, whose = (policy.roles, "the tenant's") if policy and policy.roles is not None else (tool.roles, "the tool's")
    listed = ", ".join(sorted(roles)) or "none"
    if context.user.role in roles:
        verdicts.append(Verdict("role", f"Role '{context.user.role}' is among {whose} roles ({listed})."))
    else:
        verdicts.append(Verdict("role", f"Role '{context.user.role}' is not among {whose} roles ({listed}).",
                                RoleNotAllowed(context.user.role, tool)))  # fmt: skip
    return verdicts


def _first_refusal(verdicts: list[Verdict]) -> Forbidden | None:
    return next((verdict.refusal for verdict in verdicts if not verdict.passed), None)


def caller_refusal(context: TenantContext) -> Forbidden | None:
    return _first_refusal(caller_verdicts(context))


def tool_access_refusal(*, context: TenantContext, tool: Tool) -> Forbidden | None:
    """Why the caller may not call `tool`, or None when no access rule refuses it."""
    return _first_refusal(tool_verdicts(context, tool))


def tools_callable(context: TenantContext) -> list[Tool]:
    """The tools no access rule refuses the caller, sorted by name."""
    if caller_refusal(context) is not None:
        return []
    return [
        tool for tool in tool_list(tenant=context.tenant) if tool_access_refusal(context=context, tool=tool) is None
    ]


@dataclass(frozen=True)
class AccessExplanation:
    verdicts: list[Verdict]

    @property
    def allowed(self) -> bool:
        return all(verdict.passed for verdict in self.verdicts if verdict.rule != "rate_limit")

    @property
    def refused_by(self) -> str | None:
        refusal = _first_refusal([verdict for verdict in self.verdicts if verdict.rule != "rate_limit"])
        return refusal.code if refusal else None


def access_explain(*, context: TenantContext, tool: Tool) -> AccessExplanation:
    """Every access rule's verdict for this caller and tool, then the rate limits' state (what a call now meets)."""
    verdicts = [*caller_verdicts(context), *tool_verdicts(context, tool)]
    for state in rate_limit_state(
        [*tenant_limits(context.tenant, context.user), tool_limit(context.tenant, tool.name)]
    ):
        limit = state.limit
        if limit.per_minute == 0:
            verdicts.append(Verdict("rate_limit", f"No {limit.scope} limit."))
        elif state.used is None:
            verdicts.append(Verdict("rate_limit", f"The {limit.scope} limit cannot be read now (the cache failed)."))
        else:
            detail = f"{limit.scope}: {state.used:.0f} of {limit.per_minute} in the last minute"
            full = state.used + 1 > limit.per_minute
            verdicts.append(Verdict("rate_limit", detail + (" (a call now is refused)." if full else ".")))
    return AccessExplanation(verdicts)
