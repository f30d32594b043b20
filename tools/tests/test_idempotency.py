"""Idempotency as the contract states it: replay, 409s, in-progress, rejections not stored, TTL, takeover."""

import contextlib
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from model_bakery import baker
from rest_framework.test import APIClient

from audit.models import AuditLog, UsageEvent
from gateway_project import worker_slots
from tenants.models import Role, TenantUser
from tools import idempotency, services
from tools.fingerprint import request_fingerprint
from tools.models import IdempotencyKey
from tools.tests.helpers import ECHO, make_claim


@pytest.mark.django_db
class TestReplay:
    def test_same_key_same_body_replays_status_and_bytes(self, invoke, acme_admin):
        first = invoke(acme_admin, ECHO, key="k")
        second = invoke(acme_admin, ECHO, key="k")

        assert second.status_code == first.status_code == 200
        assert second.content == first.content
        assert second.headers["Idempotent-Replayed"] == "true"
        assert AuditLog.objects.count() == 1
        assert UsageEvent.objects.count() == 1

    def test_key_order_and_whitespace_do_not_change_the_fingerprint(self, invoke, acme_admin):
        invoke(acme_admin, b'{"tool_name":"echo","payload":{"a":1,"b":2}}', key="k")
        again = invoke(acme_admin, b'{ "payload" : { "b" : 2, "a" : 1 }, "tool_name" : "echo" }', key="k")

        assert again.status_code == 200
        assert again.headers["Idempotent-Replayed"] == "true"
        assert UsageEvent.objects.count() == 1

    def test_replay_does_not_run_the_tool(self, invoke, acme_admin, monkeypatch):
        invoke(acme_admin, ECHO, key="k")
        monkeypatch.setattr(services, "_run_tool", lambda *args: pytest.fail("the tool ran again"))
        assert invoke(acme_admin, ECHO, key="k").status_code == 200

    def test_keys_are_scoped_by_tenant(self, invoke, acme_admin, outsider):
        assert invoke(acme_admin, ECHO, key="shared").status_code == 200
        response = invoke(outsider, ECHO, key="shared")

        assert response.status_code == 200
        assert "Idempotent-Replayed" not in response.headers
        assert UsageEvent.objects.count() == 2


@pytest.mark.django_db
class TestConflicts:
    def test_same_key_different_body_is_409(self, invoke, acme_admin):
        invoke(acme_admin, ECHO, key="k")
        response = invoke(acme_admin, {"tool_name": "echo", "payload": {"text": "other"}}, key="k")

        assert response.status_code == 409
        assert response.json() == {
            "detail": "Idempotency key 'k' was already used with a different request body",
            "code": "idempotency_key_reused",
        }
        assert UsageEvent.objects.count() == 1
        # A different request under a used key is an attempt of its own: audited as an error.
        assert AuditLog.objects.filter(outcome="error", status_code=409).count() == 1

    def test_same_key_from_another_user_is_409(self, invoke, acme_admin):
        colleague = baker.make(TenantUser, tenant=acme_admin.tenant, role=Role.ADMIN)
        invoke(acme_admin, ECHO, key="k")
        response = invoke(acme_admin, ECHO, key="k", **{"X-User-ID": str(colleague.id)})

        assert response.status_code == 409
        assert response.json()["code"] == "idempotency_key_other_user"
        assert UsageEvent.objects.count() == 1

    def test_in_progress_is_409_with_retry_after_and_not_audited(self, invoke, acme_admin):
        now = timezone.now()
        baker.make(
            IdempotencyKey,
            tenant=acme_admin.tenant,
            endpoint="tools.invoke",
            key="busy",
            user=acme_admin.user,
            fingerprint=request_fingerprint(ECHO),
            claim_token=uuid.uuid4(),
            locked_at=now,
            created_at=now,
            expires_at=now + timedelta(hours=24),
        )
        response = invoke(acme_admin, ECHO, key="busy")

        assert response.status_code == 409
        assert response.json()["code"] == "idempotency_in_progress"
        assert response.headers["Retry-After"] == "1"
        assert not AuditLog.objects.exists()
        assert not UsageEvent.objects.exists()


