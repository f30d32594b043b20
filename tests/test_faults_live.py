"""Faults against the real server: a tool that raises, a database that goes away, a worker killed
mid-call, and 32 writers at once. Each test prints what it sent, what ran, what was metered, what was lost."""

import os
import signal
import sqlite3
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import requests
from django.db import connection

from audit.models import AuditLog, UsageEvent
from audit.verification import audit_chain_verify
from conftest import shared_test_database_url
from tests.conftest import GatewayServer
from tools.models import IdempotencyKey

pytestmark = pytest.mark.live_server_processes
LOCK_TIMEOUT = 2


def figures(name: str, **numbers: int) -> None:
    print(f"\nFAULT {name}: " + ", ".join(f"{key}={value}" for key, value in numbers.items()))


@pytest.fixture
def effects(tmp_path):
    path = tmp_path / "effects.log"
    path.touch()
    return path


def _server(tmp_path, effects, **extra_env):
    """One worker process (so its pid is known), a short lock timeout and a short SQLite busy timeout."""
    started = GatewayServer(
        tmp_path / "gunicorn.log",
        workers=1,
        extra_env={
            "GATEWAY_IDEMPOTENCY_LOCK_TIMEOUT_SECONDS": str(LOCK_TIMEOUT),
            "SQLITE_BUSY_TIMEOUT_SECONDS": "1",
            "GATEWAY_TEST_EFFECT_FILE": str(effects),
            **extra_env,
        },
    )
    try:
        started.wait_until_healthy()
        yield started
    finally:
        started.stop()


@pytest.fixture
def server(transactional_db, tmp_path, effects):
    yield from _server(tmp_path, effects)


@pytest.fixture
def server_holding_its_connection(transactional_db, tmp_path, effects):
    """Without the PostgreSQL pool: a request keeps its connection while its tool runs, so killing the
    database's sessions mid-call breaks the request's own connection."""
    yield from _server(tmp_path, effects, DATABASE_POOL_MAX_SIZE="0")


def invoke(url, actor, body, key, timeout=30):
    return requests.post(
        f"{url}/v1/tools/invoke", json=body, headers=actor.headers(**{"Idempotency-Key": key}), timeout=timeout
    )


def executions(effects) -> int:
    return len(effects.read_text().splitlines())


def test_a_tool_that_raises(server, live_admin):
    first = invoke(server.url, live_admin, {"tool_name": "test_explode"}, "explode")
    retry = invoke(server.url, live_admin, {"tool_name": "test_explode"}, "explode")

    for response in (first, retry):
        assert response.status_code == 500
        assert response.json() == {"detail": "Internal server error", "code": "server_error"}
        assert "Traceback" not in response.text and "secret internal detail" not in response.text
    # Released each time, so the retry ran the tool again rather than replaying the failure.
    assert not IdempotencyKey.objects.exists()
    assert list(AuditLog.objects.values_list("outcome", "status_code")) == [("error", 500), ("error", 500)]
    assert not UsageEvent.objects.exists()
    figures("tool raises", sent=2, executed=2, metered=0, lost=0)


def test_a_database_that_is_gone(transactional_db, tmp_path, live_admin):
    server = GatewayServer(tmp_path / "gunicorn.log", workers=1,
                           extra_env={"DATABASE_URL": "postgres://gateway@127.0.0.1:1/nowhere"})  # fmt: skip
    try:
        server.wait_until_healthy(expect_status=503)
        health = requests.get(f"{server.url}/healthz", timeout=10)
        call = invoke(server.url, live_admin, {"tool_name": "echo"}, "no-db")
    finally:
        server.stop()
    assert (health.status_code, health.json()["code"]) == (503, "database_unavailable")
    assert call.status_code == 503
    assert call.json() == {"detail": "The database is unavailable; retry shortly", "code": "database_unavailable"}
    assert call.headers["Retry-After"] == "1"
    figures("database gone", sent=2, executed=0, metered=0, lost=0)


def _until_the_tool_runs(key: str, effects) -> None:
    """Wait for the key's claim to be committed; the tool (1 s) starts right after it, and is still running."""
    deadline = time.monotonic() + 10
    while not IdempotencyKey.objects.filter(key=key).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)
    assert executions(effects) == 0


def _test_session_pid() -> int | None:
    """The PostgreSQL backend of this test's own (main-thread) connection, which must survive."""
    if connection.vendor != "postgresql":
        return None
    connection.ensure_connection()
    return connection.connection.info.backend_pid


def _take_the_database_away(stop: threading.Event, ours: int | None) -> None:
    """PostgreSQL: kill the server's sessions. SQLite: hold the write lock past the busy timeout."""
    if connection.vendor == "postgresql":
        with psycopg.connect(shared_test_database_url(), autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> %s",
                [ours],
            )
        return
    holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None, timeout=10)
    holder.execute("BEGIN EXCLUSIVE")
    stop.wait(3)
    holder.execute("ROLLBACK")
    holder.close()


