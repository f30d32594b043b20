"""Per-tenant, per-user and per-tool limits: 429 with Retry-After, audited as denied, never metered."""

import logging
import re

import pytest
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from django.urls import reverse

from audit.models import AuditLog, UsageEvent
from tenants import rate_limits
from tenants.models import RATE_LIMIT_FIELDS, Tenant, TenantLimits
from tenants.rate_limits import Limit, RateLimited, rate_limit_check


@pytest.fixture(autouse=True)
def fresh_counters(monkeypatch):
    cache.clear()
    monkeypatch.setattr(rate_limits, "_cache_down_until", 0.0)


def kpis(api, actor):
    return api.get("/v1/kpis", headers=actor.headers())


def invoke(api, actor, key, tool="echo"):
    return api.post(
        "/v1/tools/invoke", {"tool_name": tool}, format="json", headers=actor.headers(**{"Idempotency-Key": key})
    )


@pytest.mark.django_db
class TestLimits:
    def test_tenant_limit_is_a_429_with_retry_after(self, api, acme_admin, settings):
        settings.GATEWAY_RATE_LIMIT_TENANT_PER_MINUTE = 3

        statuses = [kpis(api, acme_admin).status_code for _ in range(4)]
        refused = kpis(api, acme_admin)

        assert statuses == [200, 200, 200, 429]
        assert refused.json() == {
            "detail": "Rate limit exceeded: 3 requests per minute for this tenant",
            "code": "rate_limited",
        }
        assert 1 <= int(refused["Retry-After"]) <= 60

    def test_other_tenants_are_not_affected(self, api, acme_admin, outsider, settings):
        settings.GATEWAY_RATE_LIMIT_TENANT_PER_MINUTE = 1
        kpis(api, acme_admin)
        assert kpis(api, acme_admin).status_code == 429
        assert kpis(api, outsider).status_code == 200

    def test_user_limit_leaves_colleagues_alone(self, api, acme_admin, acme_member, settings):
        settings.GATEWAY_RATE_LIMIT_USER_PER_MINUTE = 2
        assert [kpis(api, acme_member).status_code for _ in range(3)] == [200, 200, 429]
        assert kpis(api, acme_admin).status_code == 200
        assert kpis(api, acme_member).json()["detail"].endswith("for this user")

    def test_refused_requests_do_not_use_up_the_tenants_limit(self, api, acme_admin, acme_member, settings):
        settings.GATEWAY_RATE_LIMIT_TENANT_PER_MINUTE = 5
        settings.GATEWAY_RATE_LIMIT_USER_PER_MINUTE = 3
        hammering = [kpis(api, acme_admin).status_code for _ in range(12)]

        assert hammering == [200] * 3 + [429] * 9
        # Only the admin's three admitted requests counted for the tenant: the member still has two.
        assert [kpis(api, acme_member).status_code for _ in range(3)] == [200, 200, 429]
        assert kpis(api, acme_member).json()["detail"].endswith("for this tenant")

    def test_a_request_refused_by_the_tool_limit_spends_no_other_limit(self, api, acme_admin, acme_member, settings):
        settings.GATEWAY_RATE_LIMIT_TOOL_PER_MINUTE = 3
        settings.GATEWAY_RATE_LIMIT_TENANT_PER_MINUTE = 10
        hammering = [invoke(api, acme_admin, f"e{n}").status_code for n in range(12)]

        assert hammering == [200] * 3 + [429] * 9
        # Only the three admitted calls counted for the user and the tenant: seven remain for everyone else.
        assert [kpis(api, acme_member).status_code for _ in range(8)] == [200] * 7 + [429]
        assert kpis(api, acme_member).json()["detail"].endswith("for this tenant")

    def test_refused_attempts_still_count_once(self, api, acme_admin, settings):
        settings.GATEWAY_RATE_LIMIT_USER_PER_MINUTE = 3
        malformed = api.post("/v1/tools/invoke", b"{nope", content_type="application/json",
                             headers=acme_admin.headers(**{"Idempotency-Key": "m"}))  # fmt: skip
        unknown = invoke(api, acme_admin, "u", tool="no_such_tool")

        assert (malformed.status_code, unknown.status_code) == (400, 404)
        assert [invoke(api, acme_admin, f"e{n}").status_code for n in range(2)] == [200, 429]

    def test_tool_limit_counts_per_tool(self, api, acme_admin, settings):
        settings.GATEWAY_RATE_LIMIT_TOOL_PER_MINUTE = 2
        assert [invoke(api, acme_admin, f"e{n}").status_code for n in range(3)] == [200, 200, 429]
        assert invoke(api, acme_admin, "h1", tool="test_heavy").status_code == 200

    def test_a_tenants_own_limit_wins_over_the_setting(self, api, acme_admin, settings):
        settings.GATEWAY_RATE_LIMIT_TENANT_PER_MINUTE = 1000
        TenantLimits.objects.create(tenant=acme_admin.tenant, rate_limit_per_minute=1)
        kpis(api, acme_admin)
        assert kpis(api, acme_admin).status_code == 429

    def test_a_tenants_own_limits_cost_no_query(self, api, acme_admin, settings, django_assert_num_queries):
        settings.GATEWAY_RATE_LIMIT_TENANT_PER_MINUTE = 1000
        TenantLimits.objects.create(tenant=acme_admin.tenant, rate_limit_per_minute=1)

        # 1 tenant with its limits, and the user: one query, as for a tenant without limits of its own
        # (the second reads the tenant's HTTP tools for the catalogue)
        with django_assert_num_queries(2):
            assert api.get("/v1/tools", headers=acme_admin.headers()).status_code == 200
        assert api.get("/v1/tools", headers=acme_admin.headers()).status_code == 429

    def test_zero_means_no_limit(self, api, acme_admin, settings):
        settings.GATEWAY_RATE_LIMIT_TENANT_PER_MINUTE = 1
        TenantLimits.objects.create(tenant=acme_admin.tenant, rate_limit_per_minute=0)
        assert {kpis(api, acme_admin).status_code for _ in range(5)} == {200}

    def test_rate_limited_invocations_are_audited_as_denied_and_never_metered(self, api, acme_admin, settings):
        settings.GATEWAY_RATE_LIMIT_USER_PER_MINUTE = 1
        assert invoke(api, acme_admin, "first").status_code == 200
        refused = invoke(api, acme_admin, "second")

        assert refused.status_code == 429
        denied = AuditLog.objects.get(outcome="denied")
        assert (denied.status_code, denied.error_code, denied.idempotency_key) == (429, "rate_limited", "second")
        assert UsageEvent.objects.count() == 1
        # Nothing was stored under the refused key: it works once the window allows.
        settings.GATEWAY_RATE_LIMIT_USER_PER_MINUTE = 0
        assert invoke(api, acme_admin, "second").status_code == 200

    def test_limits_apply_after_authentication_and_role(self, api, acme_admin, acme_member, settings):
        settings.GATEWAY_RATE_LIMIT_TENANT_PER_MINUTE = 1
        kpis(api, acme_admin)
        assert api.get("/v1/kpis", headers=acme_admin.headers(**{"X-API-Key": "wrong"})).status_code == 401
        assert invoke(api, acme_member, "member-key").status_code == 403


