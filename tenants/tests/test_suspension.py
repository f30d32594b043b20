"""A suspended tenant keeps its rows but is refused: 403 tenant_suspended, decided in the one auth query."""

import uuid

import pytest

from audit.models import AuditLog, Outcome, UsageEvent
from tenants.models import Tenant
from tenants.services import tenant_reinstate, tenant_suspend
from tools.models import IdempotencyKey

INVOKE = "/v1/tools/invoke"
ECHO = {"tool_name": "echo", "payload": {"text": "hi"}}
SUSPENDED = {"detail": "Tenant is suspended", "code": "tenant_suspended"}


@pytest.fixture
def suspended(acme_admin):
    tenant_suspend(tenant=acme_admin.tenant, reason="unpaid invoices")
    return acme_admin


@pytest.mark.django_db
class TestSuspendedTenantsAreRefused:
    @pytest.mark.parametrize("path", ["/v1/kpis", "/v1/tools"])
    def test_a_call_with_the_right_key_is_403(self, api, suspended, path):
        response = api.get(path, headers=suspended.headers())

        assert response.status_code == 403
        assert response.json() == SUSPENDED

    def test_a_wrong_key_is_still_401(self, api, suspended, outsider):
        for key in ("wrong", outsider.api_key):
            response = api.get("/v1/kpis", headers=suspended.headers(**{"X-API-Key": key}))
            assert response.status_code == 401
            assert response.json()["code"] == "invalid_credentials"

    def test_suspension_is_decided_before_the_user(self, api, suspended, outsider):
        for user_id in (str(uuid.uuid4()), str(outsider.user.id)):
            response = api.get("/v1/kpis", headers=suspended.headers(**{"X-User-ID": user_id}))
            assert response.json() == SUSPENDED

    def test_in_the_same_single_query(self, api, suspended, django_assert_num_queries):
        # 1 tenant + user by id: suspended_at comes with the tenant's row
        with django_assert_num_queries(1):
            response = api.get("/v1/tools", headers=suspended.headers())
        assert response.status_code == 403

    def test_an_invocation_is_audited_as_denied_never_run_nor_metered(self, api, suspended):
        response = api.post(INVOKE, ECHO, format="json", headers=suspended.headers(**{"Idempotency-Key": "k1"}))

        assert response.status_code == 403
        assert response.json() == SUSPENDED
        audit = AuditLog.objects.get()
        assert (audit.tenant_id, audit.user_id, audit.outcome, audit.status_code, audit.error_code) == (
            suspended.tenant.id, suspended.user.id, Outcome.DENIED, 403, "tenant_suspended"
        )  # fmt: skip
        assert (audit.tool_name, audit.idempotency_key) == ("echo", "k1")
        assert not UsageEvent.objects.exists()
        assert not IdempotencyKey.objects.exists()

    def test_an_invocation_naming_another_tenants_user_is_audited_without_the_user(self, api, suspended, outsider):
        headers = suspended.headers(**{"Idempotency-Key": "k1", "X-User-ID": str(outsider.user.id)})
        api.post(INVOKE, ECHO, format="json", headers=headers)

        audit = AuditLog.objects.get()
        assert (audit.tenant_id, audit.user_id, audit.presented_user_id, audit.error_code) == (
            suspended.tenant.id, None, str(outsider.user.id), "tenant_suspended"
        )  # fmt: skip

    def test_other_tenants_are_served(self, api, suspended, outsider):
        assert api.get("/v1/kpis", headers=outsider.headers()).status_code == 200

    def test_reinstated_it_is_served_again_with_the_same_key(self, api, suspended):
        assert tenant_reinstate(tenant=suspended.tenant) is True

        assert api.get("/v1/kpis", headers=suspended.headers()).status_code == 200
        response = api.post(INVOKE, ECHO, format="json", headers=suspended.headers(**{"Idempotency-Key": "k2"}))
        assert response.status_code == 200


@pytest.mark.django_db
class TestServices:
    def test_suspending_twice_keeps_the_first_time_and_reason(self, acme):
        tenant, _ = acme
        assert tenant_suspend(tenant=tenant, reason="first") is True
        first = tenant.suspended_at

        assert tenant_suspend(tenant=tenant, reason="second") is False

        stored = Tenant.objects.get(pk=tenant.pk)
        assert (stored.suspended_at, stored.suspension_reason) == (first, "first")
        assert (tenant.suspended_at, tenant.suspension_reason) == (first, "first")

    def test_reinstating_clears_both_and_twice_is_a_no_op(self, acme):
        tenant, _ = acme
        tenant_suspend(tenant=tenant, reason="fraud check")

        assert tenant_reinstate(tenant=tenant) is True
        assert tenant_reinstate(tenant=tenant) is False

        stored = Tenant.objects.get(pk=tenant.pk)
        assert (stored.suspended_at, stored.suspension_reason) == (None, "")
        assert not tenant.is_suspended

    def test_the_reason_is_kept_as_one_printable_line(self, acme):
        tenant, _ = acme
        tenant_suspend(tenant=tenant, reason="  unpaid\ninvoices\x00 " + "x" * 300)

        reason = Tenant.objects.get(pk=tenant.pk).suspension_reason
        assert reason.startswith("unpaid invoices x")
        assert len(reason) == 255

    def test_nothing_of_the_tenant_is_deleted(self, acme_admin, acme_member):
        tenant_suspend(tenant=acme_admin.tenant)
        assert Tenant.objects.filter(pk=acme_admin.tenant.pk).exists()
        assert acme_admin.tenant.users.count() == 2
