"""tools/invocation.py, driven directly (no HTTP, no DRF): every outcome of one invocation attempt leaves exactly
the audit rows, usage rows and stored idempotency keys that docs/API.md ("Audit and usage", "Idempotency") lists."""

import dataclasses
import uuid
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import OperationalError, connection
from django.utils import timezone
from model_bakery import baker

from audit.chain import CHAIN_VERSION, keyed_payload_fingerprint
from audit.models import AuditLog, Channel, UsageEvent
from audit.verification import audit_chain_verify
from gateway_project.errors import (
    DatabaseUnavailable,
    GatewayError,
    MalformedJSON,
    PayloadTooLarge,
    RequestTimeout,
    ServerFailure,
    ValidationFailed,
)
from kpis.models import KpiDefinition
from tenants import rate_limits
from tenants.models import Role, TenantUser
from tenants.permissions import ROLE_PERMISSIONS, Permission
from tools.fingerprint import request_fingerprint
from tools.idempotency import IdempotencyInProgress
from tools.invocation import ToolRequest
from tools.models import IdempotencyKey
from tools.tests.helpers import ECHO, Reader, attempt_invocation, make_claim, tool_request

OTHER_ECHO = {"tool_name": "echo", "payload": {"text": "Something else"}}
ACTORS_USER = object()  # `audited(user=...)` default: the acting user


@pytest.fixture(autouse=True)
def pipeline_tools(settings):
    """The code tools, then tools/tests/helpers.py's PIPELINE_TOOLS (members only, self-metering, failing)."""
    settings.GATEWAY_TOOL_PROVIDERS = [*settings.GATEWAY_TOOL_PROVIDERS, "tools.tests.helpers.PIPELINE_TOOLS"]


@pytest.fixture(autouse=True)
def fresh_counters(monkeypatch):
    cache.clear()
    monkeypatch.setattr(rate_limits, "_cache_down_until", 0.0)


@pytest.fixture(autouse=True)
def trail_verifies(db):
    """Whatever a test drove through the pipeline, every tenant's chain and usage ledger still verify."""
    yield
    report = audit_chain_verify()
    assert report.intact, report.breaks


@pytest.fixture
def colleague(acme_admin):
    """A second admin of Acme: same tenant and role, another user."""
    user = baker.make(TenantUser, tenant=acme_admin.tenant, email="second-admin@acme.test", role=Role.ADMIN)
    return dataclasses.replace(acme_admin, user=user)


def refused(actor, body: dict | ToolRequest = ECHO, **kwargs) -> GatewayError:
    """The error the attempt ends in; it must end in one."""
    with pytest.raises(GatewayError) as raised:
        attempt_invocation(actor, body, **kwargs)
    return raised.value


def audit_rows() -> list[dict]:
    return [
        {
            "tenant": row.tenant_id,
            "user": row.user_id,
            "presented_user_id": row.presented_user_id,
            "outcome": row.outcome,
            "status_code": row.status_code,
            "error_code": row.error_code,
            "tool_name": row.tool_name,
            "idempotency_key": row.idempotency_key,
            "payload_fingerprint": row.payload_fingerprint,
            "units": row.units,
            "channel": row.channel,
        }
        for row in AuditLog.objects.order_by("id")
    ]


def audited(
    actor, outcome: str, status_code: int, error_code: str = "", *, body: dict | None = ECHO,
    tool_name: str | None = None, key: str | None = "key-1", user=ACTORS_USER, presented_user_id: str | None = None,
    units: int = 0, channel: str = "rest",
) -> dict:  # fmt: skip
    """The audit row the contract expects for `actor`'s attempt with `body` (None: a body that could not be read,
    so no tool name and no fingerprint)."""
    return {
        "tenant": actor.tenant.id,
        "user": actor.user.id if user is ACTORS_USER else user,
        "presented_user_id": str(actor.user.id) if presented_user_id is None else presented_user_id,
        "outcome": outcome,
        "status_code": status_code,
        "error_code": error_code,
        "tool_name": (body or {}).get("tool_name", "") if tool_name is None else tool_name,
        "idempotency_key": key or "",
        "payload_fingerprint": keyed_payload_fingerprint(request_fingerprint(body)) if body is not None else "",
        "units": units,
        "channel": channel,
    }


def usage_rows() -> list[tuple]:
    return list(UsageEvent.objects.order_by("id").values_list("user", "activity_type", "units", "tool_name"))


def stored_keys() -> list[tuple]:
    return list(IdempotencyKey.objects.order_by("id").values_list("key", "user", "fingerprint", "response_status"))


def assert_nothing_stored_or_metered():
    assert stored_keys() == []
    assert usage_rows() == []


def unsupported_media_type() -> GatewayError:
    """The 415 the REST channel hands in for a body that is not JSON (as gateway_project.exceptions builds it)."""
    error = GatewayError('Unsupported media type "text/plain" in request.', code="unsupported_media_type")
    error.status_code = 415
    return error


