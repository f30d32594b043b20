"""The contract's order of checks: headers (400), tenant and key (401), user (403), role (403)."""

import uuid

import pytest

from audit.models import AuditLog
from tenants.api_keys import api_key_generate
from tools.models import IdempotencyKey

INVOKE = "/v1/tools/invoke"
ECHO = {"tool_name": "echo", "payload": {}}


@pytest.mark.django_db
class TestHeaders:
    @pytest.mark.parametrize(
        ("present", "missing"),
        [
            ((), "X-Tenant-ID"),
            (("X-Tenant-ID",), "X-User-ID"),
            (("X-Tenant-ID", "X-User-ID"), "X-API-Key"),
            (("X-User-ID", "X-API-Key"), "X-Tenant-ID"),
        ],
    )
    def test_first_missing_header_is_named(self, api, acme_admin, present, missing):
        headers = {name: value for name, value in acme_admin.headers().items() if name in present}
        response = api.get("/v1/kpis", headers=headers)

        assert response.status_code == 400
        assert response.json() == {"detail": f"Missing required header: {missing}", "code": "missing_header"}

    def test_blank_header_counts_as_missing(self, api, acme_admin):
        response = api.get("/v1/kpis", headers=acme_admin.headers(**{"X-User-ID": "  "}))
        assert response.json()["detail"] == "Missing required header: X-User-ID"

    def test_invoke_also_requires_idempotency_key_before_checking_credentials(self, api, acme_admin):
        response = api.post(INVOKE, ECHO, format="json", headers=acme_admin.headers(**{"X-API-Key": "wrong"}))

        assert response.status_code == 400
        assert response.json()["detail"] == "Missing required header: Idempotency-Key"

    @pytest.mark.parametrize("key", ["x" * 256, "caf\u00e9", "tab\there", "new\x7fline"])
    def test_malformed_idempotency_key_is_400(self, api, acme_admin, key):
        # Header values travel as latin-1 in WSGI; a non-ASCII key arrives as such characters.
        response = api.post(INVOKE, ECHO, format="json", headers=acme_admin.headers(**{"Idempotency-Key": key}))

        assert response.status_code == 400
        assert response.json()["code"] == "invalid_header"
        assert "Idempotency-Key" in response.json()["detail"]

    def test_idempotency_key_of_max_length_is_accepted(self, api, acme_admin):
        key = "k" * 255
        response = api.post(INVOKE, ECHO, format="json", headers=acme_admin.headers(**{"Idempotency-Key": key}))
        assert response.status_code == 200

    def test_idempotency_key_length_is_a_setting(self, api, acme_admin, settings):
        settings.GATEWAY_IDEMPOTENCY_KEY_MAX_LENGTH = 8
        response = api.post(INVOKE, ECHO, format="json", headers=acme_admin.headers(**{"Idempotency-Key": "k" * 9}))

        assert response.status_code == 400
        assert "1 to 8 printable ASCII characters" in response.json()["detail"]


@pytest.mark.django_db
class TestTenantAuthentication:
    @pytest.mark.parametrize(
        "tenant_id",
        ["not-a-uuid", str(uuid.uuid4()), "00000000-0000-0000-0000-000000000000'; DROP TABLE x;--"],
    )
    def test_unknown_or_malformed_tenant_is_401(self, api, acme_admin, tenant_id):
        response = api.get("/v1/kpis", headers=acme_admin.headers(**{"X-Tenant-ID": tenant_id}))

        assert response.status_code == 401
        assert response.json() == {"detail": "Invalid tenant ID or API key", "code": "invalid_credentials"}
        assert response.headers["WWW-Authenticate"].startswith("ApiKey")

    @pytest.mark.parametrize("api_key", ["wrong", api_key_generate(), "gwk_" + "A" * 43])
    def test_wrong_key_is_401(self, api, acme_admin, api_key):
        response = api.get("/v1/kpis", headers=acme_admin.headers(**{"X-API-Key": api_key}))

        assert response.status_code == 401
        assert response.json()["detail"] == "Invalid tenant ID or API key"

    def test_another_tenants_key_is_401(self, api, acme_admin, outsider):
        response = api.get("/v1/kpis", headers=acme_admin.headers(**{"X-API-Key": outsider.api_key}))
        assert response.status_code == 401

    def test_tenant_is_checked_before_the_user(self, api, acme_admin):
        headers = acme_admin.headers(**{"X-API-Key": "wrong", "X-User-ID": str(uuid.uuid4())})
        assert api.get("/v1/kpis", headers=headers).status_code == 401


