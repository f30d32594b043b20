"""HTTP tools called through POST /v1/tools/invoke against a real upstream on 127.0.0.1: every outcome of the
table in tools/upstream.py, with what the upstream received, what was audited, metered and stored."""

import json
import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditLog, UsageEvent
from audit.verification import audit_chain_verify
from tools.http_tools import http_tool_create, http_tool_update
from tools.models import IdempotencyKey
from tools.tests.upstream_server import Upstream
from tools.upstream import breaker, upstream_idempotency_key
from tools.vault import secret_delete, secret_store

SECRET = "tok-5ecret-Value_42"  # noqa: S105 - a test credential

pytestmark = pytest.mark.django_db


def define(actor, upstream, path, **fields):
    """A tenant-owned HTTP tool named `fields["name"]` (default "crm") calling `path` on the upstream."""
    definition = {
        "name": "crm",
        "method": "POST",
        "url_template": upstream.url(path),
        "input_schema": {"type": "object", "properties": {"note": {"type": "string"}}},
        "connect_timeout_seconds": 1.0,
        "read_timeout_seconds": 2.0,
        "total_timeout_seconds": 3.0,
    } | fields
    return http_tool_create(owner=actor.tenant, fields=definition)


def call(invoke, actor, *, key="k-1", name="crm", payload=None):
    response = invoke(actor, {"tool_name": name, "payload": {"note": "hi"} if payload is None else payload}, key=key)
    return response, response.json()


def audited(actor) -> list[tuple[str, int, str, int]]:
    rows = AuditLog.objects.filter(tenant=actor.tenant).order_by("id")
    return [(row.outcome, row.status_code, row.error_code, row.units) for row in rows]


def metered(actor) -> int:
    return UsageEvent.objects.filter(tenant=actor.tenant).count()


@pytest.fixture(autouse=True)
def trail_verifies(db):
    """Whatever a test drove, every tenant's audit chain and usage ledger still verify."""
    yield
    report = audit_chain_verify()
    assert report.intact, report.breaks


class TestAnswered:
    def test_2xx_is_the_result_with_selected_headers_stored_metered_and_replayed(self, invoke, acme_admin, upstream):
        define(acme_admin, upstream, "/created", units=3)

        response, body = call(invoke, acme_admin)
        assert response.status_code == 200
        result = body["result"]
        assert result["status"] == 201
        # Only the selected headers travel back: not the upstream's internal ones.
        assert result["headers"] == {"content-type": "application/json", "etag": '"v1"', "location": "/pets/7"}
        assert result["body"]["method"] == "POST" and result["body"]["body"] == '{"note":"hi"}'
        assert audited(acme_admin) == [("success", 200, "", 3)]
        assert metered(acme_admin) == 1

        replay = invoke(acme_admin, {"tool_name": "crm", "payload": {"note": "hi"}}, key="k-1")
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert replay.content == response.content
        assert len(upstream.received("/created")) == 1

    def test_a_text_answer_is_kept_as_text(self, invoke, acme_admin, upstream):
        define(acme_admin, upstream, "/text", method="GET")
        response, body = call(invoke, acme_admin)
        assert response.status_code == 200
        assert body["result"]["body"] == "plain words"

    def test_4xx_is_upstream_rejected_stored_and_replayed_never_metered(self, invoke, acme_admin, upstream):
        define(acme_admin, upstream, "/reject")

        response, body = call(invoke, acme_admin)
        assert response.status_code == 424
        assert body == {"detail": "The upstream answered 404", "code": "upstream_rejected", "upstream_status": 404,
                        "upstream_body": '{"error": "no such pet"}'}  # fmt: skip
        retry = invoke(acme_admin, {"tool_name": "crm", "payload": {"note": "hi"}}, key="k-1")
        assert (retry.status_code, retry.content, retry.headers["Idempotent-Replayed"]) == (
            424,
            response.content,
            "true",
        )
        assert len(upstream.received("/reject")) == 1
        assert audited(acme_admin) == [("error", 424, "upstream_rejected", 0)]
        assert metered(acme_admin) == 0

    def test_a_redirect_is_not_followed(self, invoke, acme_admin, upstream):
        define(acme_admin, upstream, "/redirect", method="GET")

        response, body = call(invoke, acme_admin)
        assert (response.status_code, body["code"], body["upstream_status"]) == (424, "upstream_rejected", 302)
        # One request, to the upstream itself: nothing went toward the private address it pointed at.
        assert [item.path for item in upstream.received()] == ["/redirect"]

    def test_an_answer_over_the_tools_limit_is_refused_and_stored(self, invoke, acme_admin, upstream):
        define(acme_admin, upstream, "/big", method="GET", max_response_bytes=1000)

        response, body = call(invoke, acme_admin, payload={"bytes": 5000})
        assert (response.status_code, body["code"]) == (502, "upstream_response_too_large")
        retry = invoke(acme_admin, {"tool_name": "crm", "payload": {"bytes": 5000}}, key="k-1")
        assert retry.headers["Idempotent-Replayed"] == "true"
        assert len(upstream.received("/big")) == 1
        assert metered(acme_admin) == 0

    def test_an_answer_within_the_limit_passes(self, invoke, acme_admin, upstream):
        define(acme_admin, upstream, "/big", method="GET", max_response_bytes=1000)
        response, body = call(invoke, acme_admin, payload={"bytes": 1000})
        assert response.status_code == 200 and body["result"]["body"] == "x" * 1000