class TestSlidingWindow:
    LIMIT = Limit("tenant", "sliding-test", 10)

    def test_the_previous_window_still_counts_in_proportion(self):
        cache.clear()
        for _ in range(10):
            rate_limit_check([self.LIMIT], now=59.0)  # fill the window 0..60
        # A quarter into the next window, 75% of the previous ten still count: 7.5 + 1 fits, 7.5 + 3 does not.
        rate_limit_check([self.LIMIT], now=75.0)
        rate_limit_check([self.LIMIT], now=75.0)
        with pytest.raises(RateLimited) as refused:
            rate_limit_check([self.LIMIT], now=75.0)
        assert refused.value.headers["Retry-After"] == "45"

    def test_a_full_window_later_the_past_is_forgotten(self):
        cache.clear()
        for _ in range(10):
            rate_limit_check([self.LIMIT], now=59.0)
        # Two windows on, the full limit is available again, and no more than that.
        admitted = 0
        with pytest.raises(RateLimited):
            while admitted <= self.LIMIT.per_minute:
                rate_limit_check([self.LIMIT], now=180.0)
                admitted += 1
        assert admitted == 10

    def test_a_refusal_counts_against_no_limit(self):
        cache.clear()
        roomy, tight = Limit("tenant", "roomy", 100), Limit("tool", "tight", 2)
        rate_limit_check([roomy, tight], now=10.0)
        rate_limit_check([roomy, tight], now=10.0)
        for _ in range(5):
            with pytest.raises(RateLimited) as refused:
                rate_limit_check([roomy, tight], now=10.0)
            assert refused.value.detail.endswith("for this tool")
        assert (cache.get("rl:roomy:0"), cache.get("rl:tight:0")) == (2, 2)


