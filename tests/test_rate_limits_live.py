"""With REDIS_URL, every gateway process counts against the same limit."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tenants.models import Role, TenantUser
from tests.conftest import GatewayServer
from tests.environment import REDIS_URL, need_redis

pytestmark = pytest.mark.live_server_processes
LIMIT, SENT = 10, 40


@pytest.fixture
def redis_up():
    need_redis()


def test_four_processes_share_one_limit_through_redis(redis_up, live_admin, tmp_path):
    server = GatewayServer(
        tmp_path / "gunicorn.log",
        workers=4,
        extra_env={"GATEWAY_RATE_LIMIT_USER_PER_MINUTE": str(LIMIT), "REDIS_URL": REDIS_URL},
    )
    headers = {**live_admin.headers(), "Connection": "close"}

    def send(_):
        response = requests.get(f"{server.url}/v1/kpis", headers=headers, timeout=10)
        return response.status_code, response.headers["X-Worker-PID"]

    try:
        server.wait_until_healthy()
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(send, range(SENT)))
    finally:
        server.stop()

    statuses = [status for status, _ in answers]
    assert len({pid for _, pid in answers}) > 1, "all requests landed on one worker; nothing was shown"
    assert statuses.count(200) == LIMIT
    assert statuses.count(429) == SENT - LIMIT


def test_a_call_refused_by_the_tool_limit_spends_nobody_elses_limit(redis_up, live_admin, tmp_path):
    """Tool limit 3, tenant limit 10: one user's twelve echo calls leave the tenant seven, on any worker."""
    colleague = TenantUser.objects.create(tenant=live_admin.tenant, email="colleague@acme.test", role=Role.MEMBER)
    server = GatewayServer(
        tmp_path / "gunicorn.log",
        workers=4,
        extra_env={"GATEWAY_RATE_LIMIT_TOOL_PER_MINUTE": "3", "GATEWAY_RATE_LIMIT_TENANT_PER_MINUTE": "10",
                   "REDIS_URL": REDIS_URL},
    )  # fmt: skip
    try:
        server.wait_until_healthy()
        echo = [
            requests.post(f"{server.url}/v1/tools/invoke", json={"tool_name": "echo"}, timeout=10,
                          headers={**live_admin.headers(**{"Idempotency-Key": f"e{n}"}), "Connection": "close"})
            for n in range(12)
        ]  # fmt: skip
        reads = [
            requests.get(f"{server.url}/v1/kpis", timeout=10,
                         headers={**live_admin.headers(**{"X-User-ID": str(colleague.id)}), "Connection": "close"})
            for _ in range(8)
        ]  # fmt: skip
    finally:
        server.stop()

    assert [response.status_code for response in echo] == [200] * 3 + [429] * 9
    assert [response.status_code for response in reads] == [200] * 7 + [429]
    assert reads[-1].json()["detail"].endswith("for this tenant")