class TestNotSent:
    def test_connection_refused_releases_the_key_so_a_retry_runs(self, invoke, acme_admin, upstream):
        with socket.socket() as probe:  # a port nothing listens on
            probe.bind(("127.0.0.1", 0))
            closed_port = probe.getsockname()[1]
        define(acme_admin, upstream, "/ok", url_template=f"http://127.0.0.1:{closed_port}/ok")

        response, body = call(invoke, acme_admin)
        assert (response.status_code, body["code"]) == (502, "upstream_unreachable")
        assert not IdempotencyKey.objects.exists()  # released

        http_tool_update(tool=_tool(acme_admin), fields={"url_template": upstream.url("/ok")})
        retry, retried = call(invoke, acme_admin)
        assert retry.status_code == 200 and "Idempotent-Replayed" not in retry.headers
        assert audited(acme_admin) == [("error", 502, "upstream_unreachable", 0), ("success", 200, "", 1)]

    def test_a_host_resolving_to_loopback_is_refused_unless_allowlisted(self, invoke, acme_admin, upstream):
        # 127.0.0.1 is allowlisted for the tests; "localhost" is not, though it resolves there.
        define(acme_admin, upstream, "/ok", url_template=f"http://localhost:{upstream.port}/ok")

        response, body = call(invoke, acme_admin)
        assert (response.status_code, body["code"]) == (502, "upstream_address_refused")
        assert "GATEWAY_UPSTREAM_ALLOWED_HOSTS" in body["detail"]
        assert upstream.received() == []
        assert not IdempotencyKey.objects.exists()

    def test_a_missing_secret_is_the_operators_problem_and_retryable(self, invoke, acme_admin, upstream):
        secret_store(tenant=acme_admin.tenant, name="crm-token", value=SECRET)
        define(acme_admin, upstream, "/ok", credentials=[{"secret": "crm-token", "in": "header", "name": "X-Key"}])
        secret_delete(tenant=acme_admin.tenant, name="crm-token")

        response, body = call(invoke, acme_admin)
        assert (response.status_code, body["code"]) == (503, "tool_misconfigured")
        assert upstream.received() == []
        assert not IdempotencyKey.objects.exists()


@pytest.mark.parametrize("value", ["línea-ñ", "two\r\nInjected: yes"])
def test_a_secret_no_header_can_carry_is_refused_before_sending(invoke, acme_admin, upstream, value):
    secret_store(tenant=acme_admin.tenant, name="odd", value=value)
    define(acme_admin, upstream, "/ok", credentials=[{"secret": "odd", "in": "header", "name": "X-Key"}])

    response, body = call(invoke, acme_admin)
    assert (response.status_code, body["code"]) == (503, "tool_misconfigured")
    assert value not in response.content.decode()
    assert upstream.received() == []
    assert not IdempotencyKey.objects.exists()  # nothing left: the key is free for a retry


