"""Writers for the audit trail and the usage ledger; callers own the transaction."""

import uuid
from dataclasses import dataclass

from audit.models import AuditLog, UsageEvent
from tenants.context import USER_ID_HEADER
from tenants.models import Tenant, TenantUser


@dataclass(frozen=True)
class RequestOrigin:
    """Where an attempt came from, as the audit row records it."""

    client_ip: str | None
    user_agent: str
    presented_user_id: str


def _printable(text: str, limit: int) -> str:
    # Header bytes are the client's to choose; keep the audit row storable on every database.
    return "".join(char for char in text[:limit] if char.isprintable())


def request_origin(request) -> RequestOrigin:
    # The socket address; proxies are not trusted until configured to be.
    return RequestOrigin(
        client_ip=request.META.get("REMOTE_ADDR") or None,
        user_agent=_printable(request.headers.get("User-Agent", ""), 512),
        presented_user_id=_printable(request.headers.get(USER_ID_HEADER, "").strip(), 64),
    )


def audit_record(
    *,
    tenant: Tenant,
    user: TenantUser | None,
    outcome: str,
    tool_name: str,
    request_id: uuid.UUID,
    idempotency_key: str,
    status_code: int,
    error_code: str = "",
    origin: RequestOrigin,
) -> AuditLog:
    return AuditLog.objects.create(
        tenant=tenant,
        user=user,
        presented_user_id=origin.presented_user_id,
        outcome=outcome,
        tool_name=tool_name[:100],
        request_id=request_id,
        idempotency_key=idempotency_key[:255],
        status_code=status_code,
        error_code=error_code[:64],
        client_ip=origin.client_ip,
        user_agent=origin.user_agent,
    )


def usage_record(*, tenant: Tenant, user: TenantUser, tool_name: str, units: int, request_id: uuid.UUID) -> UsageEvent:
    return UsageEvent.objects.create(tenant=tenant, user=user, tool_name=tool_name, units=units, request_id=request_id)
