import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone

from audit.dashboard import dashboard_build
from audit.services import usage_record
from audit.tests.helpers import record_audit

DASHBOARD = reverse("admin-dashboard")


@pytest.fixture
def month(acme_admin, acme_member, outsider):
    """Acme: 6 successes over two days, 1 error, 1 denial; Globex: 2 successes; one old row outside the window."""
    now = timezone.now()
    for days_ago in (0, 0, 0, 1, 1, 1):
        when = now - timedelta(days=days_ago)
        record_audit(acme_admin, created_at=when)
        usage_record(tenant=acme_admin.tenant, user=acme_admin.user, tool_name="echo", units=2,
                     request_id=uuid.uuid4(), created_at=when)  # fmt: skip
    record_audit(acme_admin, outcome="error", status_code=404, error_code="kpi_not_found", created_at=now)
    record_audit(acme_member, outcome="denied", status_code=403, error_code="permission_denied", created_at=now)
    for _ in range(2):
        record_audit(outsider, tool_name="kpi_summary", created_at=now)
        usage_record(tenant=outsider.tenant, user=outsider.user, tool_name="kpi_summary", units=1,
                     request_id=uuid.uuid4(), created_at=now)  # fmt: skip
    record_audit(outsider, created_at=now - timedelta(days=45))


@pytest.mark.django_db
class TestNumbers:
    def test_all_tenants(self, month):
        board = dashboard_build()

        assert board.invocations == 10
        assert board.units == 14
        assert (board.errors.count, board.errors.percent) == (1, 10.0)
        assert (board.denials.count, board.denials.percent) == (1, 10.0)
        assert [(row["tenant__name"], row["calls"], row["units"]) for row in board.top_tenants] == [
            ("Acme", 6, 12),
            ("Globex", 2, 2),
        ]
        assert [(row["tool_name"], row["units"]) for row in board.top_tools] == [("echo", 12), ("kpi_summary", 2)]
        assert [row.error_code for row in board.recent_denials] == ["permission_denied"]

    def test_thirty_bars_ending_today(self, month):
        bars = dashboard_build().chart.bars
        assert len(bars) == 30
        assert [bar.total for bar in bars[-2:]] == [3, 7]
        assert sum(bar.total for bar in bars) == 10

    def test_one_tenant(self, month, outsider):
        board = dashboard_build(tenant=outsider.tenant)
        assert (board.invocations, board.units, board.top_tenants) == (2, 2, [])
        assert board.recent_denials == []


@pytest.mark.django_db
class TestPage:
    def test_renders_for_a_superuser(self, admin_client, month):
        response = admin_client.get(DASHBOARD)

        assert response.status_code == 200
        page = response.content.decode()
        assert '<svg viewBox="0 0 720 220"' in page
        assert page.count('<rect class="series-success"') == 2
        assert 'id="tile-invocations">10<' in page
        assert "permission_denied" in page

    def test_filters_by_tenant(self, admin_client, month, outsider):
        response = admin_client.get(DASHBOARD, {"tenant": str(outsider.tenant.id)})
        assert response.context["dashboard"].tenant == outsider.tenant
        assert 'id="tile-invocations">2<' in response.content.decode()

    @pytest.mark.parametrize("tenant", ["garbage", str(uuid.uuid4())])
    def test_unknown_tenant_shows_all(self, admin_client, month, tenant):
        assert admin_client.get(DASHBOARD, {"tenant": tenant}).context["dashboard"].tenant is None

    def test_linked_from_the_admin_index(self, admin_client):
        assert DASHBOARD.encode() in admin_client.get(reverse("admin:index")).content

    def test_anonymous_is_sent_to_login(self, client):
        response = client.get(DASHBOARD)
        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]

    def test_staff_without_audit_access_is_403(self, client, db):
        client.force_login(User.objects.create_user("helper", is_staff=True))
        assert client.get(DASHBOARD).status_code == 403

    def test_staff_with_audit_access_sees_it(self, client, month):
        auditor = User.objects.create_user("auditor", is_staff=True)
        auditor.user_permissions.add(Permission.objects.get(codename="view_auditlog"))
        client.force_login(auditor)
        assert client.get(DASHBOARD).status_code == 200

    def test_query_budget_is_fixed(self, admin_client, month, django_assert_max_num_queries):
        # session, user, per-day counts, units, top tenants, top tools, recent denials, tenant list.
        with django_assert_max_num_queries(9):
            response = admin_client.get(DASHBOARD)
        assert response.status_code == 200
        assert response.context["dashboard"].invocations == 10