def _tool(actor):
    from tools.models import HttpTool

    return HttpTool.objects.get(tenant=actor.tenant, name="crm")


class TestSentUnanswered:
    """After the request left: an upstream that honours our key may be asked again; any other never is."""

    def test_timeout_on_a_non_idempotent_upstream_is_unknown_and_never_sent_twice(self, invoke, acme_admin, upstream):
        schema = {"type": "object", "properties": {"ms": {"type": "integer"}}}
        define(acme_admin, upstream, "/slow", read_timeout_seconds=0.3, total_timeout_seconds=1.0,
               query_params=["ms"], input_schema=schema)  # fmt: skip

        response, body = call(invoke, acme_admin, payload={"ms": 1500})
        assert (response.status_code, body["code"]) == (504, "upstream_outcome_unknown")
        retry = invoke(acme_admin, {"tool_name": "crm", "payload": {"ms": 1500}}, key="k-1")
        assert (retry.status_code, retry.content, retry.headers["Idempotent-Replayed"]) == (
            504,
            response.content,
            "true",
        )
        assert len(upstream.received("/slow")) == 1  # exactly one request ever reached the upstream
        assert audited(acme_admin) == [("unknown", 504, "upstream_outcome_unknown", 0)]
        assert metered(acme_admin) == 0

    def test_timeout_on_an_idempotent_upstream_is_retried_under_the_same_derived_key(
        self, invoke, acme_admin, upstream
    ):
        define(acme_admin, upstream, "/keyed", idempotency_header="Idempotency-Key", read_timeout_seconds=0.3,
               total_timeout_seconds=1.0, query_params=["ms"],
               input_schema={"type": "object", "properties": {"ms": {"type": "integer"}}})  # fmt: skip

        first = invoke(acme_admin, {"tool_name": "crm", "payload": {"ms": 1500}}, key="k-1")
        assert (first.status_code, first.json()["code"]) == (504, "upstream_timeout")
        assert not IdempotencyKey.objects.exists()  # released: the upstream will recognise the retry

        retry = invoke(acme_admin, {"tool_name": "crm", "payload": {"ms": 1500}}, key="k-1")
        assert retry.status_code == 200 and "Idempotent-Replayed" not in retry.headers
        derived = upstream_idempotency_key(tenant_id=acme_admin.tenant.pk, key="k-1")
        sent_keys = [item.headers["Idempotency-Key"] for item in upstream.received("/keyed")]
        assert sent_keys == [derived, derived]
        assert upstream.effects == {derived: 2}  # two requests, one effect: the tool ran once as the upstream sees it
        assert retry.json()["result"]["body"] == {"effect_for": derived}
        assert audited(acme_admin) == [("error", 504, "upstream_timeout", 0), ("success", 200, "", 1)]
        assert metered(acme_admin) == 1

    def test_derived_keys_differ_per_tenant_and_per_key(self, acme_admin, outsider):
        one = upstream_idempotency_key(tenant_id=acme_admin.tenant.pk, key="k-1")
        assert one != upstream_idempotency_key(tenant_id=outsider.tenant.pk, key="k-1")
        assert one != upstream_idempotency_key(tenant_id=acme_admin.tenant.pk, key="k-2")
        assert one.startswith("gw1_") and "k-1" not in one and str(acme_admin.tenant.pk) not in one

    def test_5xx_on_a_non_idempotent_upstream_is_unknown(self, invoke, acme_admin, upstream):
        define(acme_admin, upstream, "/fail")

        response, body = call(invoke, acme_admin)
        assert (response.status_code, body["code"]) == (502, "upstream_outcome_unknown")
        call(invoke, acme_admin)
        assert len(upstream.received("/fail")) == 1
        assert audited(acme_admin) == [("unknown", 502, "upstream_outcome_unknown", 0)]

    def test_5xx_on_a_get_releases_the_key(self, invoke, acme_admin, upstream):
        define(acme_admin, upstream, "/fail", method="GET")

        response, body = call(invoke, acme_admin)
        assert (response.status_code, body["code"]) == (502, "upstream_error")
        call(invoke, acme_admin)
        assert len(upstream.received("/fail")) == 2
        assert audited(acme_admin) == [("error", 502, "upstream_error", 0)] * 2

    def test_a_reset_connection_on_a_non_idempotent_upstream_is_unknown(self, invoke, acme_admin, upstream):
        define(acme_admin, upstream, "/reset")

        response, body = call(invoke, acme_admin)
        assert (response.status_code, body["code"]) == (502, "upstream_outcome_unknown")
        assert len(upstream.received("/reset")) == 1

    def test_a_takeover_of_an_attempt_that_sent_and_vanished_does_not_send_again(self, invoke, acme_admin, upstream):
        """The first attempt marked its request sent, then its process died: the retry answers unknown."""
        define(acme_admin, upstream, "/created")
        first, _ = call(invoke, acme_admin, key="k-sent")
        assert first.status_code == 200
        # Make the completed key look like an attempt that crashed after sending: unanswered, past the lock timeout.
        stale = timezone.now() - timedelta(hours=1)
        IdempotencyKey.objects.filter(key="k-sent").update(response_status=None, response_body="", locked_at=stale)

        retry, body = call(invoke, acme_admin, key="k-sent")
        assert (retry.status_code, body["code"]) == (502, "upstream_outcome_unknown")
        assert len(upstream.received("/created")) == 1
        again = invoke(acme_admin, {"tool_name": "crm", "payload": {"note": "hi"}}, key="k-sent")
        assert (again.status_code, again.headers["Idempotent-Replayed"]) == (502, "true")

    def test_a_database_failure_after_sending_keeps_the_key_so_nothing_is_sent_twice(
        self, invoke, acme_admin, upstream, monkeypatch
    ):
        """The upstream answered, then the answer could not be stored: the claim stays, marked sent."""
        from django.db import OperationalError

        from tools import services

        define(acme_admin, upstream, "/created")
        real_complete = services.claim_complete

        def database_gone(*args, **kwargs):
            raise OperationalError("database is locked")

        monkeypatch.setattr(services, "claim_complete", database_gone)
        failed, body = call(invoke, acme_admin, key="k-db")
        assert (failed.status_code, body["code"]) == (503, "database_unavailable")
        assert IdempotencyKey.objects.get(key="k-db").dispatched_at is not None  # kept, not released

        monkeypatch.setattr(services, "claim_complete", real_complete)
        assert call(invoke, acme_admin, key="k-db")[1]["code"] == "idempotency_in_progress"
        IdempotencyKey.objects.filter(key="k-db").update(locked_at=timezone.now() - timedelta(hours=1))
        retry, body = call(invoke, acme_admin, key="k-db")
        assert (retry.status_code, body["code"]) == (502, "upstream_outcome_unknown")
        assert len(upstream.received("/created")) == 1

    def test_a_takeover_of_an_idempotent_call_sends_again(self, invoke, acme_admin, upstream):
        define(acme_admin, upstream, "/keyed", idempotency_header="Idempotency-Key")
        call(invoke, acme_admin, key="k-sent")
        stale = timezone.now() - timedelta(hours=1)
        IdempotencyKey.objects.filter(key="k-sent").update(response_status=None, response_body="", locked_at=stale)

        retry, _ = call(invoke, acme_admin, key="k-sent")
        assert retry.status_code == 200
        assert len(upstream.received("/keyed")) == 2 and len(upstream.effects) == 1


