import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone
from model_bakery import baker

from audit.selectors import UsageGroup, UsageGroupBy, usage_summary
from audit.services import usage_record
from tenants.models import Role, Tenant, TenantUser

SINCE = datetime(2026, 1, 1, tzinfo=UTC)
UNTIL = datetime(2026, 2, 1, tzinfo=UTC)


def meter(actor, tool_name: str, units: int, *, at=None) -> None:
    usage_record(tenant=actor.tenant, user=actor.user, tool_name=tool_name, units=units, request_id=uuid.uuid4(),
                 created_at=at)  # fmt: skip


def last_month(tenant, group_by):
    return usage_summary(tenant=tenant, since=timezone.now() - timedelta(days=30), until=None, group_by=group_by)


def january(tenant, group_by):
    return usage_summary(tenant=tenant, since=SINCE, until=UNTIL, group_by=group_by)


def at(moment: str) -> datetime:
    return datetime.fromisoformat(moment).replace(tzinfo=UTC)


@pytest.fixture
def ledger(acme_admin, acme_member, outsider):
    """Acme in January: the admin 1 echo and 5 kpi_summary units, the member 2 echo units a day later; Globex:
    9 echo units. Outside January: 50 units of Acme's on each side."""
    meter(acme_admin, "echo", 1, at=at("2026-01-10T23:59:59"))
    meter(acme_admin, "kpi_summary", 5, at=at("2026-01-10T12:00:00"))
    meter(acme_member, "echo", 2, at=at("2026-01-11T00:00:00"))
    meter(outsider, "echo", 9, at=at("2026-01-20T08:00:00"))
    meter(acme_admin, "echo", 50, at=at("2025-12-31T23:59:59"))
    meter(acme_admin, "echo", 50, at=at("2026-02-01T00:00:00"))


def rows(summary) -> list[tuple]:
    return [(group.key, group.label, group.invocations, group.units) for group in summary.groups]


@pytest.mark.django_db
class TestUsageSummary:
    def test_by_tool(self, ledger, acme_admin):
        summary = january(acme_admin.tenant, UsageGroupBy.TOOL)

        assert rows(summary) == [("kpi_summary", "kpi_summary", 1, 5), ("echo", "echo", 2, 3)]
        assert (summary.invocations, summary.units) == (3, 8)

    def test_by_user(self, ledger, acme_admin, acme_member):
        assert rows(january(acme_admin.tenant, "user")) == [
            (acme_admin.user.id, "admin@acme.test", 2, 6),
            (acme_member.user.id, "member@acme.test", 1, 2),
        ]

    def test_by_utc_day(self, ledger, acme_admin, settings):
        settings.TIME_ZONE = "Pacific/Auckland"  # the days are UTC's whatever the site's time zone
        assert rows(january(acme_admin.tenant, "day")) == [
            (date(2026, 1, 10), "2026-01-10", 2, 6),
            (date(2026, 1, 11), "2026-01-11", 1, 2),
        ]

    def test_by_tenant_for_every_tenant(self, ledger, acme_admin, outsider):
        summary = january(None, UsageGroupBy.TENANT)

        assert rows(summary) == [(outsider.tenant.id, "Globex", 1, 9), (acme_admin.tenant.id, "Acme", 3, 8)]
        assert (summary.invocations, summary.units) == (4, 17)

    def test_every_tenant_adds_them_up(self, ledger):
        assert rows(january(None, "tool")) == [("echo", "echo", 3, 12), ("kpi_summary", "kpi_summary", 1, 5)]
        for group_by in UsageGroupBy:
            everyone = january(None, group_by)
            assert (everyone.invocations, everyone.units) == (4, 17), group_by

    @pytest.mark.parametrize("group_by", list(UsageGroupBy))
    def test_excludes_other_tenants(self, acme_admin, acme_member, outsider, group_by):
        meter(acme_admin, "echo", 1, at=at("2026-01-10T10:00:00"))
        meter(acme_member, "kpi_summary", 2, at=at("2026-01-11T10:00:00"))
        acme_alone = january(acme_admin.tenant, group_by)

        meter(outsider, "echo", 4, at=at("2026-01-10T10:00:00"))
        meter(outsider, "test_heavy", 8, at=at("2026-01-12T10:00:00"))

        assert january(acme_admin.tenant, group_by) == acme_alone
        assert (acme_alone.invocations, acme_alone.units) == (2, 3)
        globex = january(outsider.tenant, group_by)
        assert (globex.invocations, globex.units) == (2, 12)

    @pytest.mark.parametrize("group_by", list(UsageGroupBy))
    def test_since_is_inclusive_and_until_exclusive(self, acme_admin, group_by):
        now = timezone.now().replace(microsecond=0)
        meter(acme_admin, "echo", 1, at=now - timedelta(days=31))
        meter(acme_admin, "echo", 2, at=now - timedelta(days=30))
        meter(acme_admin, "echo", 4, at=now - timedelta(days=1))
        meter(acme_admin, "echo", 8, at=now)

        def units(until):
            return usage_summary(tenant=acme_admin.tenant, since=now - timedelta(days=30), until=until,
                                 group_by=group_by).units  # fmt: skip

        assert units(None) == 2 + 4 + 8
        assert units(now) == 2 + 4
        assert units(now - timedelta(days=30)) == 0

    def test_equal_units_are_ordered_by_name_then_id(self, db):
        # Two tenants of one name, and a third: the order never depends on how the database feels today.
        tenants = [baker.make(Tenant, name=name) for name in ("Twin", "Twin", "Alpha")]
        for tenant in tenants:
            user = baker.make(TenantUser, tenant=tenant, role=Role.ADMIN)
            usage_record(tenant=tenant, user=user, tool_name="echo", units=3, request_id=uuid.uuid4(),
                         created_at=at("2026-01-05T00:00:00"))  # fmt: skip
        twins = sorted(tenant.id for tenant in tenants[:2])

        groups = january(None, "tenant").groups

        assert [(group.label, group.key) for group in groups] == [
            ("Alpha", tenants[2].id),
            *(("Twin", id) for id in twins),
        ]

    def test_nothing_metered_is_zero(self, acme):
        tenant, _ = acme
        summary = last_month(tenant, "tool")
        assert (summary.groups, summary.invocations, summary.units) == ([], 0, 0)

    def test_an_unknown_grouping_is_refused(self, acme):
        tenant, _ = acme
        with pytest.raises(ValueError, match="'tool_name' is not a valid UsageGroupBy"):
            last_month(tenant, "tool_name")

    @pytest.mark.parametrize("group_by", list(UsageGroupBy))
    @pytest.mark.parametrize("everyone", [False, True])
    def test_is_one_query(self, ledger, acme_admin, django_assert_num_queries, group_by, everyone):
        # 1 usage rows grouped (tenant names and user emails joined in)
        with django_assert_num_queries(1):
            summary = january(None if everyone else acme_admin.tenant, group_by)
        assert all(isinstance(group, UsageGroup) for group in summary.groups)
