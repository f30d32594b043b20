"""A gunicorn worker's memory stays flat while it ingests 50,000-point batches, batch after batch."""

import json
import re
import subprocess
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