@pytest.mark.django_db
class TestRefusedBeforeTheTenantIsKnown:
    """A malformed key (400) and unknown credentials (401): nothing to attribute them to, so nothing is written,
    and the request is never read."""

    @pytest.mark.parametrize(
        "key",
        ["", " leading-space", "trailing-space ", "tab\there", "caf\u00e9", "x" * 256],
        ids=["empty", "leading-space", "trailing-space", "control-character", "non-ascii", "too-long"],
    )
    def test_a_malformed_idempotency_key_is_a_400_before_the_credentials_are_checked(self, acme_admin, key):
        reader = Reader(tool_request(ECHO))

        error = refused(acme_admin, key=key, reader=reader, api_key="gwk_" + "0" * 43)

        assert (error.status_code, error.code, error.outcome) == (400, "invalid_header", "error")
        assert error.detail == "Invalid header Idempotency-Key: must be 1 to 255 printable ASCII characters"
        assert reader.reads == 0
        assert audit_rows() == []
        assert_nothing_stored_or_metered()

    @pytest.mark.parametrize(
        "credentials",
        [
            pytest.param(lambda outsider: {"tenant_id": str(uuid.uuid4())}, id="unknown-tenant"),
            pytest.param(lambda outsider: {"tenant_id": "not-a-uuid"}, id="malformed-tenant-id"),
            pytest.param(lambda outsider: {"api_key": "gwk_" + "0" * 43}, id="wrong-key"),
            pytest.param(lambda outsider: {"api_key": outsider.api_key}, id="another-tenants-key"),
        ],
    )
    def test_unknown_tenant_or_wrong_key_is_a_401_not_audited(self, acme_admin, outsider, credentials):
        reader = Reader(tool_request(ECHO))

        error = refused(acme_admin, reader=reader, **credentials(outsider))

        assert (error.status_code, error.code, error.detail) == (
            401,
            "invalid_credentials",
            "Invalid tenant ID or API key",
        )
        assert error.headers == {"WWW-Authenticate": 'ApiKey realm="gateway"'}
        assert reader.reads == 0
        assert audit_rows() == []
        assert_nothing_stored_or_metered()


@pytest.mark.django_db
class TestRefusedForWhoCalls:
    """403s once the tenant authenticated: audited as denied against the tenant, never stored or metered."""

    def test_a_suspended_tenant_is_denied(self, acme_admin):
        acme_admin.tenant.suspended_at = timezone.now()
        acme_admin.tenant.save(update_fields=["suspended_at"])

        error = refused(acme_admin)

        assert (error.status_code, error.code, error.detail) == (403, "tenant_suspended", "Tenant is suspended")
        assert audit_rows() == [audited(acme_admin, "denied", 403, "tenant_suspended")]
        assert_nothing_stored_or_metered()

    @pytest.mark.parametrize("presented", [str(uuid.uuid4()), "not-a-uuid"], ids=["unknown-user", "malformed-id"])
    def test_an_unknown_user_is_denied_with_no_user_and_the_presented_id_kept(self, acme_admin, presented):
        error = refused(acme_admin, user_id=presented)

        assert (error.status_code, error.code, error.detail) == (403, "user_not_found", "User not found")
        assert audit_rows() == [
            audited(acme_admin, "denied", 403, "user_not_found", user=None, presented_user_id=presented)
        ]
        assert_nothing_stored_or_metered()

    def test_a_user_of_another_tenant_is_denied_against_the_tenant_whose_key_was_used(self, acme_admin, outsider):
        presented = str(outsider.user.id)

        error = refused(acme_admin, user_id=presented)

        assert (error.status_code, error.code) == (403, "user_not_in_tenant")
        assert error.detail == "User does not belong to this tenant"
        assert audit_rows() == [
            audited(acme_admin, "denied", 403, "user_not_in_tenant", user=None, presented_user_id=presented)
        ]
        assert_nothing_stored_or_metered()

    def test_a_role_without_tools_invoke_is_denied_and_the_request_read_only_to_name_the_tool(self, acme_member):
        reader = Reader(tool_request(ECHO))

        error = refused(acme_member, reader=reader)

        assert (error.status_code, error.code) == (403, "permission_denied")
        assert error.detail == "Role 'member' is not authorized to invoke tools"
        assert reader.reads == 1
        assert audit_rows() == [audited(acme_member, "denied", 403, "permission_denied")]
        assert_nothing_stored_or_metered()

    def test_a_role_without_tools_invoke_is_a_403_even_when_its_body_could_not_be_read(self, acme_member):
        error = refused(acme_member, ToolRequest(problem=PayloadTooLarge(1024)))

        assert (error.status_code, error.code) == (403, "permission_denied")
        assert audit_rows() == [audited(acme_member, "denied", 403, "permission_denied", body=None)]

    def test_a_refused_role_counts_against_no_rate_limit(self, acme_admin, acme_member, settings):
        settings.GATEWAY_RATE_LIMIT_USER_PER_MINUTE = 1
        settings.GATEWAY_RATE_LIMIT_TENANT_PER_MINUTE = 1

        codes = [refused(acme_member, key=f"m{n}").code for n in range(3)]

        assert codes == ["permission_denied"] * 3
        assert attempt_invocation(acme_admin).status == 200


