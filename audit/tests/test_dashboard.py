import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone
from model_bakery import baker

from audit.dashboard import RECENT_DENIALS, Period, dashboard_build, period_from_query
from audit.services import usage_record
from audit.tests.helpers import record_audit
from conftest import make_tenant
from tenants.models import Role, TenantUser

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
        # session, user, usage by tool (its units and top tools), usage by tenant (top tenants), per-day counts,
        # recent denials, tenant list.
        with django_assert_max_num_queries(7):
            response = admin_client.get(DASHBOARD)
        assert response.status_code == 200
        assert response.context["dashboard"].invocations == 10


@pytest.fixture
def unknown_outcomes(acme_admin):
    """Acme: 2 successes and 2 calls sent upstream whose outcome is unknown, today."""
    now = timezone.now()
    for _ in range(2):
        record_audit(acme_admin, created_at=now)
    for status in (502, 504):
        record_audit(acme_admin, outcome="unknown", status_code=status, error_code="upstream_outcome_unknown",
                     created_at=now)  # fmt: skip


@pytest.mark.django_db
class TestUnknownOutcomes:
    """A request sent upstream and never answered is neither a success nor an error: counted, drawn and exported
    as its own outcome, so the invocations add up and someone can find the calls to reconcile."""

    def test_are_counted_among_the_invocations(self, unknown_outcomes):
        board = dashboard_build()
        assert board.invocations == 4
        assert (board.unknown.count, board.unknown.percent) == (2, 50.0)
        assert (board.errors.count, board.denials.count) == (0, 0)
        assert board.chart.bars[-1].total == 4
        assert [segment[0] for segment in board.chart.bars[-1].segments] == ["success", "unknown"]

    def test_the_page_shows_them_with_a_link_to_the_rows(self, admin_client, unknown_outcomes, acme_admin):
        page = admin_client.get(DASHBOARD, {"tenant": str(acme_admin.tenant.id)}).content.decode()

        assert 'id="tile-unknown">50.0%<' in page
        assert page.count('<rect class="series-unknown"') == 1
        assert '<i class="series-unknown"></i>unknown' in page
        audit_list = reverse("admin:audit_auditlog_changelist")
        assert f'href="{audit_list}?outcome__exact=unknown&amp;tenant__id__exact={acme_admin.tenant.id}' in page

    def test_the_tile_links_nowhere_when_there_are_none(self, admin_client, month):
        page = admin_client.get(DASHBOARD).content.decode()
        assert 'id="tile-unknown">0.0%<' in page and "outcome__exact=unknown" not in page

    def test_are_exported(self, admin_client, unknown_outcomes):
        parts = sections(exported(admin_client.get(DASHBOARD, {"export": "csv"})))
        assert parts["invocations"][1][-2:] == ["2", "50.0"]
        assert parts["date_utc"][-1][1:] == ["2", "0", "0", "2", "4"]


@pytest.mark.django_db
class TestRecentDenials:
    def test_the_latest_by_time_not_by_when_they_were_written(self, acme_member):
        now = timezone.now()
        denied = {"outcome": "denied", "status_code": 403, "error_code": "permission_denied"}
        for minutes_ago in range(20):
            record_audit(acme_member, **denied, created_at=now - timedelta(minutes=minutes_ago))
        backfilled = record_audit(acme_member, **denied, created_at=now - timedelta(days=3))
        latest = record_audit(acme_member, **denied, created_at=now + timedelta(seconds=1))

        seqs = [row.seq for row in dashboard_build().recent_denials]

        assert len(seqs) == RECENT_DENIALS
        assert seqs[0] == latest
        assert backfilled not in seqs
        assert seqs[1:] == list(range(1, RECENT_DENIALS))


TODAY = date(2026, 3, 15)


