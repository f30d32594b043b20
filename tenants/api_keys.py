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