@pytest.mark.django_db
class TestBodyProblems:
    """What the channel could not read or shape: an error row, audited and counted, with nothing stored."""

    @pytest.mark.parametrize(
        ("problem", "status", "code"),
        [
            pytest.param(MalformedJSON(), 400, "malformed_json", id="unparseable"),
            pytest.param(MalformedJSON("Request body is empty; send a JSON document"), 400, "malformed_json",
                         id="empty"),
            pytest.param(GatewayError("Request body nests too deep", code="json_too_deep"), 400, "json_too_deep",
                         id="too-deep"),
            pytest.param(RequestTimeout(), 408, "request_timeout", id="too-slow"),
            pytest.param(PayloadTooLarge(1024), 413, "payload_too_large", id="too-large"),
            pytest.param(unsupported_media_type(), 415, "unsupported_media_type", id="another-media-type"),
        ],
    )  # fmt: skip
    @pytest.mark.parametrize("raised", [False, True], ids=["handed-in", "raised-by-the-reader"])
    def test_an_unreadable_body_is_an_error_with_no_tool_name_and_no_fingerprint(
        self, acme_admin, problem, status, code, raised
    ):
        reader = Reader(problem if raised else ToolRequest(problem=problem))

        error = refused(acme_admin, reader=reader)

        assert error is problem
        assert audit_rows() == [audited(acme_admin, "error", status, code, body=None)]
        assert_nothing_stored_or_metered()

    @pytest.mark.parametrize(
        ("body", "named", "errors"),
        [
            ({"tool_name": "echo", "payload": [1]}, "echo", {"payload": ["Payload must be a JSON object."]}),
            ({"payload": {}}, "", {"tool_name": ["This field is required."]}),
            ({"tool_name": 7}, "", {"tool_name": ["Not a valid string."]}),
        ],
        ids=["payload-not-an-object", "no-tool-name", "tool-name-not-a-string"],
    )
    def test_a_body_of_the_wrong_shape_is_a_422_naming_the_tool_when_it_could(self, acme_admin, body, named, errors):
        shape = ToolRequest(tool_name=named, fingerprint=request_fingerprint(body), problem=ValidationFailed(errors))

        error = refused(acme_admin, shape)

        assert (error.status_code, error.code, error.errors) == (422, "validation_error", errors)
        assert audit_rows() == [audited(acme_admin, "error", 422, "validation_error", body=body, tool_name=named)]
        assert_nothing_stored_or_metered()

    def test_a_corrected_retry_under_the_same_key_runs(self, acme_admin):
        refused(acme_admin, ToolRequest(problem=MalformedJSON()))

        assert attempt_invocation(acme_admin).status == 200
        assert [row["status_code"] for row in audit_rows()] == [400, 200]
        assert stored_keys() == [("key-1", acme_admin.user.id, request_fingerprint(ECHO), 200)]


@pytest.mark.django_db
class TestRefusedTool:
    """Step 6.3/6.4 and 8: an unknown tool (404), a tool the role may not call (403), a payload its schema refuses
    (422). Audited, named and fingerprinted; nothing stored, so a corrected retry with the same key runs."""

    def test_an_unknown_tool_is_a_404_error(self, acme_admin):
        body = {"tool_name": "no_such_tool", "payload": {}}

        error = refused(acme_admin, body)

        assert (error.status_code, error.code, error.detail) == (404, "tool_not_found", "Tool 'no_such_tool' not found")
        assert audit_rows() == [audited(acme_admin, "error", 404, "tool_not_found", body=body)]
        assert_nothing_stored_or_metered()
        assert attempt_invocation(acme_admin).status == 200

    def test_a_tool_the_role_may_not_call_is_denied(self, acme_admin):
        body = {"tool_name": "test_members_only"}

        error = refused(acme_admin, body)

        assert (error.status_code, error.code, error.outcome) == (403, "role_not_allowed", "denied")
        assert error.detail == "Role 'admin' is not authorized to call test_members_only"
        assert audit_rows() == [audited(acme_admin, "denied", 403, "role_not_allowed", body=body)]
        assert_nothing_stored_or_metered()

    def test_a_role_holding_tools_invoke_but_not_among_the_tools_roles_is_denied(self, acme_admin, monkeypatch):
        """docs/API.md, Roles: the tool's own check refuses a role that holds tools.invoke but is not among the
        tool's roles (kpi_summary: the roles holding kpis.read), in the words `call <tool name>`."""
        monkeypatch.setitem(ROLE_PERMISSIONS, "invoker", frozenset({Permission.TOOLS_INVOKE}))
        invoker = baker.make(TenantUser, tenant=acme_admin.tenant, email="invoker@acme.test", role="invoker")
        actor = dataclasses.replace(acme_admin, user=invoker)
        body = {"tool_name": "kpi_summary", "payload": {"kpi_id": str(uuid.uuid4())}}

        error = refused(actor, body)

        assert (error.status_code, error.code) == (403, "role_not_allowed")
        assert error.detail == "Role 'invoker' is not authorized to call kpi_summary"
        assert audit_rows() == [audited(actor, "denied", 403, "role_not_allowed", body=body)]

    def test_a_payload_the_tools_schema_refuses_is_a_422_error(self, acme_admin):
        body = {"tool_name": "kpi_summary", "payload": {"window_days": 0}}

        error = refused(acme_admin, body)

        assert (error.status_code, error.code) == (422, "validation_error")
        assert error.errors == {
            "payload.kpi_id": ["This field is required."],
            "payload.window_days": ["0 is less than the minimum of 1"],
        }
        assert audit_rows() == [audited(acme_admin, "error", 422, "validation_error", body=body)]
        assert_nothing_stored_or_metered()
        assert attempt_invocation(acme_admin).status == 200


