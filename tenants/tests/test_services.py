import pytest

from tenants.models import RATE_LIMIT_FIELDS, TenantLimits
from tenants.services import tenant_create, tenant_limits_update

UNSET = dict.fromkeys(RATE_LIMIT_FIELDS)


def stored(tenant) -> tuple | None:
    return TenantLimits.objects.filter(tenant=tenant).values_list(*RATE_LIMIT_FIELDS).first()


@pytest.mark.django_db
class TestTenantCreate:
    def test_without_limits_the_tenant_gets_no_limits_row(self):
        tenant, _ = tenant_create(name="Initech", region="eu")
        assert stored(tenant) is None

    def test_with_limits_they_are_stored_with_it(self, django_assert_num_queries):
        tenant, _ = tenant_create(name="Initech", region="eu", **{**UNSET, "rate_limit_per_minute": 50})

        assert stored(tenant) == (50, None, None)
        with django_assert_num_queries(0):
            assert tenant.own_limits.rate_limit_per_minute == 50


@pytest.mark.django_db
class TestTenantLimitsUpdate:
    def test_sets_every_limit(self, acme, outsider):
        tenant, _ = acme
        tenant_limits_update(tenant=tenant, **{**UNSET, "user_rate_limit_per_minute": 7})
        tenant_limits_update(tenant=tenant, **{**UNSET, "rate_limit_per_minute": 0, "tool_rate_limit_per_minute": 3})

        assert stored(tenant) == (0, None, 3)
        assert stored(outsider.tenant) is None

    def test_a_tenant_keeping_every_default_gets_no_row(self, acme, django_assert_num_queries):
        tenant, _ = acme
        tenant_limits_update(tenant=tenant, **UNSET)

        assert stored(tenant) is None
        with django_assert_num_queries(0):
            assert tenant.own_limits.rate_limit_per_minute is None

    def test_an_existing_row_is_kept_with_its_limits_unset(self, acme):
        tenant, _ = acme
        tenant_limits_update(tenant=tenant, **{**UNSET, "rate_limit_per_minute": 5})
        tenant_limits_update(tenant=tenant, **UNSET)

        assert stored(tenant) == (None, None, None)

    def test_the_tenant_object_follows_without_a_query(self, acme, django_assert_num_queries):
        tenant, _ = acme
        tenant_limits_update(tenant=tenant, **{**UNSET, "tool_rate_limit_per_minute": 9})
        tenant_limits_update(tenant=tenant, **{**UNSET, "tool_rate_limit_per_minute": 4})

        with django_assert_num_queries(0):
            assert tenant.own_limits.tool_rate_limit_per_minute == 4


@pytest.mark.django_db
def test_first_limits_set_by_two_operators_at_once_end_as_the_last_ones(acme, monkeypatch):
    """Both find no row; the other one inserts first: ours must upsert, not fail on the primary key."""
    tenant, _ = acme
    real_update = type(TenantLimits.objects.all()).update

    def another_operator_inserts_first(queryset, **values):
        found = real_update(queryset, **values)
        if not found:
            TenantLimits.objects.create(tenant=tenant, rate_limit_per_minute=5)
        return found

    monkeypatch.setattr(type(TenantLimits.objects.all()), "update", another_operator_inserts_first)
    tenant_limits_update(tenant=tenant, **{**UNSET, "user_rate_limit_per_minute": 9})

    assert stored(tenant) == (None, 9, None)
