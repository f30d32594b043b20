import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tenants.models import Tenant, TenantUser


class KeyState(models.TextChoices):
    """Where a key stands: the one definition the invoke path, the console and the purge command share."""

    IN_FLIGHT = "in_progress", "in progress"  # claimed, no answer yet, its holder may still be running the tool
    ABANDONED = "abandoned", "abandoned"  # claimed, no answer, silent past the lock timeout: may be taken over
    COMPLETED = "completed", "completed"  # answered; a retry replays the stored answer
    EXPIRED = "expired", "expired"  # past retention; counts as absent, purge removes it


def _lock_cutoff(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.GATEWAY_IDEMPOTENCY_LOCK_TIMEOUT_SECONDS)


def _state_q(state: str, now: datetime) -> Q:
    unanswered, live = Q(response_status__isnull=True), Q(expires_at__gt=now)
    return {
        KeyState.IN_FLIGHT: unanswered & Q(locked_at__gt=_lock_cutoff(now)),
        KeyState.ABANDONED: unanswered & Q(locked_at__lte=_lock_cutoff(now)) & live,
        KeyState.COMPLETED: Q(response_status__isnull=False) & live,
        # A claim still in flight is never expired: its tool may be running, and its retry must not run it again.
        KeyState.EXPIRED: Q(expires_at__lte=now) & ~(unanswered & Q(locked_at__gt=_lock_cutoff(now))),
    }[state]


class IdempotencyKeyQuerySet(models.QuerySet):
    def in_state(self, state: str, now: datetime | None = None):
        return self.filter(_state_q(state, now or timezone.now()))

    def in_flight(self, now: datetime | None = None):
        return self.in_state(KeyState.IN_FLIGHT, now)

    def abandoned(self, now: datetime | None = None):
        return self.in_state(KeyState.ABANDONED, now)

    def completed(self, now: datetime | None = None):
        return self.in_state(KeyState.COMPLETED, now)

    def expired(self, now: datetime | None = None):
        return self.in_state(KeyState.EXPIRED, now)


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
    # Set just before a request that may not be sent twice leaves for its upstream: an attempt that
    # takes the key over must not send it again (tools/upstream_calls.py answers the outcome unknown).
    dispatched_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    objects = IdempotencyKeyQuerySet.as_manager()

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

    def state(self, now: datetime | None = None) -> KeyState:
        """This key's state, as the queryset's `in_state` would find it."""
        now = now or timezone.now()
        if not self.is_completed and self.locked_at > _lock_cutoff(now):
            return KeyState.IN_FLIGHT
        if self.expires_at <= now:
            return KeyState.EXPIRED
        return KeyState.COMPLETED if self.is_completed else KeyState.ABANDONED


SECRET_NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"  # noqa: S105 - a name's shape, not a password
SECRET_NAME_MAX_LENGTH = 100


class VaultSecret(models.Model):
    """A credential a tool sends upstream, encrypted at rest (tools/vault.py writes and reads it).

    `ciphertext` is a Fernet token; the value is never stored, shown or logged in the clear.
    `key_fingerprint` names the key that encrypted it, so rows still under an old key can be found.
    No tenant: the operator's own, offered to the tools operators register for every tenant.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    name = models.CharField(
        max_length=SECRET_NAME_MAX_LENGTH,
        validators=[
            RegexValidator(SECRET_NAME_PATTERN, "Lower-case letters, digits, '_', '.', '-'; first a letter or digit.")
        ],  # fmt: skip
    )
    ciphertext = models.TextField()
    key_fingerprint = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Not a column: set by tools.vault.secret_store, whether that call made the row (else it replaced a value).
    created = False

    class Meta:
        db_table = "gateway_vault_secrets"
        verbose_name = "vault secret"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="vault_secrets_tenant_name_uniq"),
            # NULLs are distinct in the constraint above: the operator's names need their own.
            models.UniqueConstraint(
                fields=["name"], condition=Q(tenant__isnull=True), name="vault_secrets_operator_name_uniq"
            ),
        ]

    def __str__(self) -> str:
        return self.name


TOOL_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"  # what MCP clients accept as a tool name, too
TOOL_NAME_MAX_LENGTH = 100


class HttpMethod(models.TextChoices):
    GET = "GET"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"


def _default_input_schema() -> dict:
    return {"type": "object"}


def _default_roles() -> list[str]:
    return ["admin"]


class HttpTool(models.Model):
    """A tool that calls an HTTP service, defined as data (tools/http_tools.py checks and writes it).

    Owned by one tenant, or by the operator (`tenant` null), who offers it to every tenant or to
    the tenants listed. The payload fills the URL template's `{placeholders}`; the fields named in
    `query_params` go into the query string; the rest is the JSON body (or, with `body_field`, that
    one field's value), or more query parameters for a method without a body (GET, DELETE).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The tenant that owns the tool; empty: the operator's, offered as set below.",
    )  # fmt: skip
    offered_to_all = models.BooleanField(default=False, help_text="An operator's tool: offered to every tenant.")
    offered_to = models.ManyToManyField(
        Tenant, blank=True, related_name="+", help_text="An operator's tool: the tenants it is offered to."
    )
    name = models.CharField(
        max_length=TOOL_NAME_MAX_LENGTH,
        validators=[RegexValidator(TOOL_NAME_PATTERN, "Letters, digits, '_', '.', '-'; first a letter or digit.")],
    )
    description = models.TextField(blank=True)
    input_schema = models.JSONField(default=_default_input_schema)
    method = models.CharField(max_length=8, choices=HttpMethod.choices, default=HttpMethod.POST)
    url_template = models.CharField(max_length=2000, help_text="https://host/path/{field}: fields fill the path.")
    query_params = models.JSONField(default=list, blank=True, help_text="Payload fields sent as query parameters.")
    body_field = models.CharField(
        max_length=100, blank=True, help_text="Send this payload field's value as the body; empty: the other fields."
    )
    static_headers = models.JSONField(default=dict, blank=True)
    # [{"secret": name, "in": "header" | "query", "name": "Authorization", "format": "Bearer {secret}"}]
    credentials = models.JSONField(default=list, blank=True)
    connect_timeout_seconds = models.FloatField(default=5.0)
    read_timeout_seconds = models.FloatField(default=10.0)
    total_timeout_seconds = models.FloatField(default=15.0)
    max_response_bytes = models.PositiveIntegerField(default=1024 * 1024)
    units = models.PositiveIntegerField(default=1)
    roles = models.JSONField(default=_default_roles, help_text="The roles that may call it.")
    idempotency_header = models.CharField(
        max_length=100, blank=True,
        help_text="The header the upstream reads an idempotency key from; empty: it honours none.",
    )  # fmt: skip
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "gateway_http_tools"
        verbose_name = "HTTP tool"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="http_tools_tenant_name_uniq"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(tenant__isnull=True), name="http_tools_operator_name_uniq"
            ),
        ]

    def __str__(self) -> str:
        return self.name