BAD_ATTEMPTS = [
    pytest.param(ToolRequest(problem=MalformedJSON()), 400, id="unparseable-body"),
    pytest.param(
        ToolRequest(tool_name="echo", fingerprint="f" * 64, problem=ValidationFailed({"payload": ["Not an object."]})),
        422,
        id="wrong-shape",
    ),
    pytest.param(tool_request({"tool_name": "no_such_tool"}), 404, id="unknown-tool"),
    pytest.param(tool_request({"tool_name": "test_members_only"}), 403, id="tool-the-role-may-not-call"),
]


@pytest.mark.django_db
class TestRateLimits:
    """Step 7, and 6's rider: a 429 is audited as denied, never stored or metered; an attempt refused for its body
    or its tool still counts for the user and the tenant, and becomes a 429 once their limit is spent."""

    def test_over_the_users_limit_is_a_denied_429(self, acme_admin, settings):
        settings.GATEWAY_RATE_LIMIT_USER_PER_MINUTE = 1
        assert attempt_invocation(acme_admin).status == 200

        error = refused(acme_admin, key="key-2")

        assert (error.status_code, error.code) == (429, "rate_limited")
        assert error.detail == "Rate limit exceeded: 1 requests per minute for this user"
        assert 1 <= int(error.headers["Retry-After"]) <= 60
        assert audit_rows() == [
            audited(acme_admin, "success", 200, units=1),
            audited(acme_admin, "denied", 429, "rate_limited", key="key-2"),
        ]
        assert usage_rows() == [(acme_admin.user.id, "tool_invocation", 1, "echo")]
        assert stored_keys() == [("key-1", acme_admin.user.id, request_fingerprint(ECHO), 200)]

    @pytest.mark.parametrize(("bad", "status"), BAD_ATTEMPTS)
    def test_a_refused_attempt_counts_and_the_next_one_is_a_429(self, acme_admin, settings, bad, status):
        settings.GATEWAY_RATE_LIMIT_USER_PER_MINUTE = 1

        first = refused(acme_admin, bad, key="bad-1")
        again = refused(acme_admin, bad, key="bad-2")
        good = refused(acme_admin, key="good")

        assert [first.status_code, again.status_code, good.status_code] == [status, 429, 429]
        assert [(row["outcome"], row["error_code"]) for row in audit_rows()[1:]] == [("denied", "rate_limited")] * 2
        # The 429 names what the refused attempt named, as its own row would have.
        assert audit_rows()[1]["tool_name"] == bad.tool_name
        assert_nothing_stored_or_metered()

    def test_a_refused_attempt_counts_for_the_tenant_too(self, acme_admin, colleague, settings):
        settings.GATEWAY_RATE_LIMIT_TENANT_PER_MINUTE = 1

        refused(acme_admin, ToolRequest(problem=MalformedJSON()))
        error = refused(colleague)

        assert (error.status_code, error.detail) == (429, "Rate limit exceeded: 1 requests per minute for this tenant")
        assert audit_rows()[1] == audited(colleague, "denied", 429, "rate_limited")

    def test_an_attempt_naming_a_tool_it_may_call_counts_for_the_tool(self, acme_admin, settings):
        settings.GATEWAY_RATE_LIMIT_TOOL_PER_MINUTE = 1
        invalid = refused(acme_admin, {"tool_name": "kpi_summary"})  # 422 after the limits: it counted
        body = {"tool_name": "kpi_summary", "payload": {"kpi_id": str(uuid.uuid4())}}

        error = refused(acme_admin, body, key="key-2")

        assert (invalid.status_code, error.status_code) == (422, 429)
        assert error.detail == "Rate limit exceeded: 1 requests per minute for this tool"
        assert audit_rows()[1] == audited(acme_admin, "denied", 429, "rate_limited", body=body, key="key-2")
        assert attempt_invocation(acme_admin, key="key-3").status == 200  # another tool's count is its own

    def test_an_attempt_refused_for_its_tool_does_not_count_for_the_tool(self, acme_admin, settings):
        settings.GATEWAY_RATE_LIMIT_TOOL_PER_MINUTE = 1

        codes = [refused(acme_admin, {"tool_name": "test_members_only"}, key=f"k{n}").code for n in range(3)]

        assert codes == ["role_not_allowed"] * 3

    def test_a_replay_counts_against_the_limits(self, acme_admin, settings):
        settings.GATEWAY_RATE_LIMIT_USER_PER_MINUTE = 2
        attempt_invocation(acme_admin)

        assert attempt_invocation(acme_admin).replayed
        assert refused(acme_admin, key="key-2").status_code == 429