@pytest.mark.django_db
def test_a_dead_cache_fails_open_and_says_so(api, acme_admin, settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    settings.GATEWAY_RATE_LIMIT_TENANT_PER_MINUTE = 1
    with caplog.at_level(logging.WARNING, logger="tenants.rate_limits"):
        statuses = [kpis(api, acme_admin).status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
    assert "Rate limiting skipped, the cache failed" in caplog.text
    # One failure, then the cache is left alone for a few seconds instead of timing out every request.
    assert caplog.text.count("Rate limiting skipped") == 1


@pytest.mark.django_db
def test_limits_are_editable_per_tenant_in_the_admin(admin_client, acme_admin):
    url = reverse("admin:tenants_tenant_change", args=[acme_admin.tenant.pk])
    admin_client.post(
        url,
        {"name": "Acme", "region": "eu-west-1", "rate_limit_per_minute": "50", "user_rate_limit_per_minute": "",
         "tool_rate_limit_per_minute": "0", "users-TOTAL_FORMS": "0", "users-INITIAL_FORMS": "0"},
    )  # fmt: skip
    limits = TenantLimits.objects.get(tenant=acme_admin.tenant)
    assert (
        limits.rate_limit_per_minute,
        limits.user_rate_limit_per_minute,
        limits.tool_rate_limit_per_minute,
    ) == (50, None, 0)


def change_page(tenant) -> str:
    return reverse("admin:tenants_tenant_change", args=[tenant.pk])


def tenant_form(**limits: str) -> dict:
    """The tenant change form as an operator posts it, limits left empty unless given."""
    no_users = {"users-TOTAL_FORMS": "0", "users-INITIAL_FORMS": "0"}
    return {"name": "Acme", "region": "eu-west-1", **dict.fromkeys(RATE_LIMIT_FIELDS, ""), **no_users, **limits}


@pytest.mark.django_db
class TestLimitsInTheAdmin:
    def test_the_change_page_shows_the_tenants_own_limits(self, admin_client, acme_admin):
        TenantLimits.objects.create(tenant=acme_admin.tenant, rate_limit_per_minute=77, tool_rate_limit_per_minute=0)

        form = admin_client.get(change_page(acme_admin.tenant)).context["adminform"].form

        assert [form[name].value() for name in RATE_LIMIT_FIELDS] == [77, None, 0]

    def test_staff_who_may_only_view_see_them_too(self, client, acme_admin):
        TenantLimits.objects.create(tenant=acme_admin.tenant, rate_limit_per_minute=77, tool_rate_limit_per_minute=0)
        viewer = User.objects.create_user("viewer", is_staff=True)
        viewer.user_permissions.add(Permission.objects.get(codename="view_tenant"))
        client.force_login(viewer)

        page = client.get(change_page(acme_admin.tenant)).content.decode()

        shown = re.findall(r'<div class="readonly">(.*?)</div>', page)
        assert shown[-3:] == ["77", "-", "0"]
        assert "For each tool, across the tenant. Empty: the setting's default. 0: no limit." in page

    def test_saving_a_tenant_that_keeps_the_defaults_adds_no_limits_row(self, admin_client, acme_admin):
        response = admin_client.post(change_page(acme_admin.tenant), tenant_form(name="Acme Corp"))

        assert response.status_code == 302
        assert Tenant.objects.get(pk=acme_admin.tenant.pk).name == "Acme Corp"
        assert not TenantLimits.objects.exists()

    def test_emptied_limits_are_the_settings_again(self, admin_client, api, acme_admin, settings):
        settings.GATEWAY_RATE_LIMIT_TENANT_PER_MINUTE = 1000
        TenantLimits.objects.create(tenant=acme_admin.tenant, rate_limit_per_minute=1)

        admin_client.post(change_page(acme_admin.tenant), tenant_form())

        assert own_limits(acme_admin.tenant) == (None, None, None)
        assert {kpis(api, acme_admin).status_code for _ in range(3)} == {200}

    def test_a_negative_limit_is_refused(self, admin_client, acme_admin):
        response = admin_client.post(change_page(acme_admin.tenant), tenant_form(user_rate_limit_per_minute="-1"))

        assert response.status_code == 200
        assert response.context["adminform"].form.errors["user_rate_limit_per_minute"]
        assert not TenantLimits.objects.exists()


def own_limits(tenant) -> tuple:
    return TenantLimits.objects.filter(tenant=tenant).values_list(*RATE_LIMIT_FIELDS).get()
