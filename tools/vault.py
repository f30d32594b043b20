"""The credentials vault: secrets a tool sends upstream, encrypted at rest with Fernet (`cryptography`).

GATEWAY_VAULT_KEYS lists the keys: the first encrypts, every one decrypts (MultiFernet), so a new key
is prepended, `manage.py reencrypt_vault` moves every row under it, and the old key is then dropped.
A value leaves this module only through `secret_reveal`, for the call upstream, and never appears in
an answer, a console page, a log line or an audit row; `redact` removes it from upstream text
(an error body that echoes it) before that text is stored or returned.
"""

import base64
import hashlib
import logging
import re
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import quote, quote_plus

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction

from gateway_project.errors import GatewayError, ValidationFailed
from tenants.models import Tenant
from tools.models import SECRET_NAME_MAX_LENGTH, SECRET_NAME_PATTERN, VaultSecret

logger = logging.getLogger(__name__)

REDACTED = "[redacted]"
REENCRYPT_BATCH_SIZE = 100


class VaultUnavailable(GatewayError, ImproperlyConfigured):
    """No key to encrypt or decrypt with: the operator's configuration, not the caller's request.

    Also an ImproperlyConfigured, so a command or a check reads it as the setting it is about.
    """

    status_code = 503
    default_code = "vault_unavailable"
    default_detail = "The credentials vault is not configured (GATEWAY_VAULT_KEYS); ask the gateway's operator"


def key_fingerprint(key: str) -> str:
    """Which key encrypted a row: the first 16 hex digits of the SHA-256 of the key's text."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


@lru_cache(maxsize=4)
def _keyring(keys: tuple[str, ...]) -> tuple[MultiFernet, str]:
    return MultiFernet([Fernet(key) for key in keys]), key_fingerprint(keys[0])


def _vault() -> tuple[MultiFernet, str]:
    """The keys as configured now (tests change them), and the current key's fingerprint."""
    keys = tuple(settings.GATEWAY_VAULT_KEYS)
    if not keys:
        raise VaultUnavailable()
    return _keyring(keys)


def current_key_fingerprint() -> str:
    return _vault()[1]


def _validated(name: str, value: str) -> None:
    errors: dict[str, list[str]] = {}
    if not 1 <= len(name) <= SECRET_NAME_MAX_LENGTH or not re.fullmatch(SECRET_NAME_PATTERN, name):
        errors["name"] = [f"1 to {SECRET_NAME_MAX_LENGTH} characters: lower-case letters, digits, '_', '.', '-'; "
                          "first a letter or digit."]  # fmt: skip
    limit = settings.GATEWAY_VAULT_MAX_SECRET_BYTES
    if not isinstance(value, str) or not 1 <= len(value.encode()) <= limit:
        errors["value"] = [f"1 to {limit} bytes (UTF-8)."]
    if errors:
        raise ValidationFailed(errors)


def secret_store(*, tenant: Tenant | None, name: str, value: str) -> VaultSecret:
    """Encrypt `value` under the current key as `name` (an upsert; the last of two concurrent stores wins).

    `tenant` None: the operator's own secret. The returned row's `created` says whether it was new.
    """
    _validated(name, value)
    keyring, fingerprint = _vault()
    ciphertext = keyring.encrypt(value.encode()).decode()
    with transaction.atomic():
        secret = VaultSecret.objects.select_for_update().filter(tenant=tenant, name=name).first()
        created = secret is None
        if created:
            try:
                with transaction.atomic():  # a savepoint: a concurrent first store may win the name
                    secret = VaultSecret.objects.create(
                        tenant=tenant, name=name, ciphertext=ciphertext, key_fingerprint=fingerprint
                    )
            except IntegrityError:
                secret, created = VaultSecret.objects.select_for_update().get(tenant=tenant, name=name), False
        if not created:
            secret.ciphertext, secret.key_fingerprint = ciphertext, fingerprint
            secret.save(update_fields=["ciphertext", "key_fingerprint", "updated_at"])
    secret.created = created
    owner = str(tenant.pk) if tenant else "operator"
    logger.info("vault secret %s %s", name, "stored" if created else "replaced",
                extra={"secret_name": name, "tenant_id": owner, "key_fingerprint": fingerprint})  # fmt: skip
    return secret


def secret_reveal(*, secret: VaultSecret) -> str:
    """The value in the clear: only to place into the request sent upstream, at call time.

    Never return it, log it, audit it or show it; redact upstream text with `redact` before keeping it.
    """
    keyring, _ = _vault()
    try:
        return keyring.decrypt(secret.ciphertext.encode()).decode()
    except InvalidToken:
        raise _no_key_for(secret) from None


def _no_key_for(secret: VaultSecret) -> VaultUnavailable:
    # An old key was dropped before reencrypt_vault moved this row: say which key it needs, not what it holds.
    logger.error("vault secret %s is under key %s, which no configured key decrypts", secret.name,
                 secret.key_fingerprint)  # fmt: skip
    return VaultUnavailable(
        f"Secret '{secret.name}' is encrypted under key {secret.key_fingerprint}, which GATEWAY_VAULT_KEYS no longer "
        "holds"
    )


def secret_delete(*, tenant: Tenant | None, name: str) -> bool:
    """Remove the secret. False when there was none by that name."""
    removed, _ = VaultSecret.objects.filter(tenant=tenant, name=name).delete()
    return bool(removed)


def _rotated(keyring: MultiFernet, ciphertext: str) -> str:
    return keyring.rotate(ciphertext.encode()).decode()


def vault_reencrypt(*, batch_size: int = REENCRYPT_BATCH_SIZE) -> int:
    """Move every row not under the current key to it; how many rows moved.

    Each row is written only if its ciphertext is still the one read, so a value stored meanwhile
    (already under the current key) is never overwritten with the old one. The value and `updated_at`
    stay as they were: only the encryption changes.
    """
    keyring, fingerprint = _vault()
    moved, after = 0, None
    while True:
        pending = VaultSecret.objects.exclude(key_fingerprint=fingerprint).order_by("pk")
        if after is not None:
            pending = pending.filter(pk__gt=after)
        batch = list(pending[:batch_size])
        if not batch:
            return moved
        with transaction.atomic():
            for secret in batch:
                try:
                    rotated = _rotated(keyring, secret.ciphertext)
                except InvalidToken:
                    raise _no_key_for(secret) from None
                moved += VaultSecret.objects.filter(pk=secret.pk, ciphertext=secret.ciphertext).update(
                    ciphertext=rotated, key_fingerprint=fingerprint
                )
        after = batch[-1].pk


def _forms(secret: str) -> set[str]:
    """The ways a secret appears in upstream text: as is, URL-encoded, and base64 (standard, URL-safe, unpadded)."""
    encoded = secret.encode()
    standard, urlsafe = base64.b64encode(encoded).decode(), base64.urlsafe_b64encode(encoded).decode()
    return {secret, quote(secret, safe=""), quote(secret), quote_plus(secret), standard, urlsafe,
            standard.rstrip("="), urlsafe.rstrip("=")}  # fmt: skip


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with each secret, in any of its forms, replaced by `[redacted]`."""
    forms = {form for secret in secrets if secret for form in _forms(secret)}
    # Longest first, so a form containing another is replaced whole.
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, REDACTED)
    return text
