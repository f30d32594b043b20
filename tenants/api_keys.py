"""API keys: 256 random bits shown once, stored as a SHA-256 digest.

A password hasher would cost ~100 ms on every request; it buys nothing here
because a 256-bit random key cannot be guessed, so a fast digest is enough.
"""

import hashlib
import hmac
import secrets

KEY_PREFIX = "gwk_"


def api_key_generate() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def api_key_digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8", "surrogatepass")).hexdigest()


def api_key_fingerprint(api_key: str) -> str:
    """Names a key in the audit log without revealing it: the first 16 hex digits of its digest."""
    return api_key_digest(api_key)[:16] if api_key else ""


def api_key_matches(api_key: str, digest: str) -> bool:
    return hmac.compare_digest(api_key_digest(api_key), digest)


# Principal keys: gwp_<public id>_<secret>. The public id (16 hex digits) finds the key and names it in
# lists and the audit trail; the secret, like the tenant key's, is 256 random bits kept only as a digest.
PRINCIPAL_KEY_PREFIX = "gwp_"
_PUBLIC_ID_HEX_DIGITS = 16


def principal_key_generate() -> tuple[str, str]:
    """(public id, the whole key)."""
    public_id = secrets.token_hex(_PUBLIC_ID_HEX_DIGITS // 2)
    return public_id, f"{PRINCIPAL_KEY_PREFIX}{public_id}_{secrets.token_urlsafe(32)}"


def is_principal_key(api_key: str) -> bool:
    return api_key.startswith(PRINCIPAL_KEY_PREFIX)


def principal_key_public_id(api_key: str) -> str | None:
    """The public id a principal key names, or None when it is not shaped like one."""
    public_id, separator, secret = api_key.removeprefix(PRINCIPAL_KEY_PREFIX).partition("_")
    shaped = (
        is_principal_key(api_key)
        and separator
        and secret
        and len(public_id) == _PUBLIC_ID_HEX_DIGITS
        and all(digit in "0123456789abcdef" for digit in public_id)
    )
    return public_id if shaped else None