def test_the_database_going_away_mid_request(server_holding_its_connection, live_admin, effects):
    server = server_holding_its_connection
    body = {"tool_name": "test_effect", "payload": {"seconds": 1}}
    released = threading.Event()
    ours = _test_session_pid()
    with ThreadPoolExecutor(2) as pool:
        pending = pool.submit(invoke, server.url, live_admin, body, "mid-request")
        _until_the_tool_runs("mid-request", effects)
        taker = pool.submit(_take_the_database_away, released, ours)
        failed = pending.result()
        released.set()
        taker.result()

    assert failed.status_code == 503
    assert failed.json()["code"] == "database_unavailable"
    assert executions(effects) == 1  # the tool ran; what failed was recording its answer
    # Nothing half-written: no success, no usage, no stored answer.
    assert not UsageEvent.objects.exists()
    assert not IdempotencyKey.objects.filter(response_status__isnull=False).exists()
    failures = list(AuditLog.objects.values_list("outcome", "status_code", "error_code"))
    if connection.vendor == "postgresql":
        # The database is back at once (new sessions): the claim was released and the failure audited.
        assert failures == [("error", 503, "database_unavailable")]
        assert not IdempotencyKey.objects.exists()
    else:
        # SQLite stays locked past the busy timeout, so neither the audit row nor the release could be
        # written: the failure is in the server log, and the claim waits out its lock timeout.
        assert failures == []
        assert IdempotencyKey.objects.filter(response_status__isnull=True).count() == 1
        assert "Could not release idempotency claim mid-request" in server.log_path.read_text()

    time.sleep(LOCK_TIMEOUT + 0.5)  # the stranded claim expires
    retried = invoke(server.url, live_admin, body, "mid-request")
    replayed = invoke(server.url, live_admin, body, "mid-request")

    assert retried.status_code == 200
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert executions(effects) == 2  # the retry ran it once more; the replay did not
    assert UsageEvent.objects.count() == 1
    assert AuditLog.objects.filter(outcome="success").count() == 1
    assert audit_chain_verify().intact
    # The tool's own effect ran twice (once in the attempt the database failed): tools with outside
    # effects must be idempotent themselves; the ledger counts the one answer the client got.
    figures("database away mid-request", sent=3, executed=executions(effects), metered=1, lost=0)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the connection pool is PostgreSQL's")
def test_sessions_killed_while_a_tool_runs_cost_nothing_with_the_pool(server, live_admin, effects):
    """With the pool the call holds no connection while its tool runs: the database may drop every session
    meanwhile, and the answer is recorded on a fresh one: executed once, metered once, nothing to retry."""
    body = {"tool_name": "test_effect", "payload": {"seconds": 1}}
    ours = _test_session_pid()
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(invoke, server.url, live_admin, body, "mid-request")
        _until_the_tool_runs("mid-request", effects)
        _take_the_database_away(threading.Event(), ours)
        answered = pending.result()

    assert answered.status_code == 200
    assert executions(effects) == 1
    assert UsageEvent.objects.count() == 1
    assert list(AuditLog.objects.values_list("outcome", "status_code")) == [("success", 200)]
    assert audit_chain_verify().intact


def test_a_worker_killed_mid_call(server, live_admin, effects):
    pid = int(requests.get(f"{server.url}/healthz", timeout=10).headers["X-Worker-PID"])
    body = {"tool_name": "test_effect", "payload": {"seconds": 1.5}}

    with ThreadPoolExecutor(1) as pool:
        killed = pool.submit(invoke, server.url, live_admin, body, "killed")
        time.sleep(0.5)
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(requests.ConnectionError):
            killed.result()
    assert executions(effects) == 0  # it died before its effect

    server.wait_until_healthy()  # gunicorn forks a new worker
    too_soon = invoke(server.url, live_admin, body, "killed")
    assert too_soon.status_code == 409
    assert too_soon.json()["code"] == "idempotency_in_progress"

    time.sleep(LOCK_TIMEOUT + 0.5)
    retried = invoke(server.url, live_admin, body, "killed")
    replayed = invoke(server.url, live_admin, body, "killed")

    assert retried.status_code == 200
    assert replayed.content == retried.content
    assert executions(effects) == 1
    assert UsageEvent.objects.count() == 1
    assert AuditLog.objects.filter(outcome="success").count() == 1
    figures("worker SIGKILL", sent=4, executed=executions(effects), metered=UsageEvent.objects.count(), lost=0)


def test_thirty_two_concurrent_writers(transactional_db, tmp_path, live_admin):
    """32 requests in flight at once, all writing: none may meet 'database is locked'."""
    server = GatewayServer(tmp_path / "gunicorn.log", workers=8, extra_env={"GATEWAY_WORKER_THREADS": "4"})
    writers, per_writer = 32, 10

    def writer(index: int) -> list[int]:
        session = requests.Session()
        return [
            session.post(f"{server.url}/v1/tools/invoke", json={"tool_name": "echo", "payload": {"n": n}},
                         headers=live_admin.headers(**{"Idempotency-Key": f"w{index}-{n}-{uuid.uuid4()}"}),
                         timeout=60).status_code
            for n in range(per_writer)
        ]  # fmt: skip

    try:
        server.wait_until_healthy()
        with ThreadPoolExecutor(writers) as pool:
            statuses = [status for batch in pool.map(writer, range(writers)) for status in batch]
    finally:
        server.stop()
    log = (tmp_path / "gunicorn.log").read_text()

    sent = writers * per_writer
    assert statuses.count(200) == sent, {status: statuses.count(status) for status in set(statuses)}
    assert "database is locked" not in log
    assert UsageEvent.objects.count() == sent
    assert audit_chain_verify().intact
    figures("32 concurrent writers", sent=sent, executed=statuses.count(200), metered=UsageEvent.objects.count(),
            lost=sent - UsageEvent.objects.count())  # fmt: skip
