"""Limits set before their table existed survive the upgrade (tenants 0004), and a downgrade takes them home.

The tenants are written at the previous schema, where the limits were columns of gateway_tenants, through
that schema's own models; after migrating, each is read as the gateway reads it: by the query that
authenticates the tenant.
"""

import pytest
from django.conf import settings

from audit.tests.helpers import migrated_back_to
from tenants.api_keys import api_key_digest
from tenants.context import tenant_context_resolve
from tenants.models import Tenant, TenantLimits, TenantUser
from tenants.rate_limits import tenant_limits, tool_limit

BEFORE_LIMITS_TABLE = ("tenants", "0003_tenant_suspension")
API_KEY = "gwk_upgrade-test-key"
# name: (tenant's, each user's, each tool's) per minute, as set before the upgrade
SET_BEFORE = {
    "Some set": (50, None, 0),
    "None set": (None, None, None),
    "One set": (None, 7, None),
    "All off": (0, 0, 0),
}
LIMITS = ("rate_limit_per_minute", "user_rate_limit_per_minute", "tool_rate_limit_per_minute")


def old_schema_tenant(executor):
    """The Tenant model of the schema before the limits had a table."""
    return executor.loader.project_state([BEFORE_LIMITS_TABLE]).apps.get_model("tenants", "Tenant")


def own_values(limits: TenantLimits) -> tuple:
    return tuple(getattr(limits, name) for name in LIMITS)


@pytest.fixture
def upgraded(transactional_db) -> dict[str, Tenant]:
    """The tenants of SET_BEFORE, written with their limits as columns, then migrated to the latest schema."""
    with migrated_back_to(BEFORE_LIMITS_TABLE) as executor:
        OldTenant = old_schema_tenant(executor)
        digest = api_key_digest(API_KEY)
        ids = {
            name: OldTenant.objects.create(name=name, region="eu-west-1", api_key_digest=digest,
                                           **dict(zip(LIMITS, values, strict=True))).pk
            for name, values in SET_BEFORE.items()
        }  # fmt: skip
    return {name: Tenant.objects.get(pk=tenant_id) for name, tenant_id in ids.items()}


def test_every_value_set_survives_and_a_tenant_with_none_gets_no_row(upgraded):
    moved = {limits.tenant.name: own_values(limits) for limits in TenantLimits.objects.select_related("tenant")}

    assert moved == {name: values for name, values in SET_BEFORE.items() if name != "None set"}


def test_the_authenticating_query_reads_them(upgraded, django_assert_num_queries):
    per_minute = {}
    for name, tenant in upgraded.items():
        user = TenantUser.objects.create(tenant=tenant, email=f"ops@{tenant.pk}.test", role="admin")
        with django_assert_num_queries(1):  # 1 tenant with its limits, and the user
            context = tenant_context_resolve(tenant_id=str(tenant.pk), user_id=str(user.pk), api_key=API_KEY)
            limits = [*tenant_limits(context.tenant, context.user), tool_limit(context.tenant, "echo")]
        per_minute[name] = tuple(limit.per_minute for limit in limits)

    defaults = (
        settings.GATEWAY_RATE_LIMIT_USER_PER_MINUTE,
        settings.GATEWAY_RATE_LIMIT_TENANT_PER_MINUTE,
        settings.GATEWAY_RATE_LIMIT_TOOL_PER_MINUTE,
    )
    # (user's, tenant's, tool's), the order the limits are checked in
    assert per_minute == {
        "Some set": (defaults[0], 50, 0),
        "None set": defaults,
        "One set": (7, defaults[1], defaults[2]),
        "All off": (0, 0, 0),
    }


def test_a_downgrade_takes_the_values_back_to_the_tenants(upgraded):
    TenantLimits.objects.filter(tenant=upgraded["None set"]).delete()
    TenantLimits.objects.create(tenant=upgraded["None set"], tool_rate_limit_per_minute=12)

    with migrated_back_to(BEFORE_LIMITS_TABLE) as executor:
        columns = {tenant.name: own_values(tenant) for tenant in old_schema_tenant(executor).objects.all()}

    assert columns == {**SET_BEFORE, "None set": (None, None, 12)}
    assert TenantLimits.objects.count() == 4  # and up again
