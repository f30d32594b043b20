"""The audit hash chain: each row carries an HMAC over its content and its predecessor's HMAC.

Rows are chained per tenant (`seq` 1, 2, 3, …), so tenants never wait on each
other. The key comes from settings and never enters the database, so someone
who can edit the table cannot forge a row whose HMAC verifies.
"""

import hashlib
import hmac
import json
from datetime import UTC, datetime

from django.conf import settings

from gateway_project.client_ip import normalized_ip

GENESIS_HASH = "0" * 64

# Every column whose change must be detectable, in the form the hash reads it.
CHAINED_FIELDS = (
    "tenant_id", "seq", "prev_hash", "user_id", "presented_user_id", "outcome", "action", "tool_name",
    "request_id", "idempotency_key", "status_code", "error_code", "client_ip", "user_agent",
    "api_key_fingerprint", "payload_fingerprint", "duration_ms", "units", "created_at",
)  # fmt: skip


def _canonical(name: str, value) -> object:
    if value is None:
        return None
    if name == "created_at":
        return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else str(value)
    if name == "client_ip":
        # PostgreSQL's inet and Python may spell one address differently; hash the stored form.
        return normalized_ip(value)
    if name in {"tenant_id", "user_id", "request_id"}:
        return str(value)
    return value


def _keyed_hash(values: dict, names: tuple[str, ...]) -> str:
    document = {name: _canonical(name, values[name]) for name in names}
    message = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    return hmac.new(settings.GATEWAY_AUDIT_HMAC_KEY.encode(), message, hashlib.sha256).hexdigest()


def audit_row_hash(row: dict) -> str:
    """HMAC-SHA256 over the chained fields of `row` (a dict keyed by CHAINED_FIELDS)."""
    return _keyed_hash(row, CHAINED_FIELDS)


SEALED_FIELDS = ("tenant_id", "seq", "rows", "last_row_hash", "prev_seal_hash", "created_at")


def audit_seal_hash(seal: dict) -> str:
    """HMAC-SHA256 over a seal's fields, keyed like the rows."""
    return _keyed_hash(seal, SEALED_FIELDS)


def keyed_payload_fingerprint(fingerprint: str) -> str:
    """What the audit row keeps of a body: an HMAC of its SHA-256, so a short secret in a
    payload (a PIN, a small token) cannot be recovered by hashing guesses."""
    if not fingerprint:
        return ""
    return hmac.new(settings.GATEWAY_AUDIT_HMAC_KEY.encode(), fingerprint.encode(), hashlib.sha256).hexdigest()
