"""The client's address: the socket's, or X-Forwarded-For's, counted back through trusted proxies only."""

import ipaddress

from django.conf import settings


def normalized_ip(address: str | None) -> str | None:
    """The address as the database stores it: compressed, without an IPv6 zone (fe80::1%eth0)."""
    try:
        parsed = ipaddress.ip_address((address or "").strip().split("%", 1)[0])
    except ValueError:
        return None
    return parsed.compressed


def client_ip(request) -> str | None:
    """With N trusted proxies, each appends the address it received from, so the client is the
    N-th entry from the right of X-Forwarded-For; anything further left is the client's own claim."""
    remote = normalized_ip(request.META.get("REMOTE_ADDR"))
    hops = settings.GATEWAY_TRUSTED_PROXY_COUNT
    if hops == 0:
        return remote
    forwarded = [entry for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()]
    if len(forwarded) < hops:
        return remote  # it did not come through all our proxies: trust only the socket
    return normalized_ip(forwarded[-hops]) or remote
