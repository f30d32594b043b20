"""Who may call which tool: the rules after the role may invoke at all, in the order they are checked.

The key's scope, then the tool's roles (the tenant's own tool policy joins between them next).
Each refusal names the rule that refused, so an operator can tell why a call was denied.
"""

from gateway_project.errors import Forbidden
from tenants.context import TenantContext
from tools.registry import Tool


class OutsideKeyScope(Forbidden):
    default_code = "key_scope"

    def __init__(self, tool: Tool):
        super().__init__(f"This API key may not call {tool.name}")


class RoleNotAllowed(Forbidden):
    default_code = "role_not_allowed"

    def __init__(self, role: str, tool: Tool):
        super().__init__(f"Role '{role}' is not authorized to call {tool.name}")


def tool_access_refusal(*, context: TenantContext, tool: Tool) -> Forbidden | None:
    """Why the caller may not call `tool`, or None when it may."""
    scope = context.key.tools if context.key is not None else None
    if scope is not None and tool.name not in scope:
        return OutsideKeyScope(tool)
    if context.user.role not in tool.roles:
        return RoleNotAllowed(context.user.role, tool)
    return None
