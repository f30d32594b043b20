"""Two gateway servers, one database (and one Redis): the guarantees hold across machines' worth of processes."""

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from audit.models import AuditLog, UsageEvent
from audit.verification import audit_chain_verify
from tests.races import assert_ran_once

pytestmark = pytest.mark.live_server_processes


def test_one_key_split_across_two_servers_runs_once(two_servers, live_admin):
    body = {"tool_name": "test_sleep", "payload": {"seconds": 0.5}}
    start = threading.Barrier(16)

    def send(index: int) -> requests.Response:
        start.wait()
        url = two_servers[index % 2]
        return requests.post(f"{url}/v1/tools/invoke", json=body,
                             headers=live_admin.headers(**{"Idempotency-Key": "across"}), timeout=30)  # fmt: skip

    with ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(send, range(16)))

    assert_ran_once(responses)
    assert UsageEvent.objects.count() == 1
    assert AuditLog.objects.filter(outcome="success").count() == 1


def test_a_thousand_invocations_across_two_servers_meter_a_thousand(two_servers, live_admin):
    invocations, clients = 1000, 16
    numbers = itertools.count()
    lock = threading.Lock()

    def client(_: int) -> list[int]:
        session = requests.Session()
        statuses = []
        while True:
            with lock:
                n = next(numbers)
            if n >= invocations:
                return statuses
            headers = live_admin.headers(**{"Idempotency-Key": f"spread-{n}"})
            url = f"{two_servers[n % 2]}/v1/tools/invoke"
            response = session.post(url, json={"tool_name": "echo"}, headers=headers, timeout=30)
            statuses.append(response.status_code)

    with ThreadPoolExecutor(clients) as pool:
        statuses = [status for batch in pool.map(client, range(clients)) for status in batch]

    assert statuses.count(200) == invocations
    assert UsageEvent.objects.count() == invocations
    assert AuditLog.objects.filter(outcome="success").count() == invocations
    assert audit_chain_verify().intact
    print(f"\nscale-out: sent={invocations}, answered 200={statuses.count(200)}, metered={UsageEvent.objects.count()}")
