"""Walk each tenant's audit chain and its seals; report the first row changed, removed or out of place."""

from collections import Counter
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Exists, OuterRef, Q

from audit.chain import (
    CHAIN_VERSIONS,
    GENESIS_HASH,
    SEAL_VERSIONS,
    UNCHAINED_DEFAULTS,
    VERIFIED_FIELDS,
    audit_row_hash,
    audit_seal_hash,
)
from audit.ledger_lock import UNLOCK_TABLE
from audit.models import AuditLog, AuditSeal, Outcome, UsageEvent
from tenants.models import Tenant


@dataclass(frozen=True)
class ChainBreak:
    tenant_id: str
    seq: int
    audit_id: int | None
    # changed: a row's content no longer matches its HMAC (edited, or inserted without the key);
    # removed: rows missing from the middle, or newest rows missing against a seal;
    # reordered: a row that is intact but no longer follows its predecessor;
    # seal_changed / seal_removed: the seals themselves were edited or deleted;
    # usage_unexplained / usage_missing: the usage ledger no longer matches the chain's successes.
    problem: str
    detail: str


@dataclass(frozen=True)
class VerificationReport:
    tenants: int
    rows: int
    seals: int
    breaks: list[ChainBreak]  # the first break of each tenant whose trail is not intact
    triggers_unlocked: bool = False
    # Rows read, by the chain version each was written with.
    rows_by_version: dict[int, int] = field(default_factory=dict)

    @property
    def intact(self) -> bool:
        return not self.breaks and not self.triggers_unlocked

    @property
    def first_break(self) -> ChainBreak | None:
        return self.breaks[0] if self.breaks else None


def _row_break(tenant: str, row: dict, expected_seq: int, expected_prev: str) -> ChainBreak | None:
    seq = row["seq"]
    if row["chain_version"] not in CHAIN_VERSIONS:
        detail = f"row {seq} claims chain version {row['chain_version']}, which no release wrote"
        return ChainBreak(tenant, seq, row["id"], "changed", detail)
    if audit_row_hash(row) != row["row_hash"]:
        return ChainBreak(tenant, seq, row["id"], "changed", f"row {seq} does not match its HMAC")
    hashed = CHAIN_VERSIONS[row["chain_version"]]
    for name, default in UNCHAINED_DEFAULTS.items():
        if name not in hashed and row[name] != default:
            detail = f"row {seq} holds a value in {name}, which its chain version {row['chain_version']} did not record"
            return ChainBreak(tenant, seq, row["id"], "changed", detail)
    if seq != expected_seq:
        gap = f"row {expected_seq}" if seq == expected_seq + 1 else f"rows {expected_seq}..{seq - 1}"
        return ChainBreak(tenant, expected_seq, None, "removed", f"{gap} missing before row {seq}")
    if row["prev_hash"] != expected_prev:
        return ChainBreak(tenant, seq, row["id"], "reordered", f"row {seq} does not follow row {seq - 1}")
    return None


def _seal_break(tenant: str, seals: list[dict], row_hashes: dict[int, str], last_seq: int) -> ChainBreak | None:
    """Each seal must be intact, follow the previous one, and still find the row it sealed."""
    expected_seq, expected_prev = 1, GENESIS_HASH
    for seal in seals:
        if seal["seal_version"] not in SEAL_VERSIONS or audit_seal_hash(seal) != seal["seal_hash"]:
            return ChainBreak(tenant, seal["rows"], None, "seal_changed", f"seal {seal['seq']} does not match its HMAC")
        if seal["seq"] != expected_seq or seal["prev_seal_hash"] != expected_prev:
            return ChainBreak(tenant, seal["rows"], None, "seal_removed", f"seal {expected_seq} is missing")
        if seal["rows"] > last_seq:
            detail = f"rows {last_seq + 1}..{seal['rows']} missing: sealed by seal {seal['seq']}, now gone"
            return ChainBreak(tenant, last_seq + 1, None, "removed", detail)
        if row_hashes.get(seal["rows"]) != seal["last_row_hash"]:
            detail = f"row {seal['rows']} is not the row seal {seal['seq']} sealed"
            return ChainBreak(tenant, seal["rows"], None, "changed", detail)
        expected_seq, expected_prev = seal["seq"] + 1, seal["seal_hash"]
    return None


