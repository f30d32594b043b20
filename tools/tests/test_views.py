"""POST /v1/tools/invoke and GET /v1/tools: statuses, messages, audit and usage rows."""

import uuid

import pytest
from django.db import OperationalError, connection

from audit.chain import keyed_payload_fingerprint
from audit.models import AuditLog, UsageEvent
from tenants.api_keys import api_key_digest
from tools.fingerprint import request_fingerprint
from tools.models import IdempotencyKey
from tools.registry import registry


@pytest.mark.django_db
class TestSuccess:
    def test_echo_returns_the_payload_with_a_request_id(self, invoke, acme_admin):
        response = invoke(acme_admin, {"tool_name": "echo", "payload": {"text": "Hello, World!", "n": [1, 2.5]}})

        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"request_id", "result"}
        assert uuid.UUID(body["request_id"]).version == 4
        assert body["result"] == {"echo": {"text": "Hello, World!", "n": [1, 2.5]}}
        assert "Idempotent-Replayed" not in response.headers

    def test_payload_defaults_to_an_empty_object(self, invoke, acme_admin):
        response = invoke(acme_admin, {"tool_name": "echo"})
        assert response.json()["result"] == {"echo": {}}

    def test_writes_one_audit_row_and_one_usage_row(self, invoke, acme_admin):
        response = invoke(acme_admin, key="audit-me", HTTP_USER_AGENT="agent/1.0")
        request_id = uuid.UUID(response.json()["request_id"])

        audit = AuditLog.objects.get()
        assert (audit.tenant, audit.user, audit.outcome, audit.action) == (
            acme_admin.tenant,
            acme_admin.user,
            "success",
            "tools.invoke",
        )
        assert (audit.tool_name, audit.request_id, audit.idempotency_key, audit.status_code) == (
            "echo",
            request_id,
            "audit-me",
            200,
        )
        assert audit.client_ip == "127.0.0.1"
        usage = UsageEvent.objects.get()
        assert (usage.tenant, usage.user, usage.activity_type, usage.units, usage.tool_name, usage.request_id) == (
            acme_admin.tenant,
            acme_admin.user,
            "tool_invocation",
            1,
            "echo",
            request_id,
        )

    def test_usage_carries_the_tools_units(self, invoke, acme_admin):
        invoke(acme_admin, {"tool_name": "test_heavy"})
        assert UsageEvent.objects.get().units == 3

    def test_payload_the_database_could_not_store_as_text_still_round_trips(self, invoke, acme_admin):
        payload = {"nul": "a\u0000b", "big": 10**30, "emoji": "\U0001f680", "nested": {"list": [None, True, 1.5]}}
        first = invoke(acme_admin, {"tool_name": "echo", "payload": payload}, key="odd")
        replay = invoke(acme_admin, {"tool_name": "echo", "payload": payload}, key="odd")

        assert first.status_code == 200
        assert first.json()["result"] == {"echo": payload}
        assert replay.content == first.content

    def test_control_characters_in_headers_do_not_break_the_audit(self, api, acme_admin):
        headers = acme_admin.headers(**{"Idempotency-Key": "ctl", "User-Agent": "bad\x00agent\x07"})
        api.post("/v1/tools/invoke", {"tool_name": "echo"}, format="json", headers=headers)
        assert AuditLog.objects.get().user_agent == "badagent"

    def test_records_the_user_agent(self, api, acme_admin):
        headers = acme_admin.headers(**{"Idempotency-Key": "ua", "User-Agent": "my-agent/2.1"})
        api.post("/v1/tools/invoke", {"tool_name": "echo"}, format="json", headers=headers)
        assert AuditLog.objects.get().user_agent == "my-agent/2.1"


