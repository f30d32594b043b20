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

# What each chain version's HMAC covers. Every row stores the version it was written with, and
# verification reads each row with its own version, so rows of every release verify together.
#
# The rule: to hash another field, add a version (the previous one's fields and the new ones) and
# make it CHAIN_VERSION; never edit a version that rows were written with (audit/tests/test_chain.py
# pins every version's known answers). The version is itself hashed from version 3 on, so a row
# cannot be passed off as an older version that did not cover some field. When the new field's
# column is added under rows already written, name the value they get in UNCHAINED_DEFAULTS.
_V1 = (
    "tenant_id", "seq", "prev_hash", "user_id", "presented_user_id", "outcome", "action", "tool_name",
    "request_id", "idempotency_key", "status_code", "error_code", "client_ip", "user_agent",
    "api_key_fingerprint", "payload_fingerprint", "duration_ms", "created_at",
)  # fmt: skip
CHAIN_VERSIONS: dict[int, tuple[str, ...]] = {
    1: _V1,  # the first release
    2: (*_V1, "units"),  # audit migration 0006: the units the usage row meters
    3: (*_V1, "units", "chain_version", "channel"),  # the channel the call came through (rest, mcp, ...)
    4: (*_V1, "units", "chain_version", "channel", "api_key_id"),  # audit 0010: the principal key's public id
}
CHAIN_VERSION = 4
# Every column whose change must be detectable in the rows written now, in the form the hash reads it.
CHAINED_FIELDS = CHAIN_VERSIONS[CHAIN_VERSION]
# What a column holds in every row whose version does not hash it: what its migration gave the rows
# already there. Verification names any other value as a change, so a row cannot be made to claim
# something its release never recorded (a principal key, before there were any).
UNCHAINED_DEFAULTS: dict[str, object] = {
    "units": 0,  # version 1: the first release metered nothing in the audit row
    "channel": "rest",  # versions 1 and 2: every call came through the REST API
    "api_key_id": "",  # versions 1 to 3: there were no principal keys
}
# What a row needs read back to be verified under any version.
VERIFIED_FIELDS = tuple(
    dict.fromkeys([*(field for fields in CHAIN_VERSIONS.values() for field in fields), *UNCHAINED_DEFAULTS])
)


class UnknownChainVersion(ValueError):
    pass


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


def audit_row_hash(row: dict, version: int | None = None) -> str:
    """HMAC-SHA256 over the fields `row` was chained with: those of `version`, else of its own
    `chain_version`, else of the current version."""
    version = version or row.get("chain_version") or CHAIN_VERSION
    if version not in CHAIN_VERSIONS:
        raise UnknownChainVersion(version)
    return _keyed_hash(row, CHAIN_VERSIONS[version])


# Seals are versioned by the same rule as rows; every seal so far is version 1.
SEAL_VERSIONS: dict[int, tuple[str, ...]] = {
    1: ("tenant_id", "seq", "rows", "last_row_hash", "prev_seal_hash", "created_at"),
}
SEAL_VERSION = 1
SEALED_FIELDS = SEAL_VERSIONS[SEAL_VERSION]


def audit_seal_hash(seal: dict) -> str:
    """HMAC-SHA256 over the fields of the seal's own version (the current one if it names none), keyed like the rows."""
    version = seal.get("seal_version") or SEAL_VERSION
    if version not in SEAL_VERSIONS:
        raise UnknownChainVersion(version)
    return _keyed_hash(seal, SEAL_VERSIONS[version])


def keyed_payload_fingerprint(fingerprint: str) -> str:
    """What the audit row keeps of a body: an HMAC of its SHA-256, so a short secret in a
    payload (a PIN, a small token) cannot be recovered by hashing guesses."""
    if not fingerprint:
        return ""
    return hmac.new(settings.GATEWAY_AUDIT_HMAC_KEY.encode(), fingerprint.encode(), hashlib.sha256).hexdigest()