@pytest.mark.django_db
class TestIdempotencyConflicts:
    """Step 9: another request under a used key is a 409 error of its own (audited); a retry of one still in
    flight is a 409 that is not an attempt (not audited). Neither runs the tool, meters, or touches the key."""

    @pytest.mark.parametrize(
        ("who", "body", "code", "detail"),
        [
            ("same-user", OTHER_ECHO, "idempotency_key_reused",
             "Idempotency key 'key-1' was already used with a different request body"),
            ("colleague", ECHO, "idempotency_key_other_user",
             "Idempotency key 'key-1' was already used by another user"),
            ("colleague", OTHER_ECHO, "idempotency_key_other_user",
             "Idempotency key 'key-1' was already used by another user"),
        ],
        ids=["another-body", "another-user", "another-user-and-body"],
    )  # fmt: skip
    def test_a_used_key_with_another_request_is_a_409_error(self, acme_admin, colleague, who, body, code, detail):
        actor = colleague if who == "colleague" else acme_admin
        first = attempt_invocation(acme_admin)

        error = refused(actor, body)

        assert (error.status_code, error.code, error.detail) == (409, code, detail)
        assert audit_rows() == [
            audited(acme_admin, "success", 200, units=1),
            audited(actor, "error", 409, code, body=body),
        ]
        assert usage_rows() == [(acme_admin.user.id, "tool_invocation", 1, "echo")]
        assert stored_keys() == [("key-1", acme_admin.user.id, request_fingerprint(ECHO), 200)]
        assert IdempotencyKey.objects.get().response_body == first.body

    def test_a_retry_while_the_key_is_in_flight_is_a_409_not_audited(self, acme_admin):
        claim = make_claim(acme_admin, key="key-1", body=ECHO, locked_ago=timedelta(seconds=1),
                           expires_in=timedelta(hours=24))  # fmt: skip

        error = refused(acme_admin)

        assert isinstance(error, IdempotencyInProgress)
        assert (error.status_code, error.code, error.headers) == (409, "idempotency_in_progress", {"Retry-After": "1"})
        assert audit_rows() == []
        assert usage_rows() == []
        untouched = IdempotencyKey.objects.get()
        assert (untouched.claim_token, untouched.response_status) == (claim.claim_token, None)

    def test_a_claim_silent_past_the_lock_timeout_is_taken_over_and_run(self, acme_admin):
        claim = make_claim(acme_admin, key="key-1", body=ECHO, locked_ago=timedelta(minutes=2),
                           expires_in=timedelta(hours=24))  # fmt: skip

        result = attempt_invocation(acme_admin)

        assert (result.status, result.replayed) == (200, False)
        assert audit_rows() == [audited(acme_admin, "success", 200, units=1)]
        assert usage_rows() == [(acme_admin.user.id, "tool_invocation", 1, "echo")]
        taken = IdempotencyKey.objects.get()
        assert taken.claim_token != claim.claim_token
        assert (taken.response_status, taken.response_body) == (200, result.body)

    def test_an_expired_key_is_free_for_any_user_and_body(self, acme_admin, colleague):
        make_claim(acme_admin, key="key-1", body=ECHO, locked_ago=timedelta(hours=25),
                   expires_in=timedelta(hours=-1), completed=True)  # fmt: skip

        result = attempt_invocation(colleague, OTHER_ECHO)

        assert (result.status, result.replayed) == (200, False)
        assert stored_keys() == [("key-1", colleague.user.id, request_fingerprint(OTHER_ECHO), 200)]