@pytest.mark.django_db
class TestRejectedBeforeTheToolRuns:
    """Rejections after the tenant authenticated are audited, never metered, and leave the key free."""

    @pytest.mark.parametrize(
        ("body", "status", "code", "error_field"),
        [
            ({"tool_name": "nope"}, 404, "tool_not_found", None),
            ({"payload": {}}, 422, "validation_error", "tool_name"),
            ({"tool_name": ""}, 422, "validation_error", "tool_name"),
            ({"tool_name": "x" * 101}, 422, "validation_error", "tool_name"),
            ({"tool_name": 7}, 422, "validation_error", "tool_name"),
            ({"tool_name": "echo", "payload": [1]}, 422, "validation_error", "payload"),
            ({"tool_name": "echo", "payload": None}, 422, "validation_error", "payload"),
            ({"tool_name": "kpi_summary", "payload": {}}, 422, "validation_error", "payload.kpi_id"),
            ({"tool_name": "kpi_summary", "payload": {"kpi_id": "x"}}, 422, "validation_error", "payload.kpi_id"),
            (
                {"tool_name": "kpi_summary", "payload": {"kpi_id": str(uuid.uuid4()), "window_days": 0}},
                422,
                "validation_error",
                "payload.window_days",
            ),
            (
                {"tool_name": "kpi_summary", "payload": {"kpi_id": str(uuid.uuid4()), "window_days": 3651}},
                422,
                "validation_error",
                "payload.window_days",
            ),
            (
                {"tool_name": "kpi_summary", "payload": {"kpi_id": str(uuid.uuid4()), "window_days": "7"}},
                422,
                "validation_error",
                "payload.window_days",
            ),
            (
                {"tool_name": "kpi_summary", "payload": {"kpi_id": str(uuid.uuid4()), "extra": 1}},
                422,
                "validation_error",
                "payload.extra",
            ),
            ([1, 2], 422, "validation_error", "body"),
            (b"{not json", 400, "malformed_json", None),
        ],
    )
    def test_is_audited_not_metered_not_stored(self, invoke, acme_admin, body, status, code, error_field):
        response = invoke(acme_admin, body, key="fix-and-retry")

        assert response.status_code == status
        assert response.json()["code"] == code
        if error_field:
            assert error_field in response.json()["errors"]
        audit = AuditLog.objects.get()
        assert (audit.outcome, audit.status_code, audit.error_code, audit.user) == (
            "error",
            status,
            code,
            acme_admin.user,
        )
        assert not UsageEvent.objects.exists()
        assert not IdempotencyKey.objects.exists()
        # The key is free: a corrected retry with it runs the tool.
        assert invoke(acme_admin, key="fix-and-retry").status_code == 200

    def test_unknown_tool_message(self, invoke, acme_admin):
        assert invoke(acme_admin, {"tool_name": "x"}).json() == {
            "detail": "Tool 'x' not found",
            "code": "tool_not_found",
        }

    def test_member_is_denied_and_audited(self, invoke, acme_member):
        response = invoke(acme_member)

        assert response.status_code == 403
        assert response.json() == {
            "detail": "Role 'member' is not authorized to invoke tools",
            "code": "permission_denied",
        }
        audit = AuditLog.objects.get()
        assert (audit.outcome, audit.user, audit.tool_name, audit.status_code) == (
            "denied",
            acme_member.user,
            "echo",
            403,
        )
        assert not UsageEvent.objects.exists()
        assert not IdempotencyKey.objects.exists()

    def test_unknown_user_is_denied_and_audited_against_the_tenant(self, invoke, acme_admin):
        stranger = str(uuid.uuid4())
        response = invoke(acme_admin, **{"X-User-ID": stranger})

        assert response.status_code == 403
        audit = AuditLog.objects.get()
        assert (audit.tenant, audit.user, audit.presented_user_id, audit.outcome) == (
            acme_admin.tenant,
            None,
            stranger,
            "denied",
        )

    def test_user_of_another_tenant_is_denied_and_audited(self, invoke, acme_admin, outsider):
        response = invoke(acme_admin, **{"X-User-ID": str(outsider.user.id)})

        assert response.status_code == 403
        audit = AuditLog.objects.get()
        assert (audit.tenant, audit.user, audit.outcome) == (acme_admin.tenant, None, "denied")

    @pytest.mark.parametrize(
        "headers",
        [{"X-API-Key": "wrong"}, {"X-Tenant-ID": str(uuid.uuid4())}, {"Idempotency-Key": "bad\x01key"}],
    )
    def test_unauthenticated_tenant_is_not_audited(self, invoke, acme_admin, headers):
        key = headers.pop("Idempotency-Key", "key-1")
        response = invoke(acme_admin, key=key, **headers)

        # A malformed key is refused before the tenant is looked at (400); a bad tenant or key is 401.
        assert (response.status_code, response.json()["code"]) == (
            (400, "invalid_header") if key != "key-1" else (401, "invalid_credentials")
        )
        assert not AuditLog.objects.exists()


