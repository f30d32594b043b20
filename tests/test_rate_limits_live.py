"""With REDIS_URL, every gateway process counts against the same limit."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests

from tests.conftest import GatewayServer

pytestmark = pytest.mark.live_server_processes
REDIS_URL = "redis://127.0.0.1:6379/0"
LIMIT, SENT = 10, 40


@pytest.fixture
def redis_up():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        pytest.skip(f"No Redis at {REDIS_URL}: {error}")


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
