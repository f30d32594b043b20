"""Where a tenant's tools come from: every provider named in GATEWAY_TOOL_PROVIDERS, asked in order.

A provider offers tools per tenant (`tool(tenant=, name=)`, `tools(tenant=)`); with no tenant
it answers for the operator, who sees every tool any tenant could have. The catalogue, the
invocation pipeline, the admin filters and the OpenAPI document all resolve tools here, so
they never disagree about what exists. The first provider to offer a name wins.
"""

from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from tenants.models import Tenant
from tools.registry import Tool


class ToolProvider(Protocol):
    def tool(self, *, tenant: Tenant | None, name: str) -> Tool | None: ...

    def tools(self, *, tenant: Tenant | None) -> list[Tool]: ...


@cache
def _providers(paths: tuple[str, ...]) -> tuple[ToolProvider, ...]:
    return tuple(import_string(path) for path in paths)


def tool_providers() -> tuple[ToolProvider, ...]:
    return _providers(tuple(settings.GATEWAY_TOOL_PROVIDERS))


def tool_resolve(*, tenant: Tenant | None, name: str) -> Tool | None:
    """The tool `name` as the tenant sees it, or None when no provider offers it."""
    for provider in tool_providers():
        found = provider.tool(tenant=tenant, name=name)
        if found is not None:
            return found
    return None


def tool_list(*, tenant: Tenant | None) -> list[Tool]:
    """Every tool the tenant has (with no tenant: every tool any tenant may have), sorted by name."""
    found: dict[str, Tool] = {}
    for provider in tool_providers():
        for offered in provider.tools(tenant=tenant):
            found.setdefault(offered.name, offered)
    return sorted(found.values(), key=lambda offered: offered.name)
