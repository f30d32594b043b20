"""Sealed digests of each tenant's audit chain, written by `manage.py seal_audit`."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.chain import GENESIS_HASH, SEAL_VERSION, audit_seal_hash
from audit.models import AuditLog, AuditSeal
from tenants.models import Tenant


def audit_seal(*, tenant: Tenant) -> AuditSeal | None:
    """Seal the tenant's chain as it stands; None when nothing was appended since the last seal.

    Two sealers racing for one tenant cannot fork the seals: (tenant, seq) is unique.
    """
    head = AuditLog.objects.filter(tenant=tenant).order_by("-seq").values("seq", "row_hash").first()
    previous = AuditSeal.objects.filter(tenant=tenant).order_by("-seq").first()
    if head is None or (previous is not None and previous.rows == head["seq"]):
        return None
    fields = {
        "tenant_id": tenant.id,
        "seq": previous.seq + 1 if previous else 1,
        "rows": head["seq"],
        "last_row_hash": head["row_hash"],
        "prev_seal_hash": previous.seal_hash if previous else GENESIS_HASH,
        "created_at": timezone.now(),
        "seal_version": SEAL_VERSION,
    }
    try:
        with transaction.atomic():
            return AuditSeal.objects.create(**fields, seal_hash=audit_seal_hash(fields))
    except IntegrityError:
        return None  # another sealer wrote this seal a moment ago
