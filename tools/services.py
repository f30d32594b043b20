"""Running a tool: claim the key, run, then audit, meter and store the answer in one transaction."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from rest_framework.exceptions import APIException
from rest_framework.renderers import JSONRenderer

from audit.models import Outcome
from audit.services import Attempt, audit_record, usage_record
from gateway_project.exceptions import GatewayError, api_exception_handler, server_failure
from gateway_project.worker_slots import stepping_aside
from tenants.models import Tenant, TenantUser
from tools.idempotency import (
    Claim,
    ClaimLost,
    IdempotencyInProgress,
    StoredResponse,
    claim_acquire,
    claim_complete,
    claim_release,
)
from tools.registry import Tool, ToolCall

logger = logging.getLogger(__name__)

INVOKE_ENDPOINT = "tools.invoke"


class ResultTooLarge(GatewayError):
    status_code = 502
    default_code = "result_too_large"

    def __init__(self, limit_bytes: int):
        super().__init__(f"The tool's answer exceeds the limit of {limit_bytes} bytes")


@dataclass(frozen=True)
class Invocation:
    tenant: Tenant
    user: TenantUser
    tool: Tool
    payload: dict
    idempotency_key: str
    fingerprint: str
    attempt: Attempt


@dataclass(frozen=True)
class InvocationResponse:
    status: int
    body: str
    replayed: bool


def mark_audited(exc: Exception) -> Exception:
    """Tell the invoke view this failure is already in the audit log (or must not be)."""
    exc.audit_handled = True
    return exc


def _render(document: dict) -> str:
    return JSONRenderer().render(document).decode("utf-8")


def _audit(invocation: Invocation, *, outcome: str, status: int, error_code: str = "") -> None:
    """Audit this invocation; a success also records the units its usage row meters."""
    audit_record(
        tenant=invocation.tenant,
        user=invocation.user,
        outcome=outcome,
        tool_name=invocation.tool.name,
        attempt=invocation.attempt,
        idempotency_key=invocation.idempotency_key,
        status_code=status,
        error_code=error_code,
        payload_fingerprint=invocation.fingerprint,
        units=invocation.tool.units if outcome == Outcome.SUCCESS else 0,
    )


def _run_tool(invocation: Invocation) -> tuple[int, str, str]:
    """(status, rendered body, error code): the tool's answer, or the error it ended in."""
    request_id = invocation.attempt.request_id
    call = ToolCall(tenant=invocation.tenant, user=invocation.user, payload=invocation.payload, request_id=request_id)
    try:
        with stepping_aside():  # another request may use this process while the tool runs
            result = invocation.tool.run(call)
        body = _render({"request_id": str(request_id), "result": result})
        if len(body) > settings.GATEWAY_MAX_RESULT_BYTES:
            # Neither delivered nor kept for a day under the key.
            raise ResultTooLarge(settings.GATEWAY_MAX_RESULT_BYTES)
    except APIException as tool_error:
        # A 4xx the tool chose (unknown KPI, no data), or an answer too large to deliver: the
        # tool did run, so this is its answer, stored and replayed like a 200, never run again.
        response = api_exception_handler(tool_error, {})
        return response.status_code, _render(response.data), response.data["code"]
    return 200, body, ""


def _fail(invocation: Invocation, claim: Claim, failure: Exception) -> None:
    """After a server error: free the key for a retry and audit the failure, all or nothing."""
    status, code = server_failure(failure)
    try:
        with transaction.atomic():
            claim_release(claim)
            _audit(invocation, outcome=Outcome.ERROR, status=status, error_code=code)
    except Exception:
        # The database itself may be what failed; the claim then expires after the lock timeout.
        logger.exception("Could not release idempotency claim %s after a server error", claim.key)


def invocation_execute(*, invocation: Invocation) -> InvocationResponse:
    claimed = claim_acquire(
        tenant=invocation.tenant,
        user=invocation.user,
        endpoint=INVOKE_ENDPOINT,
        key=invocation.idempotency_key,
        fingerprint=invocation.fingerprint,
    )
    if isinstance(claimed, StoredResponse):
        return InvocationResponse(status=claimed.status, body=claimed.body, replayed=True)

    try:
        status, body, error_code = _run_tool(invocation)
    except Exception as server_error:
        _fail(invocation, claimed, server_error)
        mark_audited(server_error)
        raise

    succeeded = status == 200
    try:
        with transaction.atomic():
            claim_complete(claimed, status=status, body=body)
            _audit(
                invocation,
                outcome=Outcome.SUCCESS if succeeded else Outcome.ERROR,
                status=status,
                error_code=error_code,
            )
            if succeeded:
                usage_record(
                    tenant=invocation.tenant,
                    user=invocation.user,
                    tool_name=invocation.tool.name,
                    units=invocation.tool.units,
                    request_id=invocation.attempt.request_id,
                )
    except ClaimLost:
        # We outlived the lock timeout and another attempt took the key: its run is the one on record.
        _audit(invocation, outcome=Outcome.ERROR, status=409, error_code="idempotency_claim_lost")
        raise mark_audited(IdempotencyInProgress(invocation.idempotency_key)) from None
    except Exception as server_error:
        _fail(invocation, claimed, server_error)
        mark_audited(server_error)
        raise
    return InvocationResponse(status=status, body=body, replayed=False)
