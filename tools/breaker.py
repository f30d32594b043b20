"""A circuit breaker per upstream (scheme, host, port), in each worker process.

    closed ── N failures in a row ──▶ open ── cool-down over ──▶ half-open: one probe call
      ▲                                 ▲                              │
      └──────── the probe succeeds ─────┼──────── the probe fails ─────┘

While open (and while the probe is out) calls fail fast, without touching the upstream. A failure
is an upstream that could not be reached, timed out, reset, or answered 5xx; any other answer,
4xx included, shows the upstream alive. The state is the process's own, as in most proxies:
it spares a failing upstream and our workers, and guarantees nothing, so it needs no shared store
(each of N processes sends at most N × threshold calls before all have opened).
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class BreakerOpen(Exception):
    def __init__(self, origin: str, retry_after: float):
        self.origin = origin
        self.retry_after = retry_after
        super().__init__(f"circuit open for {origin}")


@dataclass
class _Circuit:
    failures: int = 0
    opened_at: float | None = None
    probing: bool = False


class CircuitBreaker:
    def __init__(self, *, failures_to_open: Callable[[], int], cooldown_seconds: Callable[[], float],
                 clock: Callable[[], float] = time.monotonic):  # fmt: skip
        # Settings are read at each call, so a test (or an operator's reload) sees the current ones.
        self._failures_to_open = failures_to_open
        self._cooldown = cooldown_seconds
        self._clock = clock
        self._circuits: dict[str, _Circuit] = {}
        self._lock = threading.Lock()

    def admit(self, origin: str) -> None:
        """Let a call through, or raise BreakerOpen; a call let through must end in `succeeded` or `failed`."""
        with self._lock:
            circuit = self._circuits.get(origin)
            if circuit is None or circuit.opened_at is None:
                return
            waited = self._clock() - circuit.opened_at
            if circuit.probing or waited < self._cooldown():
                raise BreakerOpen(origin, retry_after=max(1.0, self._cooldown() - waited))
            circuit.probing = True  # half-open: this call is the probe

    def succeeded(self, origin: str) -> None:
        with self._lock:
            self._circuits.pop(origin, None)

    def failed(self, origin: str) -> None:
        with self._lock:
            circuit = self._circuits.setdefault(origin, _Circuit())
            circuit.failures += 1
            if circuit.probing or circuit.failures >= self._failures_to_open():
                circuit.opened_at, circuit.probing = self._clock(), False

    def state(self, origin: str) -> BreakerState:
        with self._lock:
            circuit = self._circuits.get(origin)
            if circuit is None or circuit.opened_at is None:
                return BreakerState.CLOSED
            if circuit.probing or self._clock() - circuit.opened_at >= self._cooldown():
                return BreakerState.HALF_OPEN
            return BreakerState.OPEN

    def reset(self) -> None:
        with self._lock:
            self._circuits.clear()
