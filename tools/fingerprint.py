import hashlib
import json


def canonical_json(document) -> bytes:
    """Sorted keys, no whitespace, ASCII escapes: equal documents give equal bytes."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def request_fingerprint(document) -> str:
    return hashlib.sha256(canonical_json(document)).hexdigest()