@pytest.mark.django_db
class TestReplay:
    """A stored answer is replayed byte for byte: the tool does not run, nothing is audited or metered."""

    def test_the_same_request_again_gets_the_stored_bytes(self, acme_admin):
        first = attempt_invocation(acme_admin)

        replay = attempt_invocation(acme_admin)

        assert (replay.status, replay.body, replay.replayed) == (200, first.body, True)
        assert first.replayed is False
        assert audit_rows() == [audited(acme_admin, "success", 200, units=1)]
        assert usage_rows() == [(acme_admin.user.id, "tool_invocation", 1, "echo")]

    def test_a_stored_answer_is_replayed_without_running_the_tool(self, acme_admin):
        make_claim(acme_admin, key="key-1", body=ECHO, locked_ago=timedelta(minutes=5),
                   expires_in=timedelta(hours=24), completed=True)  # fmt: skip

        replay = attempt_invocation(acme_admin)

        assert (replay.status, replay.body, replay.replayed) == (200, '{"stale": true}', True)
        assert audit_rows() == []
        assert usage_rows() == []


@pytest.mark.django_db
class TestToolAnswered:
    """Step 10: the tool ran and answered. A 200 is one success row with its units, one usage row and the stored
    answer, all in one transaction; the tool's own 4xx and a too-large answer are errors, stored, never metered."""

    @pytest.mark.parametrize(("tool_name", "units"), [("echo", 1), ("test_heavy", 3)])
    def test_a_success_is_audited_metered_and_stored(self, acme_admin, tool_name, units):
        body = {"tool_name": tool_name, "payload": {"text": "hi"}}

        result = attempt_invocation(acme_admin, body)

        assert (result.status, result.replayed, result.outcome) == (200, False, "success")
        row = AuditLog.objects.get()
        assert result.document["request_id"] == str(row.request_id)
        assert audit_rows() == [audited(acme_admin, "success", 200, body=body, units=units)]
        usage = UsageEvent.objects.get()
        assert (usage.tenant_id, usage.request_id) == (acme_admin.tenant.id, row.request_id)
        assert usage_rows() == [(acme_admin.user.id, "tool_invocation", units, tool_name)]
        stored = IdempotencyKey.objects.get()
        assert (stored.key, stored.user_id, stored.fingerprint) == (
            "key-1",
            acme_admin.user.id,
            request_fingerprint(body),
        )
        assert (stored.response_status, stored.response_body) == (200, result.body)
        assert stored.completed_at is not None

    def test_echo_answers_with_its_request_id_and_the_payload(self, acme_admin):
        result = attempt_invocation(acme_admin)
        assert result.document == {
            "request_id": str(AuditLog.objects.get().request_id),
            "result": {"echo": ECHO["payload"]},
        }

    @pytest.mark.parametrize(("kpi", "code"), [("unknown", "kpi_not_found"), ("no-points", "kpi_no_data")])
    def test_the_tools_own_4xx_is_an_error_stored_and_replayed_never_metered(self, acme_admin, kpi, code):
        kpi_id = uuid.uuid4() if kpi == "unknown" else baker.make(KpiDefinition, tenant=acme_admin.tenant).id
        body = {"tool_name": "kpi_summary", "payload": {"kpi_id": str(kpi_id)}}

        result = attempt_invocation(acme_admin, body)
        replay = attempt_invocation(acme_admin, body)

        assert (result.status, result.outcome, result.document["code"]) == (404, "error", code)
        assert (replay.status, replay.body, replay.replayed) == (404, result.body, True)
        assert audit_rows() == [audited(acme_admin, "error", 404, code, body=body)]
        assert usage_rows() == []
        assert stored_keys() == [("key-1", acme_admin.user.id, request_fingerprint(body), 404)]
        assert IdempotencyKey.objects.get().response_body == result.body

    def test_an_answer_too_large_is_a_502_error_stored_and_replayed_never_metered(self, acme_admin, settings):
        settings.GATEWAY_MAX_RESULT_BYTES = 100
        body = {"tool_name": "echo", "payload": {"text": "x" * 200}}

        result = attempt_invocation(acme_admin, body)
        replay = attempt_invocation(acme_admin, body)

        assert (result.status, result.document["code"]) == (502, "result_too_large")
        assert "x" * 200 not in result.body
        assert (replay.body, replay.replayed) == (result.body, True)
        assert audit_rows() == [audited(acme_admin, "error", 502, "result_too_large", body=body)]
        assert usage_rows() == []
        assert stored_keys() == [("key-1", acme_admin.user.id, request_fingerprint(body), 502)]


