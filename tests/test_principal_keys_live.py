"""Revoking or expiring a principal key holds at once on every process of every server (issue 12).

Two servers of two workers each share the test database. Every worker answers with the key
first, so any per-process memory of it would be warm; then the key is revoked (or expires)
and the very next request on each server and worker is refused.
"""

import time
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from tenants.models import PrincipalKey
from tenants.principal_keys import principal_key_create

pytestmark = pytest.mark.live_server_processes

ECHO = {"tool_name": "echo", "payload": {}}


def _call(url: str, secret: str, number: int) -> requests.Response:
    headers = {"Authorization": f"Bearer {secret}", "Idempotency-Key": f"live-{number}-{time.monotonic_ns()}"}
    return requests.post(f"{url}/v1/tools/invoke", json=ECHO, headers=headers, timeout=30)


def _warm_every_worker(urls: list[str], secret: str) -> set[tuple[str, str]]:
    """Call until each server has answered from two processes; every answer must be a 200."""
    seen: set[tuple[str, str]] = set()
    for number in range(200):
        url = urls[number % 2]
        answer = _call(url, secret, number)
        assert answer.status_code == 200, answer.text
        seen.add((url, answer.headers["X-Worker-PID"]))
        if len(seen) == 4:
            break
    return seen


def test_a_revoked_key_is_refused_by_every_worker_on_the_next_request(two_servers, live_admin):
    key, secret = principal_key_create(tenant=live_admin.tenant, user=live_admin.user, label="live")
    assert len(_warm_every_worker(two_servers, secret)) == 4

    revoked = requests.post(f"{two_servers[0]}/v1/keys/{key.id}/revoke", headers=live_admin.headers(), timeout=30)
    assert revoked.status_code == 200

    answers = [_call(two_servers[number % 2], secret, 1000 + number) for number in range(16)]
    assert {(answer.status_code, answer.json()["code"]) for answer in answers} == {(401, "key_revoked")}
    assert len({(answer.url, answer.headers["X-Worker-PID"]) for answer in answers}) >= 2


def test_an_expired_key_is_refused_by_every_worker_once_its_time_is_up(two_servers, live_admin):
    expires_at = timezone.now() + timedelta(seconds=30)
    _key, secret = principal_key_create(tenant=live_admin.tenant, user=live_admin.user, label="live",
                                        expires_at=expires_at)  # fmt: skip
    assert len(_warm_every_worker(two_servers, secret)) == 4

    # Thirty seconds pass: the row says so, as the clock would.
    PrincipalKey.objects.update(expires_at=timezone.now())

    answers = [_call(two_servers[number % 2], secret, 2000 + number) for number in range(16)]
    assert {(answer.status_code, answer.json()["code"]) for answer in answers} == {(401, "key_expired")}