@pytest.mark.django_db
class TestTimeouts:
    def test_claim_older_than_the_lock_timeout_is_taken_over(self, invoke, acme_admin, settings):
        settings.GATEWAY_IDEMPOTENCY_LOCK_TIMEOUT_SECONDS = 60
        make_claim(acme_admin, key="k", body=ECHO, locked_ago=timedelta(seconds=61), expires_in=timedelta(hours=1))

        response = invoke(acme_admin, ECHO, key="k")

        assert response.status_code == 200
        assert "Idempotent-Replayed" not in response.headers
        assert IdempotencyKey.objects.get().response_status == 200
        assert UsageEvent.objects.count() == 1

    def test_claim_within_the_lock_timeout_is_not_taken_over(self, invoke, acme_admin, settings):
        settings.GATEWAY_IDEMPOTENCY_LOCK_TIMEOUT_SECONDS = 60
        make_claim(acme_admin, key="k", body=ECHO, locked_ago=timedelta(seconds=50), expires_in=timedelta(hours=1))
        assert invoke(acme_admin, ECHO, key="k").status_code == 409

    def test_stale_claim_still_belongs_to_its_user_and_body(self, invoke, acme_admin):
        make_claim(acme_admin, key="k", body=ECHO, locked_ago=timedelta(minutes=5), expires_in=timedelta(hours=1))
        response = invoke(acme_admin, {"tool_name": "echo"}, key="k")
        assert response.json()["code"] == "idempotency_key_reused"

    def test_expired_key_is_free_again_for_any_body(self, invoke, acme_admin):
        make_claim(
            acme_admin,
            key="k",
            body=ECHO,
            locked_ago=timedelta(hours=25),
            expires_in=-timedelta(hours=1),
            completed=True,
        )
        response = invoke(acme_admin, {"tool_name": "echo", "payload": {"new": 1}}, key="k")

        assert response.status_code == 200
        assert response.json()["result"] == {"echo": {"new": 1}}
        assert UsageEvent.objects.count() == 1

    def test_retention_is_a_setting(self, invoke, acme_admin, settings):
        settings.GATEWAY_IDEMPOTENCY_RETENTION_HOURS = 2
        invoke(acme_admin, ECHO, key="k")

        stored = IdempotencyKey.objects.get()
        assert stored.expires_at - stored.created_at == timedelta(hours=2)


@pytest.mark.django_db
def test_claim_lost_to_a_takeover_is_not_metered(invoke, acme_admin, monkeypatch):
    """A tool that outlives the lock timeout cannot complete a claim someone else now holds."""
    real_run = services._run_tool

    def run_while_another_attempt_takes_over(invocation, claim):
        IdempotencyKey.objects.update(claim_token=uuid.uuid4())
        return real_run(invocation, claim)

    monkeypatch.setattr(services, "_run_tool", run_while_another_attempt_takes_over)
    response = invoke(acme_admin, ECHO, key="slow")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_in_progress"
    assert not UsageEvent.objects.exists()
    assert IdempotencyKey.objects.get().response_status is None
    audit = AuditLog.objects.get()
    assert (audit.outcome, audit.error_code) == ("error", "idempotency_claim_lost")


@pytest.mark.django_db
def test_success_path_is_all_or_nothing(invoke, acme_admin, monkeypatch):
    """If metering fails, neither the audit row nor the stored response survives, and the key is freed."""

    def failing_usage_record(**kwargs):
        raise RuntimeError("usage ledger unavailable")

    monkeypatch.setattr(services, "usage_record", failing_usage_record)
    response = invoke(acme_admin, ECHO, key="k")

    assert response.status_code == 500
    assert not UsageEvent.objects.exists()
    assert not IdempotencyKey.objects.exists()
    # The only audit row is the failure itself, written after the rollback.
    assert list(AuditLog.objects.values_list("outcome", "status_code")) == [("error", 500)]


@pytest.mark.django_db
def test_a_stale_claim_completed_while_we_look_is_replayed_not_run_again(invoke, acme_admin, monkeypatch, settings):
    """The slow holder completes between our read of its claim and our takeover: it keeps the key."""
    settings.GATEWAY_IDEMPOTENCY_LOCK_TIMEOUT_SECONDS = 60
    stale = make_claim(acme_admin, key="k", body=ECHO, locked_ago=timedelta(seconds=90), expires_in=timedelta(hours=1))
    holder = idempotency.Claim(
        tenant_id=stale.tenant_id, endpoint=stale.endpoint, key=stale.key, token=stale.claim_token
    )
    real_read = idempotency._stored_key

    def read_then_let_the_holder_finish(**lookup):
        seen = real_read(**lookup)
        idempotency.claim_complete(holder, status=200, body='{"from": "the holder"}')
        return seen

    monkeypatch.setattr(idempotency, "_stored_key", read_then_let_the_holder_finish)
    response = invoke(acme_admin, ECHO, key="k")

    assert response.status_code == 200
    assert response.headers["Idempotent-Replayed"] == "true"
    assert response.json() == {"from": "the holder"}
    assert not UsageEvent.objects.exists()  # our attempt did not run the tool


