"""Principal keys (issue 12): minted for one user, they authenticate that user and no other."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from audit.models import AuditLog, UsageEvent
from tenants.models import PrincipalKey, Tenant
from tenants.principal_keys import principal_key_create

ECHO = {"tool_name": "echo", "payload": {"text": "hi"}}


def mint(actor, **fields) -> str:
    """A key for `actor`'s user, minted by the service: its secret."""
    _key, secret = principal_key_create(tenant=actor.tenant, user=actor.user, label=fields.pop("label", "ci"), **fields)
    return secret


def invoke(api, headers, key="k1", body=ECHO):
    return api.post("/v1/tools/invoke", body, format="json", headers={**headers, "Idempotency-Key": key})


def with_key(actor, secret, *, user=True) -> dict:
    """The tenant headers with a principal key in X-API-Key, naming the user or not."""
    headers = {"X-Tenant-ID": str(actor.tenant.id), "X-API-Key": secret}
    return {**headers, "X-User-ID": str(actor.user.id)} if user else headers


def bearer(secret) -> dict:
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.django_db
class TestTheKeysApi:
    def test_an_admin_mints_a_key_shown_once_and_stored_as_a_digest(self, api, acme_admin, acme_member):
        response = api.post("/v1/keys", {"user_id": str(acme_member.user.id), "label": "nightly agent"},
                            format="json", headers=acme_admin.headers())  # fmt: skip

        assert response.status_code == 201
        assert response["Cache-Control"] == "no-store"
        minted = response.json()
        assert minted["api_key"].startswith(minted["prefix"] + "_")
        stored = PrincipalKey.objects.get()
        assert (stored.user, stored.label, stored.tools) == (acme_member.user, "nightly agent", None)
        assert minted["api_key"] not in str(PrincipalKey.objects.values().get())
        listed = api.get("/v1/keys", headers=acme_admin.headers()).json()
        assert [key["prefix"] for key in listed] == [minted["prefix"]] and "api_key" not in listed[0]

    def test_a_member_may_not_mint_keys(self, api, acme_member):
        response = api.post("/v1/keys", {"user_id": str(acme_member.user.id), "label": "mine"}, format="json",
                            headers=acme_member.headers())  # fmt: skip
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied")

    def test_a_key_for_another_tenants_user_is_a_404(self, api, acme_admin, outsider):
        response = api.post("/v1/keys", {"user_id": str(outsider.user.id), "label": "x"}, format="json",
                            headers=acme_admin.headers())  # fmt: skip
        assert (response.status_code, response.json()["code"]) == (404, "user_not_found")

    @pytest.mark.parametrize(
        ("fields", "path"),
        [
            ({"label": ""}, "label"),
            ({"tools": ["no-such-tool"]}, "tools"),
            ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
            ({"expires_at": "tomorrow"}, "expires_at"),
            ({"tools": "echo"}, "tools"),
        ],
    )
    def test_bad_fields_are_a_422_naming_them(self, api, acme_admin, fields, path):
        body = {"user_id": str(acme_admin.user.id), "label": "ok", **fields}
        response = api.post("/v1/keys", body, format="json", headers=acme_admin.headers())
        assert (response.status_code, list(response.json()["errors"])) == (422, [path])
        assert not PrincipalKey.objects.exists()

    def test_the_scope_may_not_name_more_tools_than_the_setting(self, api, acme_admin, settings):
        settings.GATEWAY_PRINCIPAL_KEY_MAX_TOOLS = 1
        body = {"user_id": str(acme_admin.user.id), "label": "ok", "tools": ["echo", "kpi_summary"]}
        response = api.post("/v1/keys", body, format="json", headers=acme_admin.headers())
        assert response.status_code == 422

    def test_another_tenants_key_is_not_found(self, api, acme_admin, outsider):
        mint(outsider)
        foreign = PrincipalKey.objects.get()
        for path in (f"/v1/keys/{foreign.id}", f"/v1/keys/{foreign.id}/revoke"):
            response = (api.get if path.endswith(str(foreign.id)) else api.post)(path, headers=acme_admin.headers())
            assert (response.status_code, response.json()["code"]) == (404, "key_not_found")
        assert PrincipalKey.objects.get().revoked_at is None