class TestPeriodFromQuery:
    @pytest.mark.parametrize(
        ("first", "last", "expected"),
        [
            ("", "", (date(2026, 2, 14), TODAY)),
            ("2026-03-01", "", (date(2026, 3, 1), TODAY)),
            ("", "2026-01-31", (date(2026, 1, 2), date(2026, 1, 31))),
            ("2026-01-01", "2026-01-31", (date(2026, 1, 1), date(2026, 1, 31))),
            (" 2026-03-15 ", "2026-03-15", (TODAY, TODAY)),
            ("2025-03-15", "2026-03-15", (date(2025, 3, 15), TODAY)),  # 366 days, the most
        ],
    )
    def test_a_period(self, first, last, expected):
        period, problem = period_from_query(first, last, today=TODAY)
        assert ((period.first_day, period.last_day), problem) == (expected, "")

    @pytest.mark.parametrize(
        ("first", "last", "problem"),
        [
            ("yesterday", "", "Dates are YYYY-MM-DD"),
            ("2026-02-30", "", "Dates are YYYY-MM-DD"),
            ("", "2026-3-1", "Dates are YYYY-MM-DD"),
            ("2026-03-02", "2026-03-01", "'From' is after 'to'"),
            ("2025-03-14", "2026-03-15", "At most 366 days"),
        ],
    )
    def test_what_is_wrong_is_said_and_the_last_thirty_days_are_shown(self, first, last, problem):
        period, said = period_from_query(first, last, today=TODAY)
        assert (period.first_day, period.last_day) == (date(2026, 2, 14), TODAY)
        assert said.startswith(problem)


@pytest.fixture
def january(acme_admin, acme_member, outsider):
    """Acme: successes on Jan 1, 2 and 31 (UTC), a denial on Jan 2; Globex: a success on Feb 1."""
    for moment in ("2026-01-01T23:59:59", "2026-01-02T00:00:00", "2026-01-31T12:00:00"):
        when = datetime.fromisoformat(moment).replace(tzinfo=UTC)
        record_audit(acme_admin, created_at=when)
        usage_record(tenant=acme_admin.tenant, user=acme_admin.user, tool_name="echo", units=3,
                     request_id=uuid.uuid4(), created_at=when)  # fmt: skip
    record_audit(acme_member, outcome="denied", status_code=403, error_code="permission_denied",
                 created_at=datetime(2026, 1, 2, 8, tzinfo=UTC))  # fmt: skip
    record_audit(outsider, created_at=datetime(2026, 2, 1, tzinfo=UTC))


@pytest.mark.django_db
class TestDateRange:
    def test_counts_only_the_days_asked_for(self, january):
        board = dashboard_build(period=Period(date(2026, 1, 2), date(2026, 1, 31)))

        assert (board.invocations, board.units, board.denials.count) == (3, 6, 1)
        assert len(board.chart.bars) == 30
        assert [bar.total for bar in board.chart.bars][:2] == [2, 0]
        assert board.per_day[0] == (date(2026, 1, 2), {"success": 1, "denied": 1})

    def test_the_page_takes_from_and_to(self, admin_client, january):
        response = admin_client.get(DASHBOARD, {"from": "2026-01-01", "to": "2026-01-02"})

        board = response.context["dashboard"]
        assert (board.period.first_day, board.period.last_day) == (date(2026, 1, 1), date(2026, 1, 2))
        assert board.invocations == 3
        page = response.content.decode()
        assert 'name="from" value="2026-01-01"' in page
        assert 'name="to" value="2026-01-02"' in page
        assert "2 days, 2026-01-01 to 2026-01-02 (UTC), both included." in page

    def test_a_bad_range_is_said(self, admin_client, january):
        response = admin_client.get(DASHBOARD, {"from": "2026-01-31", "to": "2026-01-01"})
        assert response.context["dashboard"].period.days == 30
        assert "&#x27;From&#x27; is after &#x27;to&#x27;" in response.content.decode()

    def test_links_keep_the_tenant_and_the_days(self, admin_client, january, acme_admin):
        tenant = acme_admin.tenant.id
        response = admin_client.get(DASHBOARD, {"tenant": str(tenant), "from": "2026-01-01", "to": "2026-01-31"})
        page = response.content.decode()

        assert f'id="export-csv" href="?tenant={tenant}&amp;from=2026-01-01&amp;to=2026-01-31&amp;export=csv"' in page
        audit_list = reverse("admin:audit_auditlog_changelist")
        assert (
            f'href="{audit_list}?outcome__exact=denied&amp;tenant__id__exact={tenant}'
            "&amp;created_at__from=2026-01-01&amp;created_at__to=2026-01-31" in page
        )

    def test_top_tenants_link_to_the_same_days(self, admin_client, january, acme_admin):
        page = admin_client.get(DASHBOARD, {"from": "2026-01-01", "to": "2026-01-31"}).content.decode()
        assert f'href="?tenant={acme_admin.tenant.id}&amp;from=2026-01-01&amp;to=2026-01-31"' in page

    def test_times_say_utc(self, admin_client, january):
        page = admin_client.get(DASHBOARD, {"from": "2026-01-01", "to": "2026-01-31"}).content.decode()
        assert "<th>When (UTC)</th>" in page
        assert '<label for="period-from">From (UTC)</label>' in page


