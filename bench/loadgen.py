"""A small closed-loop HTTP load generator, used when wrk is not installed.

Each of `connections` threads keeps one HTTP/1.1 connection open and sends the
next request as soon as the previous answer arrives, for `seconds` seconds.
"""

import http.client
import threading
import time
from collections import Counter
from collections.abc import Callable


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def run_load(
    host: str,
    port: int,
    make_request: Callable[[int, int], tuple[str, str, dict, bytes]],
    *,
    connections: int,
    seconds: float,
) -> dict:
    """make_request(worker, n) -> (method, path, headers, body). Returns wrk-like figures, answers counted by status."""
    latencies: list[list[float]] = [[] for _ in range(connections)]
    statuses: list[Counter] = [Counter() for _ in range(connections)]
    errors = [0] * connections
    deadline = time.monotonic() + seconds

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        n = 0
        while time.monotonic() < deadline:
            n += 1
            method, path, headers, body = make_request(index, n)
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
                continue
            latencies[index].append(time.perf_counter() - started)
            statuses[index][str(response.status)] += 1
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(index,)) for index in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    duration = time.monotonic() - started
    every = sorted(latency for per_thread in latencies for latency in per_thread)
    return {
        "requests": len(every),
        "duration_us": int(duration * 1e6),
        "p50_us": int(percentile(every, 0.50) * 1e6),
        "p99_us": int(percentile(every, 0.99) * 1e6),
        "statuses": dict(sum(statuses, Counter())),
        "socket_errors": sum(errors),
    }
