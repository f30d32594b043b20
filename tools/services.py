"""Running an admitted invocation: claim the key, run the tool, then audit, meter and store its answer in one
transaction. Admission, and the audit of every refusal before this point, is tools/invocation.py."""

import json
import logging
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from audit.models import Outcome
from audit.services import Attempt, audit_record, usage_record
from gateway_project.errors import GatewayError, ServerFailure, server_failure
from gateway_project.worker_slots import stepping_aside
from tenants.models import Tenant, TenantUser
from tools.idempotency import (
    Claim,
    ClaimLost,
    IdempotencyInProgress,
    IdempotencyKeyOtherUser,
    IdempotencyKeyReused,
    StoredResponse,
    claim_acquire,
    claim_complete,
    claim_mark_sent,
    claim_release,
)
from tools.registry import DispatchGuard, Tool, ToolCall, ToolOutput, ToolUnavailable

logger = logging.getLogger(__name__)

INVOKE_ENDPOINT = "tools.invoke"


class ResultTooLarge(GatewayError):
    status_code = 502
    default_code = "result_too_large"

    def __init__(self, limit_bytes: int):
        super().__init__(f"The tool's answer exceeds the limit of {limit_bytes} bytes")


class UnitsOverMaximum(ServerFailure):
    """The tool reported more units than it declares: a bug in the tool, never billed."""

    def __init__(self, tool: Tool, units: object):
        super().__init__(f"Tool '{tool.name}' reported {units!r} units; it declares at most {tool.units}")


@dataclass(frozen=True)
class Invocation:
    tenant: Tenant
    user: TenantUser
    tool: Tool
    payload: dict
    idempotency_key: str | None  # None: the channel has none; the tool runs once per request
    fingerprint: str
    attempt: Attempt
    api_key_id: str = ""  # the public id of the principal key that authenticated the call; "" for the tenant key


@dataclass(frozen=True)
class InvocationResult:
    """The answer to one invocation: a success, the tool's own refusal (a 4xx), or a 502 too-large answer.

    `body` is the exact JSON text stored under the idempotency key, so a replay is
    byte-for-byte the original; `document` is the same, parsed.
    """

    status: int
    body: str
    replayed: bool
    outcome: str = ""  # how the run was audited; "" for a replay, which is not audited again

    @cached_property
    def document(self) -> dict:
        return json.loads(self.body)


def render_json(document: dict) -> str:
    """Compact JSON, ASCII only, no NaN: the bytes every answer is stored and sent as."""
    return json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=True, allow_nan=False, separators=(",", ":"))


def _audit(invocation: Invocation, *, channel: str, outcome: str, status: int, error_code: str = "", units=0):
    audit_record(
        tenant=invocation.tenant,
        user=invocation.user,
        outcome=outcome,
        tool_name=invocation.tool.name,
        attempt=invocation.attempt,
        idempotency_key=invocation.idempotency_key or "",
        status_code=status,
        error_code=error_code,
        payload_fingerprint=invocation.fingerprint,
        units=units,
        channel=channel,
        api_key_id=invocation.api_key_id,
    )


def _audit_error(invocation: Invocation, error: GatewayError, *, channel: str) -> None:
    _audit(invocation, channel=channel, outcome=error.outcome, status=error.status_code, error_code=error.code)


@dataclass(frozen=True)
class _Answer:
    status: int
    body: str
    error_code: str = ""
    units: int = 0
    outcome: str = Outcome.SUCCESS


class _ClaimDispatch(DispatchGuard):
    """The DispatchGuard of an invocation under an Idempotency-Key: what it knows lives on the claim's row."""

    def __init__(self, claim: Claim):
        self._claim = claim
        self.sent_before = claim.sent_before
        self.marked = False

    def mark_sent(self) -> None:
        claim_mark_sent(self._claim)
        self.marked = True


def _releasable(claim: Claim | None, dispatch: DispatchGuard) -> Claim | None:
    """The claim a failure may give back. Not one whose request was marked sent: a retry would send it again.

    Kept, it is taken over after the lock timeout by an attempt that answers upstream_outcome_unknown.
    """
    return None if dispatch.marked else claim


def _units_used(tool: Tool, output: dict | ToolOutput) -> tuple[dict, int]:
    if not isinstance(output, ToolOutput):
        return output, tool.units
    if type(output.units) is not int or not 0 <= output.units <= tool.units:
        raise UnitsOverMaximum(tool, output.units)
    return output.result, output.units