@pytest.mark.django_db
class TestAKeyAuthenticatesItsUser:
    def test_without_naming_the_user(self, api, acme_admin):
        response = invoke(api, with_key(acme_admin, mint(acme_admin), user=False))
        assert response.status_code == 200
        row = AuditLog.objects.get()
        assert (row.user_id, row.outcome) == (acme_admin.user.id, "success")

    def test_as_a_bearer_token_alone(self, api, acme_admin):
        secret = mint(acme_admin)
        assert invoke(api, bearer(secret)).status_code == 200
        assert api.get("/v1/kpis", headers=bearer(secret)).status_code == 200

    def test_a_members_key_cannot_act_as_the_admin_by_naming_the_admins_id(self, api, acme_admin, acme_member):
        secret = mint(acme_member)
        response = invoke(api, {**with_key(acme_member, secret), "X-User-ID": str(acme_admin.user.id)})

        assert (response.status_code, response.json()["code"]) == (403, "user_mismatch")
        row = AuditLog.objects.get()
        assert (row.outcome, row.user_id, row.presented_user_id) == ("denied", acme_member.user.id,
                                                                     str(acme_admin.user.id))  # fmt: skip
        assert not UsageEvent.objects.exists()

    def test_a_members_key_is_a_member(self, api, acme_member):
        response = invoke(api, bearer(mint(acme_member)))
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied")

    def test_naming_another_tenant_is_the_same_401_as_a_wrong_key(self, api, acme_admin, outsider):
        secret = mint(acme_admin)
        other_tenant = invoke(api, {**with_key(acme_admin, secret, user=False), "X-Tenant-ID": str(outsider.tenant.id)})
        wrong_secret = invoke(api, bearer(secret[:-4] + "AAAA"))
        assert other_tenant.status_code == wrong_secret.status_code == 401
        assert other_tenant.json() == wrong_secret.json() == {"detail": "Invalid tenant ID or API key",
                                                              "code": "invalid_credentials"}  # fmt: skip
        assert not AuditLog.objects.exists()

    @pytest.mark.parametrize("garbage", ["gwp_", "gwp_zz_zz", "gwp_0123456789abcdef", "gwp_0123456789abcdef_x" * 40])
    def test_a_malformed_key_is_a_401(self, api, garbage):
        assert invoke(api, bearer(garbage)).status_code == 401

    def test_a_bearer_and_an_x_api_key_together_are_a_400(self, api, acme_admin):
        response = invoke(api, {**acme_admin.headers(), **bearer(mint(acme_admin))})
        assert (response.status_code, response.json()["code"]) == (400, "invalid_header")

    def test_the_tenant_key_still_needs_all_three_headers(self, api, acme_admin):
        headers = acme_admin.headers()
        del headers["X-User-ID"]
        response = invoke(api, headers)
        assert (response.status_code, response.json()["detail"]) == (400, "Missing required header: X-User-ID")

    def test_a_principal_key_in_x_api_key_still_needs_the_tenant(self, api, acme_admin):
        response = invoke(api, {"X-API-Key": mint(acme_admin)})
        assert (response.status_code, response.json()["detail"]) == (400, "Missing required header: X-Tenant-ID")

    def test_its_use_is_recorded_once_a_minute_at_most(self, api, acme_admin):
        secret = mint(acme_admin)
        invoke(api, bearer(secret), key="a")
        first = PrincipalKey.objects.get().last_used_at
        invoke(api, bearer(secret), key="b")
        assert first is not None and PrincipalKey.objects.get().last_used_at == first


@pytest.mark.django_db
class TestRevocationExpiryAndRotation:
    def test_a_revoked_key_is_refused_on_the_next_request(self, api, acme_admin):
        secret = mint(acme_admin)
        assert invoke(api, bearer(secret), key="a").status_code == 200
        key = PrincipalKey.objects.get()

        revoked = api.post(f"/v1/keys/{key.id}/revoke", headers=acme_admin.headers())

        assert revoked.status_code == 200 and revoked.json()["revoked_at"]
        refused = invoke(api, bearer(secret), key="b")
        assert (refused.status_code, refused.json()["code"]) == (401, "key_revoked")
        assert api.post(f"/v1/keys/{key.id}/revoke", headers=acme_admin.headers()).status_code == 200

    def test_an_expired_key_is_refused(self, api, acme_admin):
        secret = mint(acme_admin, expires_at=timezone.now() + timedelta(hours=1))
        assert invoke(api, bearer(secret), key="a").status_code == 200
        PrincipalKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))  # an hour later
        refused = invoke(api, bearer(secret), key="b")
        assert (refused.status_code, refused.json()["code"]) == (401, "key_expired")

    def test_rotation_honours_both_keys_for_the_grace_period_then_only_the_new(self, api, acme_admin):
        old_secret = mint(acme_admin, tools=["echo"])
        old = PrincipalKey.objects.get()

        rotated = api.post(f"/v1/keys/{old.id}/rotate", {"grace_seconds": 600}, format="json",
                           headers=acme_admin.headers())  # fmt: skip

        assert (rotated.status_code, rotated["Cache-Control"]) == (201, "no-store")
        new_secret = rotated.json()["api_key"]
        assert rotated.json()["tools"] == ["echo"] and rotated.json()["rotated_from"] == str(old.id)
        assert invoke(api, bearer(old_secret), key="a").status_code == 200
        assert invoke(api, bearer(new_secret), key="b").status_code == 200
        old.refresh_from_db()
        assert timedelta(seconds=590) < old.expires_at - timezone.now() <= timedelta(seconds=600)
        PrincipalKey.objects.filter(pk=old.pk).update(expires_at=timezone.now())  # the grace period is over
        assert invoke(api, bearer(old_secret), key="c").json()["code"] == "key_expired"
        assert invoke(api, bearer(new_secret), key="d").status_code == 200

    def test_a_key_is_rotated_once(self, api, acme_admin):
        mint(acme_admin)
        old = PrincipalKey.objects.get()
        rotate = {"path": f"/v1/keys/{old.id}/rotate", "data": {}, "format": "json", "headers": acme_admin.headers()}
        assert api.post(**rotate).status_code == 201
        again = api.post(**rotate)
        assert (again.status_code, again.json()["code"]) == (409, "key_already_rotated")

    def test_the_grace_period_is_bounded_by_the_setting(self, api, acme_admin, settings):
        settings.GATEWAY_KEY_ROTATION_MAX_GRACE_SECONDS = 60
        mint(acme_admin)
        old = PrincipalKey.objects.get()
        response = api.post(f"/v1/keys/{old.id}/rotate", {"grace_seconds": 61}, format="json",
                            headers=acme_admin.headers())  # fmt: skip
        assert (response.status_code, list(response.json()["errors"])) == (422, ["grace_seconds"])