@pytest.mark.django_db
class TestToolFailed:
    """Step 10's failures: a tool that raises (500) or whose database went away (503) is audited as an error and
    never metered, and its claim is released, so a retry with the same key runs the tool again."""

    @pytest.mark.parametrize(
        ("tool_name", "failure", "status", "code"),
        [
            ("test_explode", ServerFailure, 500, "server_error"),
            ("test_database_down", DatabaseUnavailable, 503, "database_unavailable"),
        ],
    )
    def test_a_failing_tool_is_audited_its_claim_released_and_a_retry_runs_it(
        self, acme_admin, tool_name, failure, status, code
    ):
        body = {"tool_name": tool_name, "payload": {}}

        error = refused(acme_admin, body)
        retry = refused(acme_admin, body)

        assert type(error) is failure
        assert (error.status_code, error.code) == (status, code)
        assert "secret" not in error.detail
        # The retry ran the tool again (not a 409 in progress, not a replay): it failed the same way.
        assert (retry.status_code, retry.code) == (status, code)
        assert audit_rows() == [audited(acme_admin, "error", status, code, body=body)] * 2
        assert_nothing_stored_or_metered()

    @pytest.mark.parametrize(
        ("target", "failure", "status", "code"),
        [
            ("usage_record", RuntimeError("ledger bug"), 500, "server_error"),
            ("usage_record", OperationalError("database is locked"), 503, "database_unavailable"),
            ("claim_complete", RuntimeError("store bug"), 500, "server_error"),
        ],
        ids=["usage-row-bug", "usage-row-database-down", "storing-the-answer-bug"],
    )
    def test_a_failure_while_recording_a_success_leaves_none_of_it(
        self, acme_admin, monkeypatch, target, failure, status, code
    ):
        """Stored answer, success row and usage row are one transaction: all three or none, then the failure
        is audited on its own and the claim released."""

        def fail(*args, **kwargs):
            raise failure

        monkeypatch.setattr(f"tools.services.{target}", fail)

        error = refused(acme_admin)

        assert (error.status_code, error.code) == (status, code)
        assert audit_rows() == [audited(acme_admin, "error", status, code)]
        assert_nothing_stored_or_metered()

    def test_a_failure_before_the_tool_ran_is_audited_as_a_500(self, acme_admin, settings):
        settings.GATEWAY_TOOL_PROVIDERS = ["tools.tests.helpers.BROKEN_PROVIDER", *settings.GATEWAY_TOOL_PROVIDERS]

        error = refused(acme_admin)

        assert (type(error), error.status_code, error.code) == (ServerFailure, 500, "server_error")
        assert audit_rows() == [audited(acme_admin, "error", 500, "server_error")]
        assert_nothing_stored_or_metered()

    def test_a_claim_taken_over_while_the_tool_ran_is_audited_as_lost_and_not_metered(self, acme_admin):
        body = {"tool_name": "test_claim_taken_over", "payload": {"key": "key-1"}}

        error = refused(acme_admin, body)

        assert isinstance(error, IdempotencyInProgress)
        assert (error.status_code, error.code) == (409, "idempotency_in_progress")
        assert audit_rows() == [audited(acme_admin, "error", 409, "idempotency_claim_lost", body=body)]
        assert usage_rows() == []
        # The key belongs to the attempt that took it over, still unanswered.
        assert stored_keys() == [("key-1", acme_admin.user.id, request_fingerprint(body), None)]


@pytest.mark.django_db
class TestUnitsReported:
    """A handler returning ToolOutput meters what it used, up to the tool's declared units (test_metered: 3);
    more, or not a count, is a bug in the tool: a 500, audited as an error, never billed."""

    @pytest.mark.parametrize("units", [1, 2, 3])
    def test_up_to_the_declared_units_are_audited_and_metered(self, acme_admin, units):
        body = {"tool_name": "test_metered", "payload": {"units": units}}

        result = attempt_invocation(acme_admin, body)

        assert (result.status, result.document["result"]) == (200, {"metered": units})
        assert audit_rows() == [audited(acme_admin, "success", 200, body=body, units=units)]
        assert usage_rows() == [(acme_admin.user.id, "tool_invocation", units, "test_metered")]

    @pytest.mark.parametrize("units", [4, -1, 2.0, "2", True], ids=["over", "negative", "float", "string", "bool"])
    def test_more_than_declared_or_not_a_count_is_a_500_never_metered(self, acme_admin, units):
        body = {"tool_name": "test_metered", "payload": {"units": units}}

        error = refused(acme_admin, body)

        assert (type(error), error.status_code, error.code) == (ServerFailure, 500, "server_error")
        assert audit_rows() == [audited(acme_admin, "error", 500, "server_error", body=body)]
        assert_nothing_stored_or_metered()


@pytest.mark.django_db
class TestChannel:
    """Every row records the channel the attempt came through, on every path that writes one."""

    @pytest.mark.parametrize("channel", [Channel.REST, "mcp"])
    def test_the_channel_is_recorded_as_passed(self, acme_admin, acme_member, channel):
        attempt_invocation(acme_admin, channel=channel)  # success
        refused(acme_member, channel=channel)  # refused in admission
        refused(acme_admin, {"tool_name": "no_such_tool"}, key="key-2", channel=channel)  # refused for its tool
        refused(acme_admin, OTHER_ECHO, channel=channel)  # a conflict at the claim
        refused(acme_admin, {"tool_name": "test_explode"}, key="key-3", channel=channel)  # the tool raised

        assert [row["channel"] for row in audit_rows()] == [str(channel)] * 5


