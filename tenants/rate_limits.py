"""Rate limits per tenant, per user and per tool: sliding one-minute windows counted in the cache.

Counters live in Django's cache (Redis when REDIS_URL is set, so every process and
machine counts together). When the cache cannot be reached the gateway fails open:
it serves the request and says so in the log, rather than refusing everyone.

A tenant's own limits (its TenantLimits row) win over the GATEWAY_RATE_LIMIT_* settings. They are read
with the tenant by the query that authenticates it (tenants.context), so they cost no query of their own.
"""

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from gateway_project.errors import DENIED, GatewayError
from tenants.models import Tenant, TenantUser

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
# After the cache fails, stop asking it for this long: a dead Redis must not cost every request a timeout.
CACHE_RETRY_AFTER_FAILURE_SECONDS = 5.0
_cache_down_until = 0.0


@dataclass(frozen=True)
class Limit:
    scope: str  # "tenant", "user" or "tool": what the 429 names
    subject: str  # what is counted
    per_minute: int


class RateLimited(GatewayError):
    status_code = 429
    default_code = "rate_limited"
    outcome = DENIED

    def __init__(self, limit: Limit, retry_after: int):
        super().__init__(
            f"Rate limit exceeded: {limit.per_minute} requests per minute for this {limit.scope}",
            headers={"Retry-After": str(retry_after)},
        )


def _configured(override: int | None, default: int) -> int:
    return default if override is None else override


def tenant_limits(tenant: Tenant, user: TenantUser) -> list[Limit]:
    """The user's limit first: a user over its own limit is refused before it counts for the tenant."""
    own = tenant.own_limits
    return [
        Limit("user", f"u:{tenant.id}:{user.id}",
              _configured(own.user_rate_limit_per_minute, settings.GATEWAY_RATE_LIMIT_USER_PER_MINUTE)),
        Limit("tenant", f"t:{tenant.id}",
              _configured(own.rate_limit_per_minute, settings.GATEWAY_RATE_LIMIT_TENANT_PER_MINUTE)),
    ]  # fmt: skip


def tool_limit(tenant: Tenant, tool_name: str) -> Limit:
    per_minute = _configured(tenant.own_limits.tool_rate_limit_per_minute, settings.GATEWAY_RATE_LIMIT_TOOL_PER_MINUTE)
    return Limit("tool", f"tool:{tenant.id}:{tool_name}", per_minute)


def _key(limit: Limit, window: int) -> str:
    return f"rl:{limit.subject}:{window}"


def _count_one(key: str) -> int:
    """Add one to the window's counter (a single atomic INCR when it exists, as it mostly does)."""
    try:
        return cache.incr(key)
    except ValueError:  # the window's first request: create the counter, unless a racer just did
        if cache.add(key, 1, timeout=2 * WINDOW_SECONDS):
            return 1
        return cache.incr(key)


def rate_limit_check(limits: Sequence[Limit], *, now: float | None = None) -> None:
    """Admit one request against every limit, or raise RateLimited naming the first one exceeded.

    The estimate weighs the previous window by how much of it still overlaps the last
    minute (Cloudflare's sliding-window counter): no burst of twice the limit at a boundary.
    Only admitted requests count: every limit is checked before any is counted, so a request
    refused by one limit (the tool's, say) never spends another (the user's or the tenant's).
    Two requests that pass the check together may both count; the one that then finds itself
    over a limit takes its counts back and is refused.
    """
    global _cache_down_until
    active = [limit for limit in limits if limit.per_minute > 0]
    now = time.time() if now is None else now
    if not active or now < _cache_down_until:
        return
    window, into_window = divmod(now, WINDOW_SECONDS)
    window = int(window)
    previous_weight = 1 - into_window / WINDOW_SECONDS
    retry_after = max(1, math.ceil(WINDOW_SECONDS - into_window))
    try:
        seen = cache.get_many([_key(limit, w) for limit in active for w in (window - 1, window)])
        for limit in active:
            past = seen.get(_key(limit, window - 1), 0) * previous_weight
            if past + seen.get(_key(limit, window), 0) + 1 > limit.per_minute:
                raise RateLimited(limit, retry_after=retry_after)
        counted = []
        for limit in active:
            counted.append(_key(limit, window))
            past = seen.get(_key(limit, window - 1), 0) * previous_weight
            if past + _count_one(counted[-1]) > limit.per_minute:
                for key in counted:
                    cache.decr(key)
                raise RateLimited(limit, retry_after=retry_after)
    except RateLimited:
        raise
    except Exception as failure:  # the cache is down or misbehaving: fail open, loudly
        _cache_down_until = now + CACHE_RETRY_AFTER_FAILURE_SECONDS
        logger.warning("Rate limiting skipped, the cache failed (%s: %s)", type(failure).__name__, failure)


@dataclass(frozen=True)
class LimitState:
    limit: Limit
    used: float | None  # the sliding-window estimate of the last minute; None: the cache could not say


def rate_limit_state(limits: Sequence[Limit], *, now: float | None = None) -> list[LimitState]:
    """How much of each limit the last minute used, counted as rate_limit_check counts it, without counting."""
    now = time.time() if now is None else now
    window, into_window = divmod(now, WINDOW_SECONDS)
    window = int(window)
    previous_weight = 1 - into_window / WINDOW_SECONDS
    try:
        seen = cache.get_many([_key(limit, w) for limit in limits for w in (window - 1, window)])
    except Exception:  # the cache is down: nothing to report, as nothing is enforced
        return [LimitState(limit, None) for limit in limits]
    return [
        LimitState(limit, seen.get(_key(limit, window - 1), 0) * previous_weight + seen.get(_key(limit, window), 0))
        for limit in limits
    ]