def exported(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode())))


def sections(rows: list[list[str]]) -> dict[str, list[list[str]]]:
    """The export's sections by the name of their first column."""
    found, current = {}, []
    for row in [*rows, []]:
        if row:
            current.append(row)
        elif current:
            found[current[0][0]], current = current, []
    return found


@pytest.mark.django_db
class TestCsvExport:
    def test_exports_what_the_page_shows(self, admin_client, january, acme_admin):
        response = admin_client.get(DASHBOARD, {"from": "2026-01-01", "to": "2026-01-31", "export": "csv"})

        assert response["Content-Disposition"] == 'attachment; filename="dashboard-all-tenants-20260101-20260131.csv"'
        parts = sections(exported(response))
        assert parts["tenant_id"] == [["tenant_id", "tenant", "from_utc", "to_utc"],
                                      ["", "All tenants", "2026-01-01", "2026-01-31"]]  # fmt: skip
        assert parts["invocations"] == [
            ["invocations", "units", "errors", "error_rate_percent", "denials", "denial_rate_percent", "unknown",
             "unknown_rate_percent"],
            ["4", "9", "0", "0.0", "1", "25.0", "0", "0.0"],
        ]  # fmt: skip
        per_day = parts["date_utc"]
        assert per_day[0] == ["date_utc", "success", "error", "denied", "unknown", "total"]
        assert len(per_day) == 1 + 31
        assert per_day[1:3] == [["2026-01-01", "1", "0", "0", "0", "1"], ["2026-01-02", "1", "0", "1", "0", "2"]]
        assert parts["top_tenant_id"][1] == [str(acme_admin.tenant.id), "Acme", "3", "9"]
        assert parts["top_tool"][1:] == [["echo", "3", "9"]]
        denial = parts["denied_at_utc"][1]
        assert denial[:5] == ["2026-01-02T08:00:00+00:00", "Acme", "member@acme.test", "echo", "permission_denied"]

    def test_one_tenant(self, admin_client, january, outsider):
        response = admin_client.get(
            DASHBOARD, {"tenant": str(outsider.tenant.id), "from": "2026-02-01", "to": "2026-02-01", "export": "csv"}
        )
        parts = sections(exported(response))
        assert parts["tenant_id"][1] == [str(outsider.tenant.id), "Globex", "2026-02-01", "2026-02-01"]
        assert parts["invocations"][1][0] == "1"
        assert "top_tenant_id" not in parts

    def test_a_name_a_spreadsheet_would_run_is_text(self, admin_client, db):
        tenant, _ = make_tenant("=HYPERLINK(1)")
        user = baker.make(TenantUser, tenant=tenant, role=Role.ADMIN)
        usage_record(tenant=tenant, user=user, tool_name="echo", units=1, request_id=uuid.uuid4())
        parts = sections(exported(admin_client.get(DASHBOARD, {"export": "csv"})))
        assert parts["top_tenant_id"][1][1] == "'=HYPERLINK(1)"

    def test_needs_the_audit_permission(self, client, january):
        client.force_login(User.objects.create_user("helper", is_staff=True))
        assert client.get(DASHBOARD, {"export": "csv"}).status_code == 403