@pytest.mark.django_db
class TestToolErrors:
    def test_tools_own_404_is_stored_audited_and_not_metered(self, invoke, acme_admin):
        missing = str(uuid.uuid4())
        body = {"tool_name": "kpi_summary", "payload": {"kpi_id": missing}}

        first = invoke(acme_admin, body, key="summary")
        again = invoke(acme_admin, body, key="summary")

        assert first.status_code == again.status_code == 404
        assert first.json() == {"detail": f"KPI '{missing}' not found", "code": "kpi_not_found"}
        assert again.content == first.content
        assert again.headers["Idempotent-Replayed"] == "true"
        audit = AuditLog.objects.get()
        assert (audit.outcome, audit.status_code, audit.error_code) == ("error", 404, "kpi_not_found")
        assert not UsageEvent.objects.exists()

    def test_unexpected_exception_is_a_bare_500_that_releases_the_key(self, invoke, acme_admin):
        response = invoke(acme_admin, {"tool_name": "test_explode"}, key="boom")

        assert response.status_code == 500
        assert response.json() == {"detail": "Internal server error", "code": "server_error"}
        assert b"secret" not in response.content
        assert not IdempotencyKey.objects.exists()
        audit = AuditLog.objects.get()
        assert (audit.outcome, audit.status_code, audit.error_code) == ("error", 500, "server_error")
        assert not UsageEvent.objects.exists()
        # Released, so the retry runs the tool again rather than replaying the failure.
        assert invoke(acme_admin, {"tool_name": "test_explode"}, key="boom").status_code == 500
        assert AuditLog.objects.count() == 2


@pytest.mark.django_db
class TestCatalogue:
    def test_lists_every_registered_tool_an_admin_may_call(self, api, acme_admin, acme_member):
        """Issue 12: the catalogue is what the caller can call; every tool's roles include the admin's,
        and a member, who may not invoke tools at all, gets none (tools/tests/test_access.py)."""
        response = api.get("/v1/tools", headers=acme_admin.headers())
        assert api.get("/v1/tools", headers=acme_member.headers()).json() == []

        assert response.status_code == 200
        catalogue = {tool["name"]: tool for tool in response.json()}
        assert set(catalogue) == {tool.name for tool in registry.all()}
        assert catalogue["echo"] == {
            "name": "echo",
            "description": registry.get("echo").description,
            "input_schema": {"type": "object"},
            "permission": "tools.invoke",
            "roles": ["admin"],
            "units": 1,
        }
        assert catalogue["kpi_summary"]["permission"] == "kpis.read"
        assert catalogue["kpi_summary"]["input_schema"]["required"] == ["kpi_id"]


@pytest.mark.django_db(transaction=True)
def test_success_path_query_budget(invoke, acme_admin, django_assert_num_queries):
    """Transactional, so the count is production's: no test-wrapper savepoints."""
    # 1 user+tenant by primary key, 2 claim the key (INSERT ... ON CONFLICT DO NOTHING),
    # then one transaction: BEGIN, 3 store the response under our claim token, 4 read the
    # tenant's audit chain head, 5 append the audit row, 6 usage row, COMMIT.
    # Six statements; Django also logs the BEGIN and COMMIT. PostgreSQL adds one: the
    # per-tenant advisory lock that queues chain appends (SQLite's BEGIN IMMEDIATE does that).
    statements = 6 if connection.vendor == "sqlite" else 7
    with django_assert_num_queries(statements + 2):
        response = invoke(acme_admin)
    assert response.status_code == 200
    assert response.json()["result"] == {"echo": {"text": "hi"}}
    assert (AuditLog.objects.get().outcome, UsageEvent.objects.count()) == ("success", 1)


