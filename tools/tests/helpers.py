"""Helpers the tools tests share: a standard body, idempotency keys placed in any state, one attempt driven
through the invocation pipeline as a channel would, and tool providers to name in GATEWAY_TOOL_PROVIDERS."""

import uuid
from datetime import timedelta

from django.db import OperationalError
from django.utils import timezone
from jsonschema import Draft202012Validator
from model_bakery import baker

from audit.models import Channel
from audit.tests.helpers import attempt
from gateway_project.errors import GatewayError
from tenants.context import tenant_context_resolve
from tools.fingerprint import request_fingerprint
from tools.invocation import ToolRequest, invocation_attempt
from tools.models import IdempotencyKey
from tools.registry import Tool, ToolCall, ToolOutput
from tools.services import InvocationResult

ECHO = {"tool_name": "echo", "payload": {"text": "Hello, World!"}}


def make_claim(actor, *, key, body, locked_ago: timedelta, expires_in: timedelta, completed=False):
    now = timezone.now()
    return baker.make(
        IdempotencyKey,
        tenant=actor.tenant,
        endpoint="tools.invoke",
        key=key,
        user=actor.user,
        fingerprint=request_fingerprint(body),
        claim_token=uuid.uuid4(),
        locked_at=now - locked_ago,
        created_at=now - locked_ago,
        expires_at=now + expires_in,
        response_status=200 if completed else None,
        response_body='{"stale": true}' if completed else "",
    )


class Reader:
    """A channel's `read_request`: hands in `request` (or raises it, if it is an error) and counts the reads."""

    def __init__(self, request: ToolRequest | GatewayError):
        self.request = request
        self.reads = 0

    def __call__(self) -> ToolRequest:
        self.reads += 1
        if isinstance(self.request, GatewayError):
            raise self.request
        return self.request


def tool_request(body: dict) -> ToolRequest:
    """A well-formed body as the REST channel hands it in: name, payload ({} when omitted), fingerprint."""
    return ToolRequest(
        tool_name=body["tool_name"], payload=body.get("payload", {}), fingerprint=request_fingerprint(body)
    )


def attempt_invocation(
    actor, body: dict | ToolRequest = ECHO, *, key: str | None = "key-1", channel: str = Channel.REST,
    reader: Reader | None = None, tenant_id: str | None = None, user_id: str | None = None, api_key: str | None = None,
) -> InvocationResult:  # fmt: skip
    """One attempt through the pipeline as `actor` (or as the ids and key given instead), the way a channel makes it."""
    tenant_id = str(actor.tenant.id) if tenant_id is None else tenant_id
    user_id = str(actor.user.id) if user_id is None else user_id
    api_key = actor.api_key if api_key is None else api_key
    if reader is None:
        reader = Reader(body if isinstance(body, ToolRequest) else tool_request(body))
    return invocation_attempt(
        caller=lambda: tenant_context_resolve(tenant_id=tenant_id, user_id=user_id, api_key=api_key),
        idempotency_key=key,
        read_request=reader,
        attempt=attempt(presented_user_id=user_id),
        channel=channel,
    )


def make_tool(name: str, handler, *, roles=frozenset({"admin"}), units: int = 1, description: str = "") -> Tool:
    """A tool as a provider other than the code registry would offer it: any payload, the roles given."""
    schema = {"type": "object"}
    return Tool(
        name=name,
        description=description or f"Test tool {name}.",
        input_schema=schema,
        roles=frozenset(roles),
        units=units,
        handler=handler,
        validator=Draft202012Validator(schema),
    )


class StubToolProvider:
    """A tool provider (tools/providers.py) offering its tools, in the order given, to the tenants `offered_to`
    accepts; the operator (no tenant) sees them all. Settings name it by dotted path, so instances live below."""

    def __init__(self, *tools: Tool, offered_to=lambda tenant: True):
        self._tools = tools
        self._offered_to = offered_to

    def tools(self, *, tenant) -> list[Tool]:
        return [offered for offered in self._tools if tenant is None or self._offered_to(tenant)]

    def tool(self, *, tenant, name: str) -> Tool | None:
        return next((offered for offered in self.tools(tenant=tenant) if offered.name == name), None)


def _metered(call: ToolCall) -> ToolOutput:
    return ToolOutput({"metered": call.payload["units"]}, call.payload["units"])


def _database_down(call: ToolCall) -> dict:
    raise OperationalError("database is locked")


def _claim_taken_over(call: ToolCall) -> dict:
    # What a retry's takeover does to the row while this slow attempt still runs: a new token.
    IdempotencyKey.objects.filter(tenant=call.tenant, key=call.payload["key"]).update(
        claim_token=uuid.uuid4(), locked_at=timezone.now()
    )
    return {"ran": True}


# Tools for the pipeline tests: one only members may call, one reporting its own units (at most 3),
# one whose database goes away, and one whose claim is taken over while it runs.
PIPELINE_TOOLS = StubToolProvider(
    make_tool("test_members_only", lambda call: {"ok": True}, roles={"member"}),
    make_tool("test_metered", _metered, units=3),
    make_tool("test_database_down", _database_down),
    make_tool("test_claim_taken_over", _claim_taken_over),
)
# Offered to tenant Acme only (conftest's `acme`): a tenant-specific catalogue.
ACME_ONLY_TOOLS = StubToolProvider(
    make_tool("test_acme_report", lambda call: {"report": "acme"}), offered_to=lambda tenant: tenant.name == "Acme"
)
# Offers, out of order, a tool named like a built-in one beside two of its own.
SHADOWING_TOOLS = StubToolProvider(
    make_tool("zeta_tool", lambda call: {}),
    make_tool("echo", lambda call: {"shadow": True}, description="The shadowing echo."),
    make_tool("alpha_tool", lambda call: {}),
)


class _BrokenProvider:
    def tool(self, *, tenant, name: str) -> Tool | None:
        raise RuntimeError("provider backend unreachable")

    def tools(self, *, tenant) -> list[Tool]:
        raise RuntimeError("provider backend unreachable")


BROKEN_PROVIDER = _BrokenProvider()