@pytest.mark.django_db
class TestKeyless:
    """A channel without idempotency keys (idempotency_key=None): the tool runs once per request, audited and
    metered, with nothing stored."""

    def test_a_keyless_call_runs_audited_and_metered_and_stores_nothing(self, acme_admin):
        result = attempt_invocation(acme_admin, key=None)

        assert (result.status, result.replayed) == (200, False)
        assert audit_rows() == [audited(acme_admin, "success", 200, key=None, units=1)]
        assert usage_rows() == [(acme_admin.user.id, "tool_invocation", 1, "echo")]
        assert stored_keys() == []

    def test_two_keyless_calls_run_twice(self, acme_admin):
        first, second = attempt_invocation(acme_admin, key=None), attempt_invocation(acme_admin, key=None)

        assert (first.replayed, second.replayed) == (False, False)
        assert first.document["request_id"] != second.document["request_id"]
        assert audit_rows() == [audited(acme_admin, "success", 200, key=None, units=1)] * 2
        assert len(usage_rows()) == 2
        assert stored_keys() == []

    @pytest.mark.django_db(transaction=True)
    def test_a_keyless_success_query_budget(self, acme_admin, django_assert_num_queries):
        """Transactional, so the count is production's: no test-wrapper savepoints."""
        # 1 tenant+user, then one transaction: BEGIN, 2 the audit chain's head, 3 the audit row, 4 the usage
        # row, COMMIT. No claim and nothing stored. PostgreSQL adds the per-tenant advisory lock.
        statements = 4 if connection.vendor == "sqlite" else 5
        with django_assert_num_queries(statements + 2):
            result = attempt_invocation(acme_admin, key=None)
        assert result.status == 200

    def test_keyless_refusals_and_failures_are_audited_with_no_key(self, acme_admin):
        refused(acme_admin, {"tool_name": "no_such_tool"}, key=None)
        refused(acme_admin, {"tool_name": "test_explode"}, key=None)

        assert audit_rows() == [
            audited(acme_admin, "error", 404, "tool_not_found", body={"tool_name": "no_such_tool"}, key=None),
            audited(acme_admin, "error", 500, "server_error", body={"tool_name": "test_explode"}, key=None),
        ]
        assert_nothing_stored_or_metered()


@pytest.mark.django_db
def test_the_trail_of_every_outcome_verifies(acme_admin, acme_member, colleague, outsider, settings):
    """One tenant's chain after every kind of attempt: contiguous, one version, intact, usage one for one."""
    attempt_invocation(acme_admin)  # success
    attempt_invocation(acme_admin)  # replay: no row
    attempt_invocation(acme_admin, {"tool_name": "test_metered", "payload": {"units": 2}}, key=None)  # fewer units
    attempt_invocation(acme_admin, {"tool_name": "kpi_summary", "payload": {"kpi_id": str(uuid.uuid4())}}, key="k404")
    attempts = [
        lambda: refused(acme_admin, user_id=str(outsider.user.id)),
        lambda: refused(acme_member),
        lambda: refused(acme_admin, ToolRequest(problem=PayloadTooLarge(1024))),
        lambda: refused(acme_admin, {"tool_name": "no_such_tool"}),
        lambda: refused(acme_admin, {"tool_name": "test_members_only"}),
        lambda: refused(acme_admin, {"tool_name": "kpi_summary"}),
        lambda: refused(acme_admin, OTHER_ECHO),
        lambda: refused(colleague),
        lambda: refused(acme_admin, {"tool_name": "test_explode"}, key="k500"),
        lambda: refused(acme_admin, {"tool_name": "test_metered", "payload": {"units": 9}}, key="k-over"),
        lambda: refused(acme_admin, {"tool_name": "test_claim_taken_over", "payload": {"key": "k-lost"}}, key="k-lost"),
    ]
    for attempt_once in attempts:
        attempt_once()
    settings.GATEWAY_RATE_LIMIT_USER_PER_MINUTE = 1
    refused(acme_admin, key="k429")

    report = audit_chain_verify(tenant=acme_admin.tenant)

    rows = AuditLog.objects.filter(tenant=acme_admin.tenant)
    written = 3 + len(attempts) + 1  # the replay wrote none
    assert sorted(rows.values_list("seq", flat=True)) == list(range(1, written + 1))
    assert (report.intact, report.rows, report.rows_by_version) == (True, rows.count(), {CHAIN_VERSION: rows.count()})
    assert sorted(UsageEvent.objects.values_list("units", flat=True)) == [1, 2]
