from django.db import models
from django.utils import timezone

from tenants.models import Tenant, TenantUser


class IdempotencyKey(models.Model):
    """A claimed `Idempotency-Key` and, once the tool has run, the response to replay.

    The unique (tenant, endpoint, key) constraint is the lock: whoever inserts
    the row owns the key; `claim_token` says which attempt holds it now.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    endpoint = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    user = models.ForeignKey(TenantUser, on_delete=models.PROTECT, related_name="+")
    fingerprint = models.CharField(max_length=64)
    claim_token = models.UUIDField()
    locked_at = models.DateTimeField()
    # Set when the tool has answered: the status and the exact bytes sent.
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        db_table = "idempotency_keys"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "endpoint", "key"], name="idempotency_keys_tenant_endpoint_key_uniq"
            ),
        ]
        indexes = [models.Index(fields=["expires_at"], name="idempotency_expires_idx")]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.key}"

    @property
    def is_completed(self) -> bool:
        return self.response_status is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()
