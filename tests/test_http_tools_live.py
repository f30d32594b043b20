"""HTTP tools on the real server (gunicorn, the production worker model) against a real upstream on 127.0.0.1.

Many calls waiting on a slow upstream at once: the server keeps answering everyone else, a call
outlives gunicorn's worker timeout, and on PostgreSQL the waiting calls hold no database connection.
"""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection

from tests.conftest import GatewayServer
from tools.http_tools import http_tool_create
from tools.tests.upstream_server import Upstream

WAITING_CALLS = 100  # "100+ calls waiting on upstreams at once": two workers of 64 threads
UPSTREAM_SECONDS = 3  # longer than the worker timeout below
WORKER_TIMEOUT = 2
POOL_SIZE = 3


def timed(send):
    started = time.monotonic()
    answer = send()
    return answer, time.monotonic() - started


SERVER_NAME = "gateway-live-http-tools"  # the server's connections say so (PGAPPNAME, read by libpq)


def server_connections() -> list[tuple]:
    """The server's connections to the database, as PostgreSQL sees them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid, state, left(query, 40) FROM pg_stat_activity WHERE application_name = %s",
                       [SERVER_NAME])  # fmt: skip
        return cursor.fetchall()


@pytest.fixture
def slow_tool(live_admin):
    upstream = Upstream()
    http_tool_create(owner=live_admin.tenant, fields={
        "name": "slow_crm", "method": "POST", "url_template": upstream.url("/slow"), "query_params": ["ms"],
        "input_schema": {"type": "object", "properties": {"ms": {"type": "integer"}}},
        "read_timeout_seconds": 10.0, "total_timeout_seconds": 10.0,
    })  # fmt: skip
    yield upstream
    upstream.stop()


def test_calls_waiting_on_a_slow_upstream_stall_nothing_and_outlive_the_worker_timeout(
    transactional_db, tmp_path, live_admin, slow_tool
):
    server = GatewayServer(
        tmp_path / "gunicorn.log", workers=2, worker_timeout=WORKER_TIMEOUT,
        extra_env={"GATEWAY_UPSTREAM_ALLOWED_HOSTS": "127.0.0.1", "DATABASE_POOL_MAX_SIZE": str(POOL_SIZE),
                   "PGAPPNAME": SERVER_NAME},
    )  # fmt: skip
    body = {"tool_name": "slow_crm", "payload": {"ms": UPSTREAM_SECONDS * 1000}}

    def slow(n: int) -> requests.Response:
        return requests.post(f"{server.url}/v1/tools/invoke", json=body,
                             headers=live_admin.headers(**{"Idempotency-Key": f"slow-{n}"}), timeout=30)  # fmt: skip

    def echo(n: int) -> requests.Response:
        return requests.post(f"{server.url}/v1/tools/invoke", json={"tool_name": "echo"},
                             headers=live_admin.headers(**{"Idempotency-Key": f"fast-{n}"}), timeout=5)  # fmt: skip

    try:
        server.wait_until_healthy()
        with ThreadPoolExecutor(WAITING_CALLS) as pool:
            waiting = [pool.submit(slow, n) for n in range(WAITING_CALLS)]
            deadline = time.monotonic() + 10
            while len(slow_tool.received("/slow")) < WAITING_CALLS and time.monotonic() < deadline:
                time.sleep(0.05)
            arrived = len(slow_tool.received("/slow"))
            connections = server_connections() if connection.vendor == "postgresql" else None
            answered_meanwhile = [timed(lambda n=n: echo(n)) for n in range(10)]
            slow_answers = [call.result() for call in waiting]
    finally:
        server.stop()

    assert arrived == WAITING_CALLS  # every call was waiting on the upstream at once
    assert [answer.status_code for answer, _ in answered_meanwhile] == [200] * 10
    assert max(seconds for _, seconds in answered_meanwhile) < 1, answered_meanwhile
    # Each call took longer than gunicorn's worker timeout, and no worker was killed for it.
    assert [answer.status_code for answer in slow_answers] == [200] * WAITING_CALLS
    assert {answer.json()["result"]["status"] for answer in slow_answers} == {200}
    assert "WORKER TIMEOUT" not in server.log_path.read_text()
    if connections is not None:
        # Two processes, each with a pool of POOL_SIZE: the waiting calls hold none of their own.
        assert 1 <= len(connections) <= 2 * POOL_SIZE, connections
