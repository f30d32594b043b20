"""Slow and oversized clients against the real server: nobody else waits, every attempt is audited."""

import http.client
import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from audit.models import AuditLog
from tenants.models import Role, TenantUser
from tests.conftest import GatewayServer, serve

pytestmark = pytest.mark.live_server_processes
WORKERS, THREADS = 2, 2


@pytest.fixture
def small_server(transactional_db, tmp_path):
    """Two worker processes of two threads each, and a one-second body timeout."""
    server = GatewayServer(
        tmp_path / "gunicorn.log",
        workers=WORKERS,
        extra_env={"GATEWAY_WORKER_THREADS": str(THREADS), "GATEWAY_BODY_READ_TIMEOUT_SECONDS": "1"},
    )
    yield from serve(server)


def raw_connection(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def invoke_head(actor, length: int, key: str) -> bytes:
    headers = actor.headers(**{"Idempotency-Key": key, "Content-Type": "application/json"})
    lines = [f"{name}: {value}" for name, value in headers.items()]
    return ("POST /v1/tools/invoke HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "\r\n".join(lines)
            + f"\r\nContent-Length: {length}\r\n\r\n").encode()  # fmt: skip


def timed(send) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = send()
    return response, time.monotonic() - started


def test_slow_clients_leave_everyone_else_served(small_server, live_admin):
    """Twelve connections that stall mid-headers or mid-body: more than the server's processes
    and its threads together. Health checks and invocations from others are still answered at once."""
    stalled = []
    try:
        for n in range(6):
            half_headers = raw_connection(small_server)
            half_headers.sendall(b"POST /v1/tools/invoke HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Tenant-")
            half_body = raw_connection(small_server)
            half_body.sendall(invoke_head(live_admin, 1000, f"slow-{n}") + b'{"tool_name": "ec')
            stalled += [half_headers, half_body]
        time.sleep(0.3)

        health, health_seconds = timed(lambda: requests.get(f"{small_server}/healthz", timeout=5))
        echo, echo_seconds = timed(
            lambda: requests.post(
                f"{small_server}/v1/tools/invoke", json={"tool_name": "echo", "payload": {"text": "hi"}},
                headers=live_admin.headers(**{"Idempotency-Key": "fast"}), timeout=5,
            )
        )  # fmt: skip
    finally:
        for connection in stalled:
            connection.close()

    assert (health.status_code, echo.status_code) == (200, 200)
    assert health_seconds < 1 and echo_seconds < 1, (health_seconds, echo_seconds)
    print(f"\nSLOW CLIENTS: 12 stalled, healthz {health_seconds * 1000:.0f} ms, echo {echo_seconds * 1000:.0f} ms")


def test_a_body_that_stops_arriving_is_a_408_and_audited(small_server, live_admin):
    connection = raw_connection(small_server)
    try:
        connection.sendall(invoke_head(live_admin, 100, "stalled") + b'{"tool_name": "echo"')
        answer = http.client.HTTPResponse(connection)
        answer.begin()
        body = json.loads(answer.read())
    finally:
        connection.close()

    assert (answer.status, body) == (408, {"detail": "The request body did not arrive within 1 s",
                                           "code": "request_timeout"})  # fmt: skip
    audit = AuditLog.objects.get()
    assert (audit.outcome, audit.status_code, audit.error_code, audit.idempotency_key) == (
        "error", 408, "request_timeout", "stalled",
    )  # fmt: skip


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_an_oversized_invocation_is_answered_and_audited(small_server, live_admin, framing):
    member = TenantUser.objects.create(tenant=live_admin.tenant, email="m@acme.test", role=Role.MEMBER)
    body = b'{"tool_name": "echo", "payload": {"text": "' + b"x" * (11 * 1024 * 1024) + b'"}}'

    def send(user_id: str, key: str) -> requests.Response:
        data = body if framing == "content-length" else (body[at : at + 65536] for at in range(0, len(body), 65536))
        headers = live_admin.headers(
            **{"Idempotency-Key": key, "X-User-ID": user_id, "Content-Type": "application/json"}
        )
        return requests.post(f"{small_server}/v1/tools/invoke", data=data, headers=headers, timeout=30)

    admin_answer = send(str(live_admin.user.id), "big-admin")
    member_answer = send(str(member.id), "big-member")

    assert (admin_answer.status_code, admin_answer.json()["code"]) == (413, "payload_too_large")
    assert (member_answer.status_code, member_answer.json()["code"]) == (403, "permission_denied")
    rows = {row.idempotency_key: row for row in AuditLog.objects.all()}
    assert (rows["big-admin"].outcome, rows["big-admin"].status_code) == ("error", 413)
    assert (rows["big-member"].outcome, rows["big-member"].status_code, rows["big-member"].user) == (
        "denied", 403, member,
    )  # fmt: skip


def test_slow_tools_leave_everyone_else_served(transactional_db, tmp_path, live_admin):
    """One worker process: three calls of a tool that takes two seconds, and meanwhile a health check
    and an echo are answered at once, since a request steps aside while its tool runs."""
    server = GatewayServer(tmp_path / "gunicorn.log", workers=1, extra_env={"GATEWAY_WORKER_THREADS": "4"})

    sleep = {"tool_name": "test_sleep", "payload": {"seconds": 2}}

    def slow(n: int) -> requests.Response:
        return requests.post(f"{server.url}/v1/tools/invoke", json=sleep,
                             headers=live_admin.headers(**{"Idempotency-Key": f"slow-{n}"}), timeout=30)  # fmt: skip

    try:
        server.wait_until_healthy()
        with ThreadPoolExecutor(3) as pool:
            sleepers = [pool.submit(slow, n) for n in range(3)]
            time.sleep(0.5)
            health, health_seconds = timed(lambda: requests.get(f"{server.url}/healthz", timeout=5))
            echo, echo_seconds = timed(
                lambda: requests.post(f"{server.url}/v1/tools/invoke", json={"tool_name": "echo"},
                                      headers=live_admin.headers(**{"Idempotency-Key": "fast"}), timeout=5)
            )  # fmt: skip
            slow_answers = [sleeper.result() for sleeper in sleepers]
    finally:
        server.stop()

    assert [answer.status_code for answer in slow_answers] == [200] * 3
    assert (health.status_code, echo.status_code) == (200, 200)
    assert health_seconds < 1 and echo_seconds < 1, (health_seconds, echo_seconds)
