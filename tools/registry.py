"""What a tool is, and the code-defined tools: each declared once, with the decorator, and nowhere else.

A tool is data: its name, schema, the roles that may call it and the most units one call
meters, beside the handler that runs it. Tools reach the gateway through providers
(tools/providers.py); this module's registry is the provider of the tools defined in code.
A tool's input JSON Schema is the one place its payload rules live: the catalogue shows
it, invocation validates against it, the OpenAPI document embeds it.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing import Registry

from gateway_project.errors import GatewayError, ValidationFailed
from tenants.models import Tenant, TenantUser
from tenants.permissions import Permission, roles_holding


class DispatchGuard:
    """What a tool that reaches the world may ask of the invocation's claim, before a request leaves.

    `sent_before`: an earlier attempt under the same Idempotency-Key marked its request sent and
    never answered, so whether it took effect is unknown. `mark_sent` records, durably, that this
    attempt's request is about to leave; it raises when the claim is no longer this attempt's.
    Without a key (or outside an invocation) there is nothing to record.
    """

    sent_before = False
    marked = False  # whether this attempt marked its request sent: a failure then keeps the claim

    def mark_sent(self) -> None:
        return None


@dataclass(frozen=True)
class ToolCall:
    tenant: Tenant
    user: TenantUser
    payload: dict
    request_id: uuid.UUID
    idempotency_key: str | None = None  # the caller's, for a key the tool derives for its upstream
    dispatch: DispatchGuard = field(default_factory=DispatchGuard)


@dataclass(frozen=True)
class ToolOutput:
    """A handler's answer when it meters less than the tool's maximum: the result and the units it used."""

    result: dict
    units: int


class ToolUnavailable(GatewayError):
    """The tool did not answer, and a retry is safe: nothing happened that a retry could repeat (or the
    tool's upstream would recognise the retry). Nothing is stored; the key is released for the retry."""

    status_code = 503
    default_code = "tool_unavailable"
    default_detail = "The tool is unavailable; retry shortly"


ToolHandler = Callable[[ToolCall], dict | ToolOutput]


# Schemas are resolved within themselves only: a remote `$ref` is never fetched (the gateway would be
# making requests the SSRF guard never saw). Definitions with one are refused (tools/http_tools.py).
_NOTHING_REMOTE = Registry()


def schema_validator(schema: dict) -> Draft202012Validator:
    """The validator of a tool's input schema: formats checked, references resolved inside the schema only."""
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER, registry=_NOTHING_REMOTE)


def _payload_path(parts) -> str:
    path = "payload"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    input_schema: dict
    roles: frozenset[str]  # the roles that may call it
    units: int  # the most one successful call meters; a handler may report fewer
    handler: ToolHandler
    validator: Draft202012Validator = field(repr=False, compare=False)
    # What the catalogue shows as the tool's permission: the one a code tool was declared with.
    permission: str = Permission.TOOLS_INVOKE.value

    def payload_errors(self, payload: dict) -> dict[str, list[str]]:
        """Every schema violation, keyed by the path of the offending field."""
        errors: dict[str, list[str]] = {}
        for error in self.validator.iter_errors(payload):
            parts = list(error.absolute_path)
            if error.validator == "required":
                for name in error.validator_value:
                    if isinstance(error.instance, dict) and name not in error.instance:
                        errors.setdefault(_payload_path([*parts, name]), ["This field is required."])
            elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
                known = error.schema.get("properties", {})
                for name in error.instance:
                    if name not in known:
                        errors.setdefault(_payload_path([*parts, name]), ["Unexpected field."])
            else:
                errors.setdefault(_payload_path(parts), []).append(error.message)
        return errors

    def validate_payload(self, payload: dict) -> None:
        errors = self.payload_errors(payload)
        if errors:
            raise ValidationFailed(errors)

    def run(self, call: ToolCall) -> dict | ToolOutput:
        return self.handler(call)


class ToolRegistry:
    """The tools defined in code: one catalogue, the same for every tenant."""

    def __init__(self):
        self._tools: dict[str, Tool] = {}

    def register(self, tool: Tool) -> None:
        if tool.name in self._tools:
            raise ImproperlyConfigured(f"Tool '{tool.name}' is registered twice")
        self._tools[tool.name] = tool

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def all(self) -> list[Tool]:
        return sorted(self._tools.values(), key=lambda tool: tool.name)

    # The provider interface (tools/providers.py): code tools are offered to every tenant alike.
    def tool(self, *, tenant: Tenant | None, name: str) -> Tool | None:
        return self.get(name)

    def tools(self, *, tenant: Tenant | None) -> list[Tool]:
        return self.all()


registry = ToolRegistry()


def tool(
    *,
    name: str,
    description: str,
    input_schema: dict,
    permission: Permission = Permission.TOOLS_INVOKE,
    units: int = 1,
) -> Callable[[ToolHandler], ToolHandler]:
    """Register the decorated function as a tool; a bad schema fails at import, not at call time.

    `permission` says who may call it: the roles holding it (tenants/permissions.py). `units`
    is the most one call meters; the handler may return a ToolOutput naming fewer.
    """
    if not 1 <= len(name) <= 100:
        raise ImproperlyConfigured(f"Tool name '{name}' must be 1..100 characters")
    if units < 1:
        raise ImproperlyConfigured(f"Tool '{name}' must meter at least one unit")
    try:
        Draft202012Validator.check_schema(input_schema)
    except SchemaError as error:
        raise ImproperlyConfigured(f"Tool '{name}' has an invalid input schema: {error.message}") from error

    def register(handler: ToolHandler) -> ToolHandler:
        registry.register(
            Tool(
                name=name,
                description=description,
                input_schema=input_schema,
                roles=roles_holding(Permission(permission)),
                permission=Permission(permission).value,
                units=units,
                handler=handler,
                validator=schema_validator(input_schema),
            )
        )
        return handler

    return register