def _run_tool(invocation: Invocation, dispatch: DispatchGuard) -> _Answer:
    """The tool's answer, or the refusal it ended in (stored and replayed like an answer).

    A ToolUnavailable (nothing happened that a retry could repeat) and a ServerFailure propagate, as
    does ClaimLost; anything else the tool raises is a server failure.
    """
    request_id = invocation.attempt.request_id
    call = ToolCall(
        tenant=invocation.tenant, user=invocation.user, payload=invocation.payload, request_id=request_id,
        idempotency_key=invocation.idempotency_key,
        dispatch=dispatch,
    )  # fmt: skip
    try:
        with stepping_aside():  # another request may use this process while the tool runs
            output = invocation.tool.run(call)
        result, units = _units_used(invocation.tool, output)
        body = render_json({"request_id": str(request_id), "result": result})
        if len(body) > settings.GATEWAY_MAX_RESULT_BYTES:
            # Neither delivered nor kept for a day under the key.
            raise ResultTooLarge(settings.GATEWAY_MAX_RESULT_BYTES)
    except (ServerFailure, ToolUnavailable):
        raise
    except GatewayError as refusal:
        # A 4xx the tool chose (unknown KPI, an upstream's refusal), an answer too large to deliver, an
        # upstream outcome nobody can know: the tool did run, so this is its answer, stored and replayed
        # like a 200, never run again.
        answer_body = render_json(refusal.document())
        return _Answer(refusal.status_code, answer_body, error_code=refusal.code, outcome=refusal.outcome)
    return _Answer(200, body, units=units)


def _fail(invocation: Invocation, claim: Claim | None, failure: Exception, *, channel: str) -> GatewayError:
    """After a server error or a tool that could not answer: free the key for a retry and audit, all or nothing."""
    if isinstance(failure, ToolUnavailable):
        answer: GatewayError = failure
        logger.warning("Tool %s unavailable: %s", invocation.tool.name, failure.code)
    else:
        # The cause stays in the log; the caller learns only the status and the code.
        answer = server_failure(failure)
        logger.error("Invocation of %s failed", invocation.tool.name, exc_info=failure)
    try:
        with transaction.atomic():
            if claim is not None:
                claim_release(claim)
            _audit_error(invocation, answer, channel=channel)
    except Exception:
        # The database itself may be what failed; the claim then expires after the lock timeout.
        if claim is not None:
            logger.exception("Could not release idempotency claim %s after a server error", claim.key)
        else:
            logger.exception("Could not audit the failure of invocation %s", invocation.attempt.request_id)
    return answer


def _claim(invocation: Invocation, *, channel: str) -> Claim | StoredResponse | None:
    if invocation.idempotency_key is None:
        return None
    try:
        return claim_acquire(
            tenant=invocation.tenant,
            user=invocation.user,
            endpoint=INVOKE_ENDPOINT,
            key=invocation.idempotency_key,
            fingerprint=invocation.fingerprint,
        )
    except (IdempotencyKeyReused, IdempotencyKeyOtherUser) as conflict:
        # A different request under a used key is an attempt of its own; a retry in flight is not.
        _audit_error(invocation, conflict, channel=channel)
        raise


def invocation_execute(*, invocation: Invocation, channel: str) -> InvocationResult:
    claimed = _claim(invocation, channel=channel)
    if isinstance(claimed, StoredResponse):
        return InvocationResult(status=claimed.status, body=claimed.body, replayed=True)

    dispatch = DispatchGuard() if claimed is None else _ClaimDispatch(claimed)
    try:
        answer = _run_tool(invocation, dispatch)
    except ClaimLost:
        raise _claim_lost(invocation, channel=channel) from None
    except ToolUnavailable as unavailable:  # the tool knows nothing left: its claim goes back
        raise _fail(invocation, claimed, unavailable, channel=channel) from unavailable
    except Exception as failure:
        raise _fail(invocation, _releasable(claimed, dispatch), failure, channel=channel) from failure

    succeeded = answer.status == 200
    try:
        with transaction.atomic():
            if claimed is not None:
                claim_complete(claimed, status=answer.status, body=answer.body)
            _audit(
                invocation,
                channel=channel,
                outcome=answer.outcome,
                status=answer.status,
                error_code=answer.error_code,
                units=answer.units,
            )
            if succeeded:
                usage_record(
                    tenant=invocation.tenant,
                    user=invocation.user,
                    tool_name=invocation.tool.name,
                    units=answer.units,
                    request_id=invocation.attempt.request_id,
                )
    except ClaimLost:
        raise _claim_lost(invocation, channel=channel) from None
    except Exception as failure:
        raise _fail(invocation, _releasable(claimed, dispatch), failure, channel=channel) from failure
    return InvocationResult(status=answer.status, body=answer.body, replayed=False, outcome=answer.outcome)


def _claim_lost(invocation: Invocation, *, channel: str) -> IdempotencyInProgress:
    # We outlived the lock timeout and another attempt took the key: its run is the one on record.
    _audit(invocation, channel=channel, outcome=Outcome.ERROR, status=409, error_code="idempotency_claim_lost")
    return IdempotencyInProgress(invocation.idempotency_key)
