import uuid

from django.db import models
from django.db.models.functions import Lower


class Tenant(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255)
    region = models.CharField(max_length=50)
    # SHA-256 of the API key; the key itself is shown once and never stored.
    api_key_digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    # Suspended, never deleted: its audit trail and usage ledger point at it forever. Set and cleared only by
    # tenants.services.tenant_suspend / tenant_reinstate, so the admin log and the command say who and why.
    suspended_at = models.DateTimeField(
        null=True, blank=True, help_text="While set, every API call of the tenant is refused (403 tenant_suspended)."
    )
    suspension_reason = models.CharField(max_length=255, blank=True)
    # Phase 0 clients send the tenant key and name any user; a tenant that has moved its callers onto
    # principal keys turns this off, and the tenant key then only administers (users and keys).
    service_key_acts_as_users = models.BooleanField(
        default=True,
        help_text="The tenant API key may act as any of the tenant's users. Off: tool and KPI calls need a "
        "principal key; the tenant key only creates users and keys.",
    )

    class Meta:
        db_table = "gateway_tenants"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    @property
    def own_limits(self) -> "TenantLimits":
        """Its limits row, or an unsaved one with every limit unset (the settings' defaults) if it has none.

        No query when the tenant was read with its limits (tenants.context, select_related("limits"))."""
        try:
            return self.limits
        except TenantLimits.DoesNotExist:
            return TenantLimits(tenant=self)


# TenantLimits' fields that limit requests per minute; budgets will sit beside them.
RATE_LIMIT_FIELDS = ("rate_limit_per_minute", "user_rate_limit_per_minute", "tool_rate_limit_per_minute")


class TenantLimits(models.Model):
    """A tenant's own limits, where they differ from the settings: one row at most, none for a tenant that keeps
    every default. Read beside the tenant by the query that authenticates it (tenants.context)."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, primary_key=True, related_name="limits")
    # Requests per minute; empty means the GATEWAY_RATE_LIMIT_* setting, 0 means no limit.
    rate_limit_per_minute = models.PositiveIntegerField(
        null=True, blank=True, help_text="For the whole tenant. Empty: the setting's default. 0: no limit."
    )
    user_rate_limit_per_minute = models.PositiveIntegerField(
        null=True, blank=True, help_text="For each user of the tenant. Empty: the setting's default. 0: no limit."
    )
    tool_rate_limit_per_minute = models.PositiveIntegerField(
        null=True, blank=True, help_text="For each tool, across the tenant. Empty: the setting's default. 0: no limit."
    )

    class Meta:
        db_table = "gateway_tenant_limits"
        verbose_name = verbose_name_plural = "tenant limits"

    def __str__(self) -> str:
        return f"limits of {self.tenant_id}"


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"


class TenantUser(models.Model):
    """A person or agent acting inside one tenant; never a Django admin login."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="users")
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    # DRF treats request.user as authenticated when this is true.
    is_authenticated = True

    class Meta:
        db_table = "gateway_users"
        verbose_name = "gateway user"
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint("tenant", Lower("email"), name="gateway_users_tenant_email_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.role})"


class PrincipalKey(models.Model):
    """A key bound to one user of the tenant (a person or an agent): it authenticates that user and no other.

    The secret is shown once; only its SHA-256 digest is kept. `public_id` names the key everywhere else
    (lists, the audit trail) and is part of the key itself, so a key is found by one indexed lookup.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="principal_keys")
    user = models.ForeignKey(TenantUser, on_delete=models.PROTECT, related_name="principal_keys")
    public_id = models.CharField(max_length=32, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    label = models.CharField(max_length=100)
    # The tool names it may call; null: every tool its user may call.
    tools = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Refused from this instant on. Empty: never.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Written at most once a minute per key, so using a key costs no write on most requests.
    last_used_at = models.DateTimeField(null=True, blank=True)
    # The key this one replaced: a key is rotated once (a second rotation is refused by the unique constraint).
    rotated_from = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="rotated_to", editable=False
    )

    class Meta:
        db_table = "gateway_principal_keys"
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="principal_keys_tenant_idx")]

    def __str__(self) -> str:
        return f"{self.label} ({self.prefix})"

    @property
    def prefix(self) -> str:
        return f"gwp_{self.public_id}"


class ToolPolicy(models.Model):
    """A tenant's own rule for one tool: whether its users may call it at all, and which roles may.

    No row: the tool's own definition. Read with the tenant by the query that authenticates it
    (tenants.context), so applying the policy costs no query of its own.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="tool_policies")
    tool_name = models.CharField(max_length=100)
    enabled = models.BooleanField(default=True, help_text="Off: every call of the tool is refused (tool_disabled).")
    # The roles that may call it, instead of the tool's own; null: the tool's own.
    roles = models.JSONField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "gateway_tool_policies"
        verbose_name_plural = "tool policies"
        ordering = ["tool_name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "tool_name"], name="tool_policies_tenant_tool_uniq")]

    def __str__(self) -> str:
        return f"{self.tool_name} in {self.tenant_id}"