class TestBreaker:
    @pytest.fixture
    def clock(self, monkeypatch, settings):
        settings.GATEWAY_UPSTREAM_BREAKER_FAILURES = 2
        settings.GATEWAY_UPSTREAM_BREAKER_COOLDOWN_SECONDS = 30
        now = [1000.0]
        monkeypatch.setattr(breaker, "_clock", lambda: now[0])
        return now

    def test_open_half_open_closed(self, invoke, acme_admin, upstream, clock):
        define(acme_admin, upstream, "/fail", method="GET")
        keys = iter(f"k-{n}" for n in range(100))

        codes = [call(invoke, acme_admin, key=next(keys))[1]["code"] for _ in range(3)]
        assert codes == ["upstream_error", "upstream_error", "upstream_unavailable"]
        assert len(upstream.received()) == 2  # the third failed fast
        response, body = call(invoke, acme_admin, key=next(keys))
        assert response.status_code == 503 and int(response.headers["Retry-After"]) == 30

        clock[0] += 31  # half-open: one probe goes through, fails, and the circuit opens again
        assert call(invoke, acme_admin, key=next(keys))[1]["code"] == "upstream_error"
        assert call(invoke, acme_admin, key=next(keys))[1]["code"] == "upstream_unavailable"
        assert len(upstream.received()) == 3

        clock[0] += 31  # the next probe succeeds: closed, and calls flow again
        http_tool_update(tool=_tool(acme_admin), fields={"url_template": upstream.url("/ok")})
        assert [call(invoke, acme_admin, key=next(keys))[0].status_code for _ in range(3)] == [200, 200, 200]
        assert len(upstream.received()) == 6
        refused = [row for row in audited(acme_admin) if row[2] == "upstream_unavailable"]
        assert refused == [("error", 503, "upstream_unavailable", 0)] * 3  # every fast failure is audited

    def test_4xx_answers_do_not_open_the_circuit(self, invoke, acme_admin, upstream, clock):
        define(acme_admin, upstream, "/reject", method="GET")
        statuses = [call(invoke, acme_admin, key=f"k-{n}")[0].status_code for n in range(4)]
        assert statuses == [424] * 4


