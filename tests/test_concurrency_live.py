"""What only shows across processes: one Idempotency-Key raced by 16 clients against 4 workers."""

import pytest

from audit.models import AuditLog, UsageEvent
from audit.verification import audit_chain_verify
from tests.races import assert_ran_once, race

pytestmark = pytest.mark.live_server_processes
CLIENTS = 16


def test_one_key_raced_while_the_tool_is_slow(gateway_server, live_admin):
    body = {"tool_name": "test_sleep", "payload": {"seconds": 0.5}}

    responses = race(gateway_server, live_admin, body, ["raced"] * CLIENTS)

    original = assert_ran_once(responses)
    assert sum(r.status_code == 409 for r in responses) >= 1
    assert AuditLog.objects.count() == 1
    usage = UsageEvent.objects.get()
    assert str(usage.request_id) == original.json()["request_id"]


def test_one_key_raced_with_a_fast_tool(gateway_server, live_admin):
    responses = race(gateway_server, live_admin, {"tool_name": "echo", "payload": {"n": 1}}, ["fast"] * CLIENTS)

    assert_ran_once(responses)
    assert AuditLog.objects.count() == 1
    assert UsageEvent.objects.count() == 1


def test_distinct_keys_each_run_and_meter_once(gateway_server, live_admin):
    keys = [f"key-{index}" for index in range(CLIENTS)]

    responses = race(gateway_server, live_admin, {"tool_name": "echo"}, keys)

    assert [r.status_code for r in responses] == [200] * CLIENTS
    request_ids = {r.json()["request_id"] for r in responses}
    assert len(request_ids) == CLIENTS
    assert {str(u) for u in UsageEvent.objects.values_list("request_id", flat=True)} == request_ids
    assert AuditLog.objects.filter(outcome="success").count() == CLIENTS
    # Sixteen processes appended to one tenant's chain at once, and it did not fork.
    assert audit_chain_verify().intact
    assert sorted(AuditLog.objects.values_list("seq", flat=True)) == list(range(1, CLIENTS + 1))
