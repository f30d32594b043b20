import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.selectors import ToolUsage, usage_totals
from audit.services import usage_record


def meter(actor, tool_name: str, units: int, *, at=None) -> None:
    usage_record(tenant=actor.tenant, user=actor.user, tool_name=tool_name, units=units, request_id=uuid.uuid4(),
                 created_at=at)  # fmt: skip


@pytest.mark.django_db
class TestUsageTotals:
    def test_counts_invocations_and_units_by_tool_most_units_first(self, acme_admin, acme_member):
        meter(acme_admin, "echo", 1)
        meter(acme_member, "echo", 1)
        meter(acme_admin, "kpi_summary", 5)

        totals = usage_totals(tenant=acme_admin.tenant, since=timezone.now() - timedelta(days=30))

        assert totals.by_tool == [ToolUsage("kpi_summary", 1, 5), ToolUsage("echo", 2, 2)]
        assert (totals.invocations, totals.units) == (3, 7)

    def test_excludes_other_tenants(self, acme_admin, outsider):
        meter(acme_admin, "echo", 1)
        meter(outsider, "echo", 4)
        meter(outsider, "kpi_summary", 9)

        totals = usage_totals(tenant=acme_admin.tenant, since=timezone.now() - timedelta(days=30))

        assert totals.by_tool == [ToolUsage("echo", 1, 1)]
        assert usage_totals(tenant=outsider.tenant, since=timezone.now() - timedelta(days=30)).units == 13

    def test_since_is_inclusive_and_until_exclusive(self, acme_admin):
        now = timezone.now().replace(microsecond=0)
        meter(acme_admin, "echo", 1, at=now - timedelta(days=31))
        meter(acme_admin, "echo", 2, at=now - timedelta(days=30))
        meter(acme_admin, "echo", 4, at=now - timedelta(days=1))
        meter(acme_admin, "echo", 8, at=now)

        assert usage_totals(tenant=acme_admin.tenant, since=now - timedelta(days=30)).units == 2 + 4 + 8
        assert usage_totals(tenant=acme_admin.tenant, since=now - timedelta(days=30), until=now).units == 2 + 4

    def test_nothing_metered_is_zero(self, acme):
        tenant, _ = acme
        totals = usage_totals(tenant=tenant, since=timezone.now() - timedelta(days=30))
        assert (totals.by_tool, totals.invocations, totals.units) == ([], 0, 0)

    def test_is_one_query(self, acme_admin, django_assert_num_queries):
        meter(acme_admin, "echo", 1)
        meter(acme_admin, "kpi_summary", 1)
        # 1 usage rows grouped by tool
        with django_assert_num_queries(1):
            usage_totals(tenant=acme_admin.tenant, since=timezone.now() - timedelta(days=30))