class TestOffers:
    def operator_tool(self, upstream, **fields):
        return http_tool_create(owner=None, fields={"name": "geo", "method": "GET", "url_template": upstream.url("/ok"),
                                                    **fields})  # fmt: skip

    def test_an_operator_tool_reaches_only_the_tenants_it_is_offered_to(self, invoke, acme_admin, outsider, upstream):
        tool = self.operator_tool(upstream)
        assert call(invoke, acme_admin, name="geo", payload={})[1]["code"] == "tool_not_found"
        tool.offered_to.add(acme_admin.tenant)
        assert call(invoke, acme_admin, name="geo", payload={}, key="k-2")[0].status_code == 200
        assert call(invoke, outsider, name="geo", payload={})[1]["code"] == "tool_not_found"
        http_tool_update(tool=tool, fields={"offered_to_all": True})
        assert call(invoke, outsider, name="geo", payload={}, key="k-3")[0].status_code == 200

    def test_a_tenants_own_tool_is_its_alone_and_wins_over_the_operators(self, invoke, acme_admin, outsider, upstream):
        self.operator_tool(upstream, offered_to_all=True)
        define(acme_admin, upstream, "/text", name="geo", method="GET", input_schema={"type": "object"})
        assert call(invoke, acme_admin, name="geo", payload={})[1]["result"]["body"] == "plain words"
        assert call(invoke, outsider, name="geo", payload={})[1]["result"]["body"]["path"] == "/ok"

    def test_a_disabled_tool_is_not_offered(self, invoke, acme_admin, upstream):
        define(acme_admin, upstream, "/ok", enabled=False)
        assert call(invoke, acme_admin)[1]["code"] == "tool_not_found"

    def test_the_catalogue_shows_the_tenants_http_tools(self, api, acme_admin, upstream):
        define(acme_admin, upstream, "/ok", description="Look up a customer", units=2)
        listed = {tool["name"]: tool for tool in api.get("/v1/tools", headers=acme_admin.headers()).json()}
        assert listed["crm"]["description"] == "Look up a customer"
        assert listed["crm"]["input_schema"] == {"type": "object", "properties": {"note": {"type": "string"}}}


