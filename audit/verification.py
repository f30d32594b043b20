"""Walk each tenant's audit chain and report the first row that was changed or removed."""

from dataclasses import dataclass

from audit.chain import CHAINED_FIELDS, GENESIS_HASH, audit_row_hash
from audit.models import AuditLog
from tenants.models import Tenant


@dataclass(frozen=True)
class ChainBreak:
    tenant_id: str
    seq: int
    audit_id: int | None
    problem: str  # "changed" | "removed" | "relinked"
    detail: str


@dataclass(frozen=True)
class VerificationReport:
    tenants: int
    rows: int
    first_break: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


def _first_break(tenant_id, row: dict, expected_seq: int, expected_prev: str) -> ChainBreak | None:
    seq, tenant = row["seq"], str(tenant_id)
    if audit_row_hash(row) != row["row_hash"]:
        return ChainBreak(tenant, seq, row["id"], "changed", f"row {seq} does not match its HMAC")
    if seq != expected_seq:
        gap = f"row {expected_seq}" if seq == expected_seq + 1 else f"rows {expected_seq}..{seq - 1}"
        return ChainBreak(tenant, expected_seq, None, "removed", f"{gap} missing before row {seq}")
    if row["prev_hash"] != expected_prev:
        return ChainBreak(tenant, seq, row["id"], "relinked", f"row {seq} does not follow row {seq - 1}")
    return None


def _verify_tenant(tenant_id) -> tuple[int, ChainBreak | None]:
    expected_seq, expected_prev, rows = 1, GENESIS_HASH, 0
    chain = AuditLog.objects.filter(tenant_id=tenant_id).order_by("seq").values("id", "row_hash", *CHAINED_FIELDS)
    for row in chain.iterator(chunk_size=2000):
        rows += 1
        found = _first_break(tenant_id, row, expected_seq, expected_prev)
        if found:
            return rows, found
        expected_seq, expected_prev = row["seq"] + 1, row["row_hash"]
    return rows, None


def audit_chain_verify(*, tenant: Tenant | None = None) -> VerificationReport:
    tenant_ids = [tenant.id] if tenant else list(Tenant.objects.order_by("id").values_list("id", flat=True))
    total = 0
    for checked, tenant_id in enumerate(tenant_ids, start=1):
        rows, first_break = _verify_tenant(tenant_id)
        total += rows
        if first_break:
            return VerificationReport(tenants=checked, rows=total, first_break=first_break)
    return VerificationReport(tenants=len(tenant_ids), rows=total, first_break=None)