def race(retries: int, attempt: Callable[[], object]) -> list[object]:
    """Run `attempt` in `retries` threads released together; what each returned or raised, in order."""
    start = threading.Barrier(retries)
    outcomes: list[object] = [None] * retries

    def retry(index: int) -> None:
        try:
            start.wait(timeout=10)
            outcomes[index] = attempt()
        except Exception as raised:  # the outcome under test is often an exception
            outcomes[index] = raised
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=retry, args=(index,)) for index in range(retries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


@pytest.mark.django_db(transaction=True)  # each retry runs on its own connection, in its own thread
class TestConcurrentTakeover:
    """Several retries of one stale claim race to take it over: the compare-and-set on its
    claim_token lets exactly one of them run the tool."""

    RETRIES = 5

    @pytest.fixture
    def stale_claim(self, acme_admin, settings):
        settings.GATEWAY_IDEMPOTENCY_LOCK_TIMEOUT_SECONDS = 60
        return make_claim(
            acme_admin, key="k", body=ECHO, locked_ago=timedelta(seconds=90), expires_in=timedelta(hours=1)
        )

    @pytest.fixture(autouse=True)
    def every_retry_sees_the_stale_claim(self, monkeypatch):
        """Hold each retry after its first read of the key until all have read it, so every one of
        them finds the claim stale and tries to take it over: only the compare-and-set decides."""
        all_read = threading.Barrier(self.RETRIES)
        first_read_done = threading.local()
        real_read = idempotency._stored_key

        def read_then_wait_for_the_others(**lookup):
            seen = real_read(**lookup)
            if not getattr(first_read_done, "value", False):
                first_read_done.value = True
                # Should reads ever queue behind a lock, the retries race on without the rendezvous.
                with contextlib.suppress(threading.BrokenBarrierError):
                    all_read.wait(timeout=5)
            return seen

        monkeypatch.setattr(idempotency, "_stored_key", read_then_wait_for_the_others)

    def test_exactly_one_retry_takes_the_claim_over(self, acme_admin, stale_claim):
        def retry():
            return idempotency.claim_acquire(
                tenant=acme_admin.tenant, user=acme_admin.user, endpoint="tools.invoke", key="k",
                fingerprint=request_fingerprint(ECHO),
            )  # fmt: skip

        outcomes = race(self.RETRIES, retry)

        claims = [outcome for outcome in outcomes if isinstance(outcome, idempotency.Claim)]
        assert len(claims) == 1, outcomes
        others = [outcome for outcome in outcomes if outcome is not claims[0]]
        # Nobody completes the claim here, so every other retry finds it in progress.
        assert all(isinstance(outcome, idempotency.IdempotencyInProgress) for outcome in others), outcomes
        stored = IdempotencyKey.objects.get()
        assert stored.claim_token == claims[0].token != stale_claim.claim_token

    def test_concurrent_retries_of_a_stale_invocation_run_the_tool_once(self, acme_admin, stale_claim, monkeypatch):
        runs: list[uuid.UUID] = []
        answered = [0]
        progress = threading.Condition()
        real_run = services._run_tool

        def run_once_every_other_retry_has_its_answer(invocation, claim):
            # A tool that finishes first would let the others replay its answer whatever the
            # compare-and-set does; holding it makes a second takeover show as a second run.
            with progress:
                runs.append(invocation.attempt.request_id)
                progress.notify_all()
                progress.wait_for(lambda: len(runs) + answered[0] >= self.RETRIES, timeout=10)
            return real_run(invocation, claim)

        monkeypatch.setattr(services, "_run_tool", run_once_every_other_retry_has_its_answer)
        # The retries stand for requests on several worker processes: one slot each, not one in all.
        monkeypatch.setattr(worker_slots, "_slots", threading.Semaphore(self.RETRIES))

        def retry():
            try:
                return APIClient().post(
                    "/v1/tools/invoke", ECHO, format="json", headers=acme_admin.headers(**{"Idempotency-Key": "k"})
                )
            finally:
                with progress:
                    answered[0] += 1
                    progress.notify_all()

        responses = race(self.RETRIES, retry)

        assert len(runs) == 1
        statuses = sorted((response.status_code, response.json().get("code")) for response in responses)
        assert statuses == [(200, None)] + [(409, "idempotency_in_progress")] * (self.RETRIES - 1)
        ran = next(response for response in responses if response.status_code == 200)
        assert "Idempotent-Replayed" not in ran.headers
        assert ran.json()["request_id"] == str(runs[0])
        assert UsageEvent.objects.count() == 1
        # Retries of an attempt in flight are not attempts of their own: one audit row, the success.
        assert list(AuditLog.objects.values_list("outcome", "status_code")) == [("success", 200)]
