"""Writers for the audit trail and the usage ledger; callers own the transaction."""

import time
import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from audit.chain import CHAIN_VERSION, CHAINED_FIELDS, GENESIS_HASH, audit_row_hash, keyed_payload_fingerprint
from audit.models import AuditLog, UsageEvent
from gateway_project.client_ip import client_ip
from gateway_project.db import db_value, fetch_one, insert_rows
from tenants.api_keys import api_key_fingerprint
from tenants.context import API_KEY_HEADER, USER_ID_HEADER
from tenants.models import Tenant, TenantUser

# The tenant's newest row, found by walking the (tenant, seq) index backwards.
_CHAIN_HEAD_SQL = "SELECT seq, row_hash FROM audit_logs WHERE tenant_id = %s ORDER BY seq DESC LIMIT 1"
_USAGE_FIELDS = ["tenant", "user", "activity_type", "units", "tool_name", "request_id", "created_at"]
# Appends racing for the same chain position retry this often before giving up.
CHAIN_APPEND_ATTEMPTS = 20
_AUDIT_COLUMNS = [*CHAINED_FIELDS, "row_hash"]
_AUDIT_FIELDS = [name.removesuffix("_id") if name in {"tenant_id", "user_id"} else name for name in _AUDIT_COLUMNS]


class AuditChainContention(RuntimeError):
    pass


@dataclass(frozen=True)
class Attempt:
    """One request's facts as its audit row records them; never the API key or the body."""

    request_id: uuid.UUID
    client_ip: str | None
    user_agent: str
    presented_user_id: str
    api_key_fingerprint: str
    started_at: float | None = None  # time.monotonic() on arrival; None for rows written offline


def _printable(text: str, limit: int) -> str:
    # Header bytes are the client's to choose; keep the audit row storable on every database.
    return "".join(char for char in text[:limit] if char.isprintable())


def attempt_from_request(request) -> Attempt:
    return Attempt(
        request_id=request.request_id,
        client_ip=client_ip(request),
        user_agent=_printable(request.headers.get("User-Agent", ""), 512),
        presented_user_id=_printable(request.headers.get(USER_ID_HEADER, "").strip(), 64),
        api_key_fingerprint=api_key_fingerprint(request.headers.get(API_KEY_HEADER, "").strip()),
        started_at=request.started_at,
    )


def audit_record(
    *,
    tenant: Tenant,
    user: TenantUser | None,
    outcome: str,
    tool_name: str,
    attempt: Attempt,
    idempotency_key: str,
    status_code: int,
    error_code: str = "",
    payload_fingerprint: str = "",
    units: int = 0,
    created_at: datetime | None = None,
    duration_ms: int | None = None,
    channel: str = "rest",
    api_key_id: str = "",
) -> int:
    """Append one row to the tenant's audit chain; returns its `seq`.

    `api_key_id` is the public id of the principal key that authenticated the call ("" for the
    tenant key, or when no key matched); never the key itself.

    Reads the chain head, then inserts at head + 1 with ON CONFLICT DO NOTHING.
    Unique (tenant, seq) makes a fork impossible on every database. Writers queue
    per tenant so they do not keep colliding: SQLite's BEGIN IMMEDIATE already
    serialises them; on PostgreSQL a transaction-scoped advisory lock on the tenant
    does (other tenants never wait). Should two still collide, the loser reads the
    new head and tries again.
    """
    if duration_ms is None and attempt.started_at is not None:
        duration_ms = round((time.monotonic() - attempt.started_at) * 1000)
    row = {
        "tenant_id": tenant.id,
        "user_id": user.id if user else None,
        "presented_user_id": attempt.presented_user_id,
        "outcome": outcome,
        "action": "tools.invoke",
        "tool_name": _printable(tool_name, 100),
        "request_id": attempt.request_id,
        "idempotency_key": idempotency_key[:255],
        "status_code": status_code,
        "error_code": error_code[:64],
        "client_ip": attempt.client_ip,
        "user_agent": attempt.user_agent,
        "api_key_fingerprint": attempt.api_key_fingerprint,
        "payload_fingerprint": keyed_payload_fingerprint(payload_fingerprint),
        "duration_ms": duration_ms,
        "units": units,
        "created_at": created_at or timezone.now(),
        "chain_version": CHAIN_VERSION,
        "channel": channel,
        "api_key_id": _printable(api_key_id, 32),
    }
    # Outside a transaction (a rejection's audit row) open one, so the lock has something to last for.
    with nullcontext() if connection.in_atomic_block else transaction.atomic():
        _queue_for_tenant_chain(tenant)
        for _attempt in range(CHAIN_APPEND_ATTEMPTS):
            head = fetch_one(_CHAIN_HEAD_SQL, [db_value(AuditLog, "tenant", tenant.id)])
            row["seq"], row["prev_hash"] = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
            values = [*(row[name] for name in CHAINED_FIELDS), audit_row_hash(row)]
            if insert_rows(AuditLog, _AUDIT_FIELDS, [values], ignore_conflicts_on=["tenant", "seq"]):
                return row["seq"]
    raise AuditChainContention(f"could not append to the audit chain of tenant {tenant.id}")


def _queue_for_tenant_chain(tenant: Tenant) -> None:
    """PostgreSQL: wait for this tenant's other appenders to commit (released at our commit)."""
    if connection.vendor == "postgresql":
        lock_key = int.from_bytes(tenant.id.bytes[:8], "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key])


def usage_record(
    *, tenant: Tenant, user: TenantUser, tool_name: str, units: int, request_id: uuid.UUID,
    created_at: datetime | None = None,
) -> None:  # fmt: skip
    """One usage row: what billing counts. (tenant, request_id) is unique, so a second one fails loudly."""
    row = (tenant.id, user.id, "tool_invocation", units, tool_name, request_id, created_at or timezone.now())
    insert_rows(UsageEvent, _USAGE_FIELDS, [row])
