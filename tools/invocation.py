"""One invocation attempt, whichever channel it came through: admitted in the contract's order, then run.

Channels (REST today, MCP next) are thin adapters. Each hands in how to learn who calls
(`caller`), the idempotency key it was given (or none), how to read what is asked for
(`read_request`: only once the role may invoke at all, so a member's 10 MB body is a 403,
never a 413; a refusal reads it afterwards only to name the tool in its audit row), the
request's facts for the audit row and its own name. It gets back an
InvocationResult, or a GatewayError that is already in the audit log if the contract says so.

    key well formed → tenant and key → user → the tenant key may act as users → role holds tools.invoke
      → request read (body, shape) → tool resolved → the key's scope → the tool's roles
      → rate limits: user, tenant, tool → payload schema
      → claim → run → audit + meter + store          (tools/services.py)

Rejections here are audited as their error's outcome (denied or error) once the tenant is
known; a rejection while the request is read, or of its tool, still counts against the
user's and the tenant's rate limits, and a 429 then takes its place.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from audit.services import Attempt, audit_record
from gateway_project.errors import GatewayError, NotFound, server_failure
from tenants.context import TenantContext
from tenants.rate_limits import Limit, RateLimited, rate_limit_check, tenant_limits, tool_limit
from tools.access import caller_refusal, tool_access_refusal
from tools.idempotency import idempotency_key_check
from tools.providers import tool_resolve
from tools.services import Invocation, InvocationResult, invocation_execute

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ToolRequest:
    """What the caller asks to run, as its channel read it.

    `problem` says why it cannot be served (an unreadable body, a malformed shape); the
    tool's name and the request's fingerprint are kept whenever they could be read, so
    the audit row of the refusal names them.
    """

    tool_name: str = ""
    payload: dict | None = None
    fingerprint: str = ""
    problem: GatewayError | None = None


class _Attempt:
    """One attempt's progress through admission: who calls, what it asks, and how a refusal is audited."""

    def __init__(self, *, read_request: Callable[[], ToolRequest], idempotency_key: str | None, attempt: Attempt,
                 channel: str):  # fmt: skip
        self._read_request = read_request
        self.idempotency_key = idempotency_key or ""
        self.attempt = attempt
        self.channel = channel
        self.context: TenantContext | None = None
        self._request: ToolRequest | None = None

    def request(self) -> ToolRequest:
        """What is asked for, read once; a channel's failure to read it is the request's problem."""
        if self._request is None:
            try:
                self._request = self._read_request()
            except GatewayError as unreadable:
                self._request = ToolRequest(problem=unreadable)
        return self._request

    def refuse(self, error: GatewayError) -> NoReturn:
        """Audit the refusal against the tenant, once it is known, then raise it."""
        if self.context is not None and self.context.tenant is not None:
            try:
                # Refused before the request was read (the role, say): read it now, only to name the tool.
                request = self.request()
                audit_record(
                    tenant=self.context.tenant,
                    user=self.context.user,
                    outcome=error.outcome,
                    tool_name=request.tool_name,
                    attempt=self.attempt,
                    idempotency_key=self.idempotency_key,
                    status_code=error.status_code,
                    error_code=error.code,
                    payload_fingerprint=request.fingerprint,
                    channel=self.channel,
                    api_key_id=self.context.key_public_id,
                )
            except Exception:
                # The answer is already decided; a lost audit row must at least be loud.
                logger.exception("Could not audit a refused invocation (%s %s)", error.status_code, error.code)
        raise error


def invocation_attempt(
    *,
    caller: Callable[[], TenantContext],
    idempotency_key: str | None,
    read_request: Callable[[], ToolRequest],
    attempt: Attempt,
    channel: str,
) -> InvocationResult:
    progress = _Attempt(read_request=read_request, idempotency_key=idempotency_key, attempt=attempt, channel=channel)
    try:
        invocation = _admit(progress, caller=caller, idempotency_key=idempotency_key)
    except GatewayError:
        raise
    except Exception as failure:
        # Our bug or a dead database before the tool ran: logged whole, audited when it can be, answered 500/503.
        logger.exception("Invocation failed before the tool ran")
        progress.refuse(server_failure(failure))
    return invocation_execute(invocation=invocation, channel=channel)


def invocation_caller_check(*, caller: Callable[[], TenantContext], idempotency_key: str | None) -> None:
    """The checks of who is calling (key, tenant, user), for a request that is not an attempt: nothing audited."""
    if idempotency_key is not None:
        idempotency_key_check(idempotency_key)
    context = caller()
    if context.error is not None:
        raise context.error


def _admit(progress: _Attempt, *, caller: Callable[[], TenantContext], idempotency_key: str | None) -> Invocation:
    if idempotency_key is not None:
        idempotency_key_check(idempotency_key)  # before the tenant is known: not audited
    context = progress.context = caller()
    if context.tenant is None:
        raise context.error  # unknown tenant or wrong key: nothing to attribute the attempt to
    if context.error is not None:
        progress.refuse(context.error)  # suspended, or a user who is not the tenant's
    tenant, user = context.tenant, context.user
    refused = caller_refusal(context)  # the tenant key may act as users; the role may invoke at all
    if refused is not None:
        progress.refuse(refused)

    limits = tenant_limits(tenant, user)
    request = progress.request()
    try:
        if request.problem is not None:
            raise request.problem
        tool = tool_resolve(tenant=tenant, name=request.tool_name)
        if tool is None:
            raise NotFound(f"Tool '{request.tool_name}' not found", code="tool_not_found")
        refusal = tool_access_refusal(context=context, tool=tool)
        if refusal is not None:
            raise refusal
    except GatewayError as refused:
        # Refused before the tool could count: the attempt still counts for the user and the tenant.
        _within(progress, limits)
        progress.refuse(refused)
    _within(progress, [*limits, tool_limit(tenant, tool.name)])
    try:
        tool.validate_payload(request.payload)
    except GatewayError as invalid:
        progress.refuse(invalid)
    return Invocation(
        tenant=tenant,
        user=user,
        tool=tool,
        payload=request.payload,
        idempotency_key=idempotency_key,
        fingerprint=request.fingerprint,
        attempt=progress.attempt,
        api_key_id=context.key_public_id,
    )


def _within(progress: _Attempt, limits: list[Limit]) -> None:
    try:
        rate_limit_check(limits)
    except RateLimited as limited:
        progress.refuse(limited)
