"""A real gateway in subprocesses (gunicorn, several workers) over the test database."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings

from conftest import Actor, make_tenant, shared_test_database_url
from tenants.models import Role, TenantUser
from tests.environment import CI, REDIS_URL, need_redis, redis_answers

REPO = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class GatewayServer:
    def __init__(
        self,
        log_path: Path,
        workers: int = 4,
        settings_module: str = "gateway_project.test_settings",
        extra_env: dict[str, str] | None = None,
        worker_timeout: int = 30,
    ):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings_module,
            "DATABASE_URL": shared_test_database_url(),
            # The same keys as this process, so audit rows either side write verify on the other.
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            "GATEWAY_AUDIT_HMAC_KEY": settings.GATEWAY_AUDIT_HMAC_KEY,
            **(extra_env or {}),
        }
        self.log = log_path.open("wb")
        self.process = subprocess.Popen(
            # The application and worker class come from gunicorn.conf.py, as for `make run`.
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
             "--timeout", str(worker_timeout)],
            cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.log_path = log_path

    def wait_until_healthy(self, timeout: float = 30, expect_status: int = 200) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gateway exited early:\n{self.log_path.read_text()}")
            try:
                # Patient enough for a 503 that waits out the database pool's timeout (3 s).
                if requests.get(f"{self.url}/healthz", timeout=5).status_code == expect_status:
                    return
            except requests.RequestException:  # refused, or queued while workers boot
                pass
            time.sleep(0.1)
        pytest.fail(f"gateway not healthy after {timeout}s:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def serve(server: GatewayServer):
    try:
        server.wait_until_healthy()
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def gateway_server(transactional_db, tmp_path):
    """Base URL of a gunicorn gateway with 4 worker processes sharing the test database."""
    yield from serve(GatewayServer(tmp_path / "gunicorn.log"))


@pytest.fixture
def production_tools_server(transactional_db, tmp_path):
    """Like gateway_server, on the real settings: only the real tools, none of the test-only ones."""
    yield from serve(GatewayServer(tmp_path / "gunicorn.log", workers=2, settings_module="gateway_project.settings"))


@pytest.fixture
def live_admin(transactional_db) -> Actor:
    tenant, api_key = make_tenant("Live")
    return Actor(tenant, TenantUser.objects.create(tenant=tenant, email="live@acme.test", role=Role.ADMIN), api_key)


def _redis_env() -> dict[str, str]:
    # Two servers share rate limits through Redis, as in production; the guarantees tested with them
    # rest on the database alone, so without Redis (off CI) each server counts alone.
    if CI:
        need_redis()
    return {"REDIS_URL": REDIS_URL} if redis_answers() else {}


@pytest.fixture
def two_servers(transactional_db, tmp_path):
    """Base URLs of two gateway servers of two workers each, on the test database (and one Redis):
    the processes of two machines."""
    servers = [
        GatewayServer(tmp_path / f"gunicorn-{name}.log", workers=2, extra_env=_redis_env()) for name in ("a", "b")
    ]
    try:
        for server in servers:
            server.wait_until_healthy()
        yield [server.url for server in servers]
    finally:
        for server in servers:
            server.stop()