@pytest.mark.django_db(transaction=True)
def test_replay_query_budget(invoke, acme_admin, django_assert_num_queries):
    invoke(acme_admin, key="again")
    # 1 user+tenant, 2 claim attempt (conflict, nothing inserted), 3 read the stored response.
    first = IdempotencyKey.objects.get().response_body
    with django_assert_num_queries(3):
        response = invoke(acme_admin, key="again")
    assert (response.status_code, response.headers["Idempotent-Replayed"]) == (200, "true")
    assert response.content.decode() == first
    assert (AuditLog.objects.count(), UsageEvent.objects.count()) == (1, 1)


@pytest.mark.django_db
def test_unrepresentable_number_anywhere_in_the_body_is_400(invoke, acme_admin):
    response = invoke(acme_admin, b'{"tool_name": "echo", "payload": {}, "x": 1e400}')
    assert response.status_code == 400
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
# OPTIONS answers the allowed methods (gateway_project/tests/test_api_views.py::TestOptions).
@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_other_methods_on_invoke_are_405_and_not_audited(api, acme_admin, method):
    headers = acme_admin.headers(**{"Idempotency-Key": "k"})
    response = getattr(api, method)("/v1/tools/invoke", headers=headers)
    assert response.status_code == 405
    assert not AuditLog.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("tool", [t for t in registry.all() if t.input_schema.get("required")], ids=lambda t: t.name)
def test_each_tools_schema_is_enforced_naming_the_missing_field(invoke, acme_admin, tool):
    """The catalogue's schema is the one invocation enforces: an empty payload names each required field."""
    response = invoke(acme_admin, {"tool_name": tool.name, "payload": {}})

    assert response.status_code == 422
    assert set(response.json()["errors"]) == {f"payload.{name}" for name in tool.input_schema["required"]}


@pytest.mark.django_db
def test_audit_row_records_key_and_payload_fingerprints_and_duration(invoke, acme_admin):
    body = {"tool_name": "echo", "payload": {"x": 1}}
    invoke(acme_admin, body)

    audit = AuditLog.objects.get()
    assert audit.api_key_fingerprint == api_key_digest(acme_admin.api_key)[:16]
    assert acme_admin.api_key not in repr(AuditLog.objects.values().get())
    # Keyed, so a guessed body cannot be checked against it without the audit key.
    assert audit.payload_fingerprint == keyed_payload_fingerprint(request_fingerprint(body))
    assert audit.payload_fingerprint != request_fingerprint(body)
    assert audit.duration_ms is not None and audit.duration_ms >= 0


@pytest.mark.django_db
def test_client_ip_comes_through_trusted_proxies_only(api, acme_admin, settings):
    settings.GATEWAY_TRUSTED_PROXY_COUNT = 1
    headers = acme_admin.headers(**{"Idempotency-Key": "k", "X-Forwarded-For": "6.6.6.6, 198.51.100.4"})
    api.post("/v1/tools/invoke", {"tool_name": "echo"}, format="json", headers=headers)
    assert AuditLog.objects.get().client_ip == "198.51.100.4"