@pytest.mark.django_db
class TestScopeAndTheServiceKey:
    def test_a_tool_outside_the_keys_scope_is_refused_and_audited(self, api, acme_admin):
        secret = mint(acme_admin, tools=["kpi_summary"])
        response = invoke(api, bearer(secret))
        assert (response.status_code, response.json()["code"]) == (403, "key_scope")
        row = AuditLog.objects.get()
        assert (row.outcome, row.status_code, row.error_code, row.tool_name) == ("denied", 403, "key_scope", "echo")

    def test_an_empty_scope_calls_nothing(self, api, acme_admin):
        assert invoke(api, bearer(mint(acme_admin, tools=[]))).json()["code"] == "key_scope"

    def test_with_impersonation_off_the_tenant_key_only_administers(self, api, acme_admin, acme_member):
        Tenant.objects.filter(pk=acme_admin.tenant.pk).update(service_key_acts_as_users=False)

        refused = invoke(api, acme_admin.headers())
        assert (refused.status_code, refused.json()["code"]) == (403, "principal_key_required")
        assert AuditLog.objects.get().outcome == "denied"
        assert api.get("/v1/kpis", headers=acme_admin.headers()).json()["code"] == "principal_key_required"
        # Still: creating users and keys.
        user = api.post("/v1/users", {"tenant_id": str(acme_admin.tenant.id), "email": "new@acme.test",
                                      "role": "member"}, format="json", headers=acme_admin.headers())  # fmt: skip
        assert user.status_code == 201
        minted = api.post("/v1/keys", {"user_id": str(acme_member.user.id), "label": "agent"}, format="json",
                          headers=acme_admin.headers())  # fmt: skip
        assert minted.status_code == 201
        # And the tool call goes through with a principal key.
        assert invoke(api, bearer(mint(acme_admin)), key="k2").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_principal_key_keeps_the_invoke_query_budget(api, acme_admin, django_assert_num_queries):
    """As tools/tests/test_views.py::test_success_path_query_budget: the key, its tenant, user and limits come in
    the one authenticating query, and its last use is written at most once a minute (here by the warm-up)."""
    secret = mint(acme_admin)
    invoke(api, bearer(secret), key="warm-up")
    statements = 6 if connection.vendor == "sqlite" else 7
    with django_assert_num_queries(statements + 2):  # and Django's BEGIN and COMMIT
        assert invoke(api, bearer(secret), key="measured").status_code == 200


@pytest.mark.django_db
def test_every_audit_row_names_the_key_that_authenticated_it(api, acme_admin):
    """Issue 12 item 6: the key's public id, never its secret; empty for the tenant key."""
    secret = mint(acme_admin, tools=["kpi_summary"])
    key = PrincipalKey.objects.get()
    invoke(api, bearer(secret), key="refused")  # echo is outside the key's scope
    invoke(api, bearer(secret), key="ran", body={"tool_name": "kpi_summary", "payload": {"kpi_id": str(key.id)}})
    invoke(api, acme_admin.headers(), key="tenant-key")

    rows = list(AuditLog.objects.order_by("seq").values_list("error_code", "api_key_id"))
    assert rows == [("key_scope", key.public_id), ("kpi_not_found", key.public_id), ("", "")]
    assert not AuditLog.objects.filter(api_key_id__contains=secret.rsplit("_", 1)[-1]).exists()


@pytest.mark.django_db
def test_a_key_limited_to_some_tools_may_not_administer(api, acme_admin, acme_member):
    """Else an agent's narrow key, if its user is an admin, could mint itself a wider one."""
    narrow, wide = mint(acme_admin, tools=["echo"]), mint(acme_admin)
    body = {"user_id": str(acme_member.user.id), "label": "escalation"}

    refused = api.post("/v1/keys", body, format="json", headers=bearer(narrow))
    policy = api.put("/v1/tool-policies/echo", {"enabled": False}, format="json", headers=bearer(narrow))

    assert (refused.status_code, refused.json()["code"]) == (403, "key_scope")
    assert (policy.status_code, policy.json()["code"]) == (403, "key_scope")
    assert api.post("/v1/keys", body, format="json", headers=bearer(wide)).status_code == 201
    assert invoke(api, bearer(narrow)).status_code == 200  # it still calls what it may
