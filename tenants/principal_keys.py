"""Principal keys: minted by a tenant admin for one user of the tenant, listed, revoked and rotated.

The secret is returned once, by the call that mints it; only its digest is stored. Revoking or
expiring a key changes its row, which every request reads (tenants.context): nothing is cached.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from gateway_project.errors import Conflict, ValidationFailed
from tenants.api_keys import api_key_digest, principal_key_generate
from tenants.models import PrincipalKey, Tenant, TenantUser


class KeyAlreadyRotated(Conflict):
    default_code = "key_already_rotated"
    default_detail = "This key was already rotated; rotate its successor instead"


class KeyRevokedAlready(Conflict):
    default_code = "key_not_active"
    default_detail = "This key is revoked or expired; mint a new one instead"


def _scope_errors(tenant: Tenant, tools: list[str] | None) -> list[str]:
    if tools is None:
        return []
    from tools.providers import tool_resolve  # tools builds on tenants; importing it at module level would cycle

    limit = settings.GATEWAY_PRINCIPAL_KEY_MAX_TOOLS
    if len(tools) > limit:
        return [f"Name at most {limit} tools."]
    unknown = [name for name in tools if tool_resolve(tenant=tenant, name=name) is None]
    return [f"Unknown tool '{name}'." for name in unknown[:10]]


def principal_key_create(
    *,
    tenant: Tenant,
    user: TenantUser,
    label: str,
    expires_at: datetime | None = None,
    tools: list[str] | None = None,
    rotated_from: PrincipalKey | None = None,
) -> tuple[PrincipalKey, str]:
    """Mint a key for `user`; returns it with its secret, which is never retrievable again.

    `tools` limits what the key may call (None: whatever its user may call; [] : nothing).
    """
    errors: dict[str, list[str]] = {}
    if user.tenant_id != tenant.id:
        errors["user_id"] = ["No such user in this tenant."]
    if not label.strip():
        errors["label"] = ["Give the key a label."]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = ["Must be in the future."]
    scope_errors = _scope_errors(tenant, tools)
    if scope_errors:
        errors["tools"] = scope_errors
    if errors:
        raise ValidationFailed(errors)
    public_id, secret = principal_key_generate()
    key = PrincipalKey.objects.create(
        tenant=tenant,
        user=user,
        public_id=public_id,
        digest=api_key_digest(secret),
        label=label.strip(),
        expires_at=expires_at,
        tools=None if tools is None else sorted(set(tools)),
        rotated_from=rotated_from,
    )
    return key, secret


def principal_key_revoke(*, key: PrincipalKey) -> bool:
    """Refuse the key from this commit on, on every server. False, changing nothing, when it was revoked already."""
    changed = PrincipalKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db(fields=["revoked_at"])
    return bool(changed)


def principal_key_rotate(*, key: PrincipalKey, grace_seconds: int) -> tuple[PrincipalKey, str]:
    """A successor for the key (same user, label, scope and expiry); the old key keeps working for
    `grace_seconds` more, then stops. A key is rotated once: a second rotation is a 409."""
    now = timezone.now()
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        raise KeyRevokedAlready()
    old_ends = now + timedelta(seconds=grace_seconds)
    try:
        with transaction.atomic():
            successor, secret = principal_key_create(
                tenant=key.tenant,
                user=key.user,
                label=key.label,
                expires_at=key.expires_at,
                tools=key.tools,
                rotated_from=key,
            )
            if key.expires_at is None or old_ends < key.expires_at:
                PrincipalKey.objects.filter(pk=key.pk).update(expires_at=old_ends)
    except IntegrityError:
        raise KeyAlreadyRotated() from None  # rotated_from is unique: another rotation won
    key.refresh_from_db(fields=["expires_at"])
    return successor, secret