def _usage_break(tenant_id) -> ChainBreak | None:
    """The usage ledger must match the chain's successes one for one: the chain vouches for it.

    A usage row no success row vouches for (same request, user, tool and units) was inserted
    or edited; a success row without its usage row means the usage row was deleted. Rows of
    chain version 1 did not record units (the column came later, as 0), so they vouch for the
    rest only.
    """
    tenant = str(tenant_id)
    vouched = AuditLog.objects.filter(
        Q(units=OuterRef("units")) | Q(chain_version=1),
        tenant_id=tenant_id, outcome=Outcome.SUCCESS, request_id=OuterRef("request_id"),
        user_id=OuterRef("user_id"), tool_name=OuterRef("tool_name"),
    )  # fmt: skip
    stray = UsageEvent.objects.filter(tenant_id=tenant_id).exclude(Exists(vouched)).order_by("id").first()
    if stray is not None:
        detail = f"usage row {stray.id} (request {stray.request_id}) matches no success in the audit chain"
        return ChainBreak(tenant, 0, None, "usage_unexplained", detail)
    metered = UsageEvent.objects.filter(tenant_id=tenant_id, request_id=OuterRef("request_id"))
    unmetered = AuditLog.objects.filter(tenant_id=tenant_id, outcome=Outcome.SUCCESS).exclude(Exists(metered))
    missing = unmetered.order_by("seq").values("id", "seq", "request_id").first()
    if missing is not None:
        detail = f"row {missing['seq']} (request {missing['request_id']}) succeeded but its usage row is gone"
        return ChainBreak(tenant, missing["seq"], missing["id"], "usage_missing", detail)
    return None


def _verify_tenant(tenant_id, versions: Counter) -> tuple[int, int, ChainBreak | None]:
    """(rows read, seals read, the first break); counts the rows read by chain version into `versions`."""
    tenant = str(tenant_id)
    seals = list(AuditSeal.objects.filter(tenant_id=tenant_id).order_by("seq").values())
    sealed_positions = {seal["rows"] for seal in seals}
    row_hashes: dict[int, str] = {}
    expected_seq, expected_prev, rows = 1, GENESIS_HASH, 0
    chain = AuditLog.objects.filter(tenant_id=tenant_id).order_by("seq").values("id", "row_hash", *VERIFIED_FIELDS)
    for row in chain.iterator(chunk_size=2000):
        rows += 1
        versions[row["chain_version"]] += 1
        found = _row_break(tenant, row, expected_seq, expected_prev)
        if found:
            return rows, len(seals), found
        if row["seq"] in sealed_positions:
            row_hashes[row["seq"]] = row["row_hash"]
        expected_seq, expected_prev = row["seq"] + 1, row["row_hash"]
    found = _seal_break(tenant, seals, row_hashes, last_seq=expected_seq - 1) or _usage_break(tenant_id)
    return rows, len(seals), found


def _triggers_unlocked() -> bool:
    """A committed unlock row switches the ledger triggers off for every connection."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {UNLOCK_TABLE}")  # noqa: S608 - a constant name
        return cursor.fetchone()[0] > 0


def audit_chain_verify(*, tenant: Tenant | None = None) -> VerificationReport:
    """Check every tenant (or one) to the end; a break in one never hides another's."""
    tenant_ids = [tenant.id] if tenant else list(Tenant.objects.order_by("id").values_list("id", flat=True))
    total_rows = total_seals = 0
    breaks = []
    versions: Counter = Counter()
    for tenant_id in tenant_ids:
        rows, seals, found = _verify_tenant(tenant_id, versions)
        total_rows, total_seals = total_rows + rows, total_seals + seals
        if found:
            breaks.append(found)
    return VerificationReport(
        len(tenant_ids),
        total_rows,
        total_seals,
        breaks,
        _triggers_unlocked(),
        rows_by_version=dict(sorted(versions.items())),
    )
