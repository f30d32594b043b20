"""Memory stays bounded: flat across large ingest batches, and when many large bodies arrive at once."""

import json
import re
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from tests.conftest import GatewayServer

pytestmark = pytest.mark.live_server_processes
BATCH, BATCHES = 50_000, 8
# After the first batches warm the worker up, the rest may add no more than this.
GROWTH_LIMIT_MB = 20


def worker_rss_mb(server: GatewayServer) -> float:
    (pid,) = subprocess.run(["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True).stdout.split()
    return int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1)) / 1024


def test_worker_memory_is_bounded_across_large_batches(transactional_db, tmp_path, live_admin):
    server = GatewayServer(tmp_path / "gunicorn.log", workers=1)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    sizes = []
    try:
        server.wait_until_healthy()
        headers = live_admin.headers()
        kpi_id = requests.post(f"{server.url}/v1/kpis", json={"name": "Memory"}, headers=headers, timeout=10).json()[
            "kpi_id"
        ]
        for batch in range(BATCHES):
            points = [{"ts": (start + timedelta(seconds=batch * BATCH + n)).isoformat(), "value": float(n)}
                      for n in range(BATCH)]  # fmt: skip
            response = requests.post(f"{server.url}/v1/kpis/{kpi_id}/points:bulk", data=json.dumps({"points": points}),
                                     headers={**headers, "Content-Type": "application/json"}, timeout=60)  # fmt: skip
            assert response.json() == {"inserted": BATCH, "ignored": 0}
            sizes.append(worker_rss_mb(server))
    finally:
        server.stop()

    print(f"\nworker RSS after each 50,000-point batch (MB): {[round(size) for size in sizes]}")
    assert max(sizes[2:]) - sizes[1] < GROWTH_LIMIT_MB, sizes


def server_rss_mb(server: GatewayServer) -> float:
    """The server's whole resident memory: the gunicorn master and every worker."""
    pids = [server.process.pid, *map(int, subprocess.run(["pgrep", "-P", str(server.process.pid)],
                                                          capture_output=True, text=True).stdout.split())]  # fmt: skip
    total_kb = 0
    for pid in pids:
        status = Path(f"/proc/{pid}/status")
        if status.exists():
            total_kb += int(re.search(r"VmRSS:\s+(\d+)", status.read_text()).group(1))
    return total_kb / 1024


def ten_megabytes_of(element: bytes) -> bytes:
    head, tail = b'{"tool_name": "echo", "payload": {"items": [', b"]}}"
    count = (10 * 1024 * 1024 - len(head) - len(tail)) // (len(element) + 1)
    return head + b",".join([element] * count) + tail


# Growth of the whole server's memory (2 workers of 8 threads) while 16 such bodies arrive at once.
# One large body at a time per worker (GATEWAY_MAX_CONCURRENT_LARGE_BODIES): measured +90 MB and +440 MB.
# Unbounded, each worker would handle 8 at once: 10 MB of "[]," alone parsed to ~300 MB, of floats ~250 MB.
PEAK_GROWTH_LIMIT_MB = 800


@pytest.mark.parametrize(
    ("element", "status", "code"),
    [(b"[]", 400, "json_too_complex"), (b"1.5", 502, "result_too_large")],
    ids=["nested-empty-arrays", "floats"],
)
def test_sixteen_ten_megabyte_bodies_at_once_keep_memory_bounded(
    transactional_db, tmp_path, live_admin, element, status, code
):
    server = GatewayServer(tmp_path / "gunicorn.log", workers=2, extra_env={"GATEWAY_WORKER_THREADS": "8"})
    body = ten_megabytes_of(element)
    assert len(body) <= 10 * 1024 * 1024
    peak, sampling = [0.0], threading.Event()

    def sample():
        while not sampling.is_set():
            peak[0] = max(peak[0], server_rss_mb(server))
            time.sleep(0.02)

    def send(n: int) -> requests.Response:
        headers = live_admin.headers(**{"Idempotency-Key": f"big-{n}", "Content-Type": "application/json"})
        return requests.post(f"{server.url}/v1/tools/invoke", data=body, headers=headers, timeout=120)

    try:
        server.wait_until_healthy()
        before = server_rss_mb(server)
        sampler = threading.Thread(target=sample)
        sampler.start()
        with ThreadPoolExecutor(16) as clients:
            answers = list(clients.map(send, range(16)))
        sampling.set()
        sampler.join()
    finally:
        server.stop()

    assert [(answer.status_code, answer.json()["code"]) for answer in answers] == [(status, code)] * 16
    growth = peak[0] - before
    print(f"\nMEMORY 16 x 10 MB {element.decode()!r} bodies at once: server {before:.0f} MB -> peak {peak[0]:.0f} MB "
          f"(+{growth:.0f} MB)")  # fmt: skip
    assert growth < PEAK_GROWTH_LIMIT_MB