@pytest.mark.django_db
class TestUser:
    @pytest.mark.parametrize("user_id", [str(uuid.uuid4()), "not-a-uuid"])
    def test_unknown_or_malformed_user_is_403(self, api, acme_admin, user_id):
        response = api.get("/v1/kpis", headers=acme_admin.headers(**{"X-User-ID": user_id}))

        assert response.status_code == 403
        assert response.json() == {"detail": "User not found", "code": "user_not_found"}

    def test_user_of_another_tenant_is_403(self, api, acme_admin, outsider):
        response = api.get("/v1/kpis", headers=acme_admin.headers(**{"X-User-ID": str(outsider.user.id)}))

        assert response.status_code == 403
        assert response.json() == {"detail": "User does not belong to this tenant", "code": "user_not_in_tenant"}

    def test_role_without_the_permission_is_403(self, api, acme_member):
        response = api.post("/v1/kpis", {"name": "MRR"}, format="json", headers=acme_member.headers())

        assert response.status_code == 403
        assert response.json() == {
            "detail": "Role 'member' is not authorized to create KPIs",
            "code": "permission_denied",
        }

    def test_role_is_checked_before_the_body(self, api, acme_member):
        response = api.post("/v1/kpis", b"{not json", content_type="application/json", headers=acme_member.headers())
        assert response.status_code == 403


@pytest.mark.django_db
def test_a_legitimate_caller_costs_one_query(api, acme_admin, django_assert_num_queries):
    # 1 user joined with its tenant, by primary key; 1 for the tenant's HTTP tools (the built-ins need none).
    with django_assert_num_queries(2):
        response = api.get("/v1/tools", headers=acme_admin.headers())
    assert response.status_code == 200
    assert "echo" in {tool["name"] for tool in response.json()}


@pytest.mark.django_db
def test_unauthenticated_endpoints_cost_no_tenant_query(api, django_assert_num_queries):
    # /healthz runs only its own SELECT 1, even with tenant headers present.
    with django_assert_num_queries(1):
        response = api.get("/healthz", headers={"X-Tenant-ID": str(uuid.uuid4())})
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
class TestRepeatedHeaders:
    """The server joins repeated headers with commas; the raw list it keeps (asgi.scope) shows them."""

    @staticmethod
    def sent_twice(actor, name: str) -> dict:
        headers = [
            (key.lower().encode(), value.encode()) for key, value in actor.headers(**{"Idempotency-Key": "a"}).items()
        ]
        headers.append((name.lower().encode(), b"b"))
        return {"asgi.scope": {"type": "http", "headers": headers}}

    @pytest.mark.parametrize("name", ["X-Tenant-ID", "X-User-ID", "X-API-Key"])
    def test_a_tenant_header_sent_twice_is_400(self, api, acme_admin, name):
        response = api.get("/v1/kpis", headers=acme_admin.headers(), **self.sent_twice(acme_admin, name))

        assert response.status_code == 400
        assert response.json() == {"detail": f"Header {name} was sent more than once; send it once",
                                   "code": "duplicate_header"}  # fmt: skip

    def test_two_idempotency_keys_are_400_and_run_nothing(self, api, acme_admin):
        response = api.post(INVOKE, ECHO, format="json", headers=acme_admin.headers(**{"Idempotency-Key": "a,b"}),
                            **self.sent_twice(acme_admin, "Idempotency-Key"))  # fmt: skip

        assert response.status_code == 400
        assert response.json()["code"] == "duplicate_header"
        assert not IdempotencyKey.objects.exists()
        assert not AuditLog.objects.exists()

    def test_a_key_with_a_comma_sent_once_is_one_key(self, api, acme_admin):
        scope = {"asgi.scope": {"type": "http", "headers": [(b"idempotency-key", b"a,b")]}}
        response = api.post(INVOKE, ECHO, format="json", headers=acme_admin.headers(**{"Idempotency-Key": "a,b"}),
                            **scope)  # fmt: skip

        assert response.status_code == 200
        assert IdempotencyKey.objects.get().key == "a,b"

    def test_other_headers_may_repeat(self, api, acme_admin):
        scope = {"asgi.scope": {"type": "http", "headers": [(b"accept", b"a"), (b"accept", b"b")]}}
        assert api.get("/v1/kpis", headers=acme_admin.headers(), **scope).status_code == 200
