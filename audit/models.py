"""The audit trail and the metering ledger: append-only, one row per fact."""

from django.db import models
from django.utils import timezone

from tenants.models import Tenant, TenantUser


class AppendOnlyError(RuntimeError):
    pass


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model._meta.db_table} is append-only: rows are never updated")

    def delete(self):
        raise AppendOnlyError(f"{self.model._meta.db_table} is append-only: rows are never deleted")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.db_table} is append-only: rows are never updated")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{self._meta.db_table} is append-only: rows are never deleted")


class Outcome(models.TextChoices):
    SUCCESS = "success", "Success"
    DENIED = "denied", "Denied"
    ERROR = "error", "Error"
    # The request left for an upstream that does not honour idempotency, and no answer came back:
    # whether it took effect is not known (stored and replayed, never sent again).
    UNKNOWN = "unknown", "Unknown"


class Channel(models.TextChoices):
    """How an invocation reached the gateway."""

    REST = "rest", "REST API"


class AuditLog(AppendOnlyModel):
    """One row per invocation attempt whose tenant authenticated (contract step 2 passed).

    Rows are written only by audit.services.audit_record, which chains them (audit.chain).
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    # Position in the tenant's hash chain, and the HMACs that make the chain verifiable.
    seq = models.PositiveBigIntegerField()
    prev_hash = models.CharField(max_length=64)
    row_hash = models.CharField(max_length=64)
    # Null when the user was not found or belongs to another tenant.
    user = models.ForeignKey(TenantUser, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The X-User-ID header as presented, kept even when it named nobody.
    presented_user_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    action = models.CharField(max_length=64, default="tools.invoke")
    tool_name = models.CharField(max_length=100, blank=True)
    request_id = models.UUIDField()
    idempotency_key = models.CharField(max_length=255, blank=True)
    status_code = models.PositiveSmallIntegerField()
    error_code = models.CharField(max_length=64, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    # Which key was used (a digest prefix, never the key) and which body was sent (SHA-256).
    api_key_fingerprint = models.CharField(max_length=16, blank=True)
    # The public id of the principal key that authenticated the call (tenants.models.PrincipalKey,
    # shown as gwp_<id>; never the secret); empty for the tenant key, or when no key matched.
    api_key_id = models.CharField("principal key", max_length=32, blank=True, default="")
    payload_fingerprint = models.CharField(max_length=64, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    # What the usage row for this success meters (0 otherwise): the chain vouches for the ledger.
    units = models.PositiveIntegerField(default=0)
    # Which fields the row's HMAC covers (audit.chain.CHAIN_VERSIONS): the version it was written with.
    chain_version = models.PositiveSmallIntegerField()
    # How the call arrived: the REST API today, MCP and others next.
    channel = models.CharField(max_length=16, default="rest")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "audit_logs"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "request_id"], name="audit_logs_tenant_request_uniq"),
            # Also the index that finds a tenant's chain head.
            models.UniqueConstraint(fields=["tenant", "seq"], name="audit_logs_tenant_seq_uniq"),
        ]
        indexes = [
            models.Index(fields=["tenant", "created_at"], name="audit_tenant_created_idx"),
            # The console: every tenant's rows newest first, and exact-id search (migration 0007).
            models.Index(fields=["created_at", "id"], name="audit_created_id_idx"),
            models.Index(fields=["request_id"], name="audit_request_idx"),
            models.Index(fields=["idempotency_key"], name="audit_idempotency_key_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.tool_name} {self.outcome} ({self.request_id})"

    def save(self, *args, **kwargs):
        raise AppendOnlyError("audit rows are written by audit.services.audit_record, which chains them")


class UsageEvent(AppendOnlyModel):
    """Exactly one row per successful invocation: what billing counts."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(TenantUser, on_delete=models.PROTECT, related_name="+")
    activity_type = models.CharField(max_length=64, default="tool_invocation")
    units = models.PositiveIntegerField()
    tool_name = models.CharField(max_length=100)
    request_id = models.UUIDField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "usage_events"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "request_id"], name="usage_events_tenant_request_uniq"),
        ]
        indexes = [
            models.Index(fields=["tenant", "created_at"], name="usage_tenant_created_idx"),
            models.Index(fields=["created_at", "id"], name="usage_created_id_idx"),
            models.Index(fields=["request_id"], name="usage_request_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.tool_name} x{self.units} ({self.request_id})"


class AuditSeal(AppendOnlyModel):
    """A sealed digest of a tenant's audit chain: how many rows, and the last row's HMAC.

    Seals chain to each other like rows do. Deleting the newest audit rows leaves the
    chain itself consistent; a later seal that counted them is what notices.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveIntegerField()
    rows = models.PositiveBigIntegerField(help_text="Audit rows 1..rows of the tenant's chain are sealed.")
    last_row_hash = models.CharField(max_length=64)
    prev_seal_hash = models.CharField(max_length=64)
    seal_hash = models.CharField(max_length=64)
    # Which fields seal_hash covers (audit.chain.SEAL_VERSIONS).
    seal_version = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "audit_seals"
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "seq"], name="audit_seals_tenant_seq_uniq")]

    def __str__(self) -> str:
        return f"seal {self.seq} of {self.tenant_id}: rows 1..{self.rows}"