@pytest.mark.django_db
def test_a_database_that_stops_answering_is_a_503_not_a_500(invoke, acme_admin, monkeypatch):
    def unavailable(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr("tools.services.claim_acquire", unavailable)
    response = invoke(acme_admin)

    assert response.status_code == 503
    assert response.json() == {"detail": "The database is unavailable; retry shortly", "code": "database_unavailable"}
    assert response["Retry-After"] == "1"
    assert b"locked" not in response.content


@pytest.mark.django_db
class TestOversizedBodies:
    """A body over GATEWAY_MAX_BODY_BYTES cannot be read, yet the attempt is audited like any other."""

    @pytest.fixture(autouse=True)
    def small_limit(self, settings):
        settings.GATEWAY_MAX_BODY_BYTES = settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048

    @staticmethod
    def oversized(invoke, actor, **headers):
        body = b'{"tool_name": "echo", "payload": {"text": "' + b"x" * 5000 + b'"}}'
        return invoke(actor, body, key="too-big", **headers)

    def test_an_admin_gets_413_and_an_error_row(self, invoke, acme_admin):
        response = self.oversized(invoke, acme_admin)

        assert response.status_code == 413
        assert response.json()["code"] == "payload_too_large"
        audit = AuditLog.objects.get()
        assert (audit.outcome, audit.status_code, audit.error_code, audit.user, audit.idempotency_key) == (
            "error", 413, "payload_too_large", acme_admin.user, "too-big",
        )  # fmt: skip
        # Nothing of the body could be read, so there is nothing to fingerprint.
        assert (audit.tool_name, audit.payload_fingerprint) == ("", "")
        assert not IdempotencyKey.objects.exists()

    def test_a_member_gets_403_and_a_denied_row(self, invoke, acme_member):
        response = self.oversized(invoke, acme_member)

        assert response.status_code == 403
        audit = AuditLog.objects.get()
        assert (audit.outcome, audit.status_code, audit.user) == ("denied", 403, acme_member.user)

    @pytest.mark.parametrize("who", ["nobody", "outsider"])
    def test_an_unknown_or_foreign_user_gets_403_and_a_denied_row(self, invoke, acme_admin, outsider, who):
        user_id = str(uuid.uuid4()) if who == "nobody" else str(outsider.user.id)
        response = self.oversized(invoke, acme_admin, **{"X-User-ID": user_id})

        assert response.status_code == 403
        audit = AuditLog.objects.get()
        assert (audit.tenant, audit.outcome, audit.status_code, audit.presented_user_id) == (
            acme_admin.tenant, "denied", 403, user_id,
        )  # fmt: skip

    def test_no_audit_failure_is_logged(self, invoke, acme_member, caplog):
        self.oversized(invoke, acme_member)
        assert not [record for record in caplog.records if record.levelname == "ERROR"]


@pytest.mark.django_db
class TestResultLimit:
    def test_an_answer_over_the_limit_is_a_502_stored_and_not_metered(self, invoke, acme_admin, settings):
        settings.GATEWAY_MAX_RESULT_BYTES = 2048
        body = {"tool_name": "echo", "payload": {"text": "x" * 3000}}

        first = invoke(acme_admin, body, key="big-answer")
        again = invoke(acme_admin, body, key="big-answer")

        assert first.status_code == 502
        assert first.json() == {
            "detail": "The tool's answer exceeds the limit of 2048 bytes",
            "code": "result_too_large",
        }
        assert (again.content, again.headers["Idempotent-Replayed"]) == (first.content, "true")
        assert len(IdempotencyKey.objects.get().response_body) < 2048
        audit = AuditLog.objects.get()
        assert (audit.outcome, audit.status_code, audit.error_code, audit.units) == (
            "error",
            502,
            "result_too_large",
            0,
        )
        assert not UsageEvent.objects.exists()

    def test_an_answer_at_the_limit_is_delivered(self, invoke, acme_admin, settings):
        settings.GATEWAY_MAX_RESULT_BYTES = 2048
        small = invoke(acme_admin, {"tool_name": "echo", "payload": {"text": "x" * 100}})
        assert small.status_code == 200
        settings.GATEWAY_MAX_RESULT_BYTES = len(small.content)
        assert invoke(acme_admin, {"tool_name": "echo", "payload": {"text": "x" * 100}}, key="k2").status_code == 200