class TestOutgoingRequest:
    def test_payload_fills_path_query_and_body_and_credentials_are_placed(self, invoke, acme_admin, upstream):
        secret_store(tenant=acme_admin.tenant, name="crm-token", value=SECRET)
        schema = {"type": "object", "required": ["id"], "properties": {
            "id": {"type": "string"}, "tags": {"type": "array"}, "note": {"type": "string"}}}  # fmt: skip
        define(acme_admin, upstream, "/ok/{id}", input_schema=schema, query_params=["tags"],
               static_headers={"X-Team": "blue"},
               credentials=[
                   {"secret": "crm-token", "in": "header", "name": "Authorization", "format": "Bearer {secret}"},
                   {"secret": "crm-token", "in": "query", "name": "api_key"},
               ])  # fmt: skip

        response, _ = call(invoke, acme_admin, payload={"id": "a/b c", "tags": ["x", "y"], "note": "hi"})
        assert response.status_code == 200
        (received,) = upstream.received()
        assert received.path == "/ok/a%2Fb%20c"
        assert received.query == {"tags": ["x", "y"], "api_key": [SECRET]}
        assert received.headers["Authorization"] == f"Bearer {SECRET}"
        assert received.headers["X-Team"] == "blue"
        assert json.loads(received.body) == {"note": "hi"}
        assert "Idempotency-Key" not in received.headers  # this upstream honours none

    def test_a_get_sends_every_other_field_in_the_query(self, invoke, acme_admin, upstream):
        schema = {"type": "object", "properties": {"q": {"type": "string"}, "limit": {"type": "integer"},
                                                   "exact": {"type": "boolean"}}}  # fmt: skip
        define(acme_admin, upstream, "/ok", method="GET", input_schema=schema)
        call(invoke, acme_admin, payload={"q": "smith", "limit": 5, "exact": True})
        (received,) = upstream.received()
        assert (received.query, received.body) == ({"q": ["smith"], "limit": ["5"], "exact": ["true"]}, b"")

    def test_body_field_sends_that_fields_value(self, invoke, acme_admin, upstream):
        schema = {"type": "object", "properties": {"body": {"type": "array"}}}
        define(acme_admin, upstream, "/ok", input_schema=schema, body_field="body")
        call(invoke, acme_admin, payload={"body": [1, 2]})
        assert json.loads(upstream.received()[0].body) == [1, 2]


class TestSecretsEchoed:
    def test_a_secret_echoed_back_is_redacted_from_results_and_refusals(self, invoke, acme_admin, upstream):
        secret_store(tenant=acme_admin.tenant, name="crm-token", value=SECRET)
        credentials = [{"secret": "crm-token", "in": "header", "name": "X-Key"},
                       {"secret": "crm-token", "in": "query", "name": "key"}]  # fmt: skip
        define(acme_admin, upstream, "/echo", method="GET", credentials=credentials)
        define(acme_admin, upstream, "/echo-reject", name="crm2", method="GET", credentials=credentials)

        ok, _ = call(invoke, acme_admin, payload={})
        refused, body = call(invoke, acme_admin, name="crm2", payload={}, key="k-2")
        assert (ok.status_code, refused.status_code) == (200, 424)
        for response in (ok, refused):
            assert SECRET not in response.content.decode()
            assert "[redacted]" in response.content.decode()
        assert SECRET in upstream.received("/echo")[0].headers["X-Key"]  # it did reach the upstream
        stored = "".join(IdempotencyKey.objects.values_list("response_body", flat=True))
        assert SECRET not in stored and "[redacted]" in stored


def test_a_second_upstream_has_its_own_circuit(invoke, acme_admin, upstream, settings):
    settings.GATEWAY_UPSTREAM_BREAKER_FAILURES = 1
    other = Upstream()
    try:
        define(acme_admin, upstream, "/fail", method="GET")
        http_tool_create(owner=acme_admin.tenant, fields={"name": "other", "method": "GET",
                                                          "url_template": other.url("/ok")})  # fmt: skip
        call(invoke, acme_admin, key="k-1")
        assert call(invoke, acme_admin, key="k-2")[1]["code"] == "upstream_unavailable"
        assert call(invoke, acme_admin, name="other", payload={}, key="k-3")[0].status_code == 200
    finally:
        other.stop()
