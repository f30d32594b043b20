"""The ledgers in the admin: read-only for everyone, filterable, searchable, exportable, fast."""

import csv
import io
import uuid

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditLog, UsageEvent
from audit.services import usage_record
from audit.tests.helpers import attempt, record_audit

AUDIT_LIST = reverse("admin:audit_auditlog_changelist")
USAGE_LIST = reverse("admin:audit_usageevent_changelist")


@pytest.fixture
def ledger(acme_admin, acme_member, outsider):
    """Acme: 2 successes (echo, kpi_summary), 1 denial, 1 error; Globex: 1 success."""
    rows = {
        "acme_echo": record_audit(acme_admin, tool_name="echo", idempotency_key="acme-echo"),
        "acme_summary": record_audit(acme_admin, tool_name="kpi_summary"),
        "acme_denied": record_audit(acme_member, outcome="denied", status_code=403, error_code="permission_denied"),
        "acme_error": record_audit(acme_admin, outcome="error", status_code=404, error_code="kpi_not_found"),
        "globex_echo": record_audit(outsider, tool_name="echo"),
    }
    for actor in (acme_admin, acme_admin, outsider):
        usage_record(tenant=actor.tenant, user=actor.user, tool_name="echo", units=1, request_id=uuid.uuid4())
    return rows


def listed_request_ids(response) -> set[str]:
    return {str(row.request_id) for row in response.context["cl"].result_list}


@pytest.mark.django_db
class TestAuditList:
    def test_lists_every_row(self, admin_client, ledger):
        response = admin_client.get(AUDIT_LIST)
        assert response.status_code == 200
        assert len(response.context["cl"].result_list) == 5

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("outcome__exact=denied", 1),
            ("outcome__exact=success", 3),
            ("tool=kpi_summary", 1),
            ("created_at__year={this_year}", 5),
            ("created_at__year=2001", 0),
        ],
    )
    def test_filters(self, admin_client, ledger, query, expected):
        response = admin_client.get(f"{AUDIT_LIST}?{query.format(this_year=timezone.now().year)}")
        assert len(response.context["cl"].result_list) == expected

    def test_filter_by_tenant(self, admin_client, ledger, outsider):
        response = admin_client.get(f"{AUDIT_LIST}?tenant__id__exact={outsider.tenant.id}")
        assert [row.tenant_id for row in response.context["cl"].result_list] == [outsider.tenant.id]

    def test_search_by_request_id(self, admin_client, ledger):
        wanted = AuditLog.objects.get(error_code="kpi_not_found").request_id
        response = admin_client.get(AUDIT_LIST, {"q": str(wanted)})
        assert listed_request_ids(response) == {str(wanted)}

    def test_search_by_user_id_and_idempotency_key(self, admin_client, ledger, acme_member):
        by_user = admin_client.get(AUDIT_LIST, {"q": str(acme_member.user.id)})
        assert [row.user_id for row in by_user.context["cl"].result_list] == [acme_member.user.id]
        by_key = admin_client.get(AUDIT_LIST, {"q": "acme-echo"})
        assert [row.idempotency_key for row in by_key.context["cl"].result_list] == ["acme-echo"]

    @pytest.mark.parametrize("query", ["not-a-uuid", "'; DROP TABLE audit_logs; --", "%", "x" * 500])
    def test_any_search_text_is_safe(self, admin_client, ledger, query):
        response = admin_client.get(AUDIT_LIST, {"q": query})
        assert response.status_code == 200
        assert AuditLog.objects.count() == 5

    def test_query_count_does_not_grow_with_rows(self, admin_client, acme_admin, django_assert_max_num_queries):
        for _ in range(60):
            record_audit(acme_admin)
        # session, user, count of the filtered rows, one page with tenant and user joined, date hierarchy.
        with django_assert_max_num_queries(8):
            response = admin_client.get(AUDIT_LIST)
        assert response.status_code == 200
        assert len(response.context["cl"].result_list) == 60


@pytest.mark.django_db
class TestReadOnly:
    """No add, change or delete for anyone, superusers included."""

    @pytest.mark.parametrize("model", ["auditlog", "usageevent"])
    def test_add_is_403(self, admin_client, ledger, model):
        url = reverse(f"admin:audit_{model}_add")
        assert admin_client.get(url).status_code == 403
        assert admin_client.post(url, {}).status_code == 403

    @pytest.mark.parametrize("model", [AuditLog, UsageEvent])
    def test_change_is_403_and_the_page_is_view_only(self, admin_client, ledger, model):
        row = model.objects.first()
        url = reverse(f"admin:audit_{model._meta.model_name}_change", args=[row.pk])
        view = admin_client.get(url)
        assert view.status_code == 200
        assert b'name="_save"' not in view.content
        assert admin_client.post(url, {"tool_name": "forged"}).status_code == 403
        assert model.objects.get(pk=row.pk).tool_name != "forged"

    @pytest.mark.parametrize("model", [AuditLog, UsageEvent])
    def test_delete_is_403(self, admin_client, ledger, model):
        row = model.objects.first()
        url = reverse(f"admin:audit_{model._meta.model_name}_delete", args=[row.pk])
        assert admin_client.get(url).status_code == 403
        assert admin_client.post(url, {"post": "yes"}).status_code == 403
        assert model.objects.filter(pk=row.pk).exists()

    def test_no_delete_action_is_offered(self, admin_client, ledger):
        actions = admin_client.get(AUDIT_LIST).context["action_form"].fields["action"].choices
        assert [name for name, _ in actions if name] == ["export_csv"]


def export(admin_client, url, *, select_across: bool, ids=(), query=""):
    response = admin_client.post(
        f"{url}?{query}",
        {"action": "export_csv", "select_across": "1" if select_across else "0", "_selected_action": list(ids)},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.django_db
class TestCsvExport:
    def test_exports_the_selected_rows(self, admin_client, ledger):
        chosen = AuditLog.objects.filter(outcome="error").values_list("pk", flat=True)
        rows = export(admin_client, AUDIT_LIST, select_across=False, ids=chosen)

        assert [row["error_code"] for row in rows] == ["kpi_not_found"]
        assert set(rows[0]) >= {"created_at", "tenant_id", "outcome", "request_id", "row_hash", "client_ip"}

    def test_exports_every_filtered_row(self, admin_client, ledger, acme_admin):
        rows = export(
            admin_client, AUDIT_LIST, select_across=True, ids=[AuditLog.objects.first().pk],
            query=f"tenant__id__exact={acme_admin.tenant.id}",
        )  # fmt: skip
        assert len(rows) == 4
        assert {row["tenant_name"] for row in rows} == {"Acme"}
        assert [int(row["seq"]) for row in rows] == [1, 2, 3, 4]

    def test_exports_usage(self, admin_client, ledger):
        rows = export(admin_client, USAGE_LIST, select_across=True, ids=[UsageEvent.objects.first().pk])
        assert len(rows) == 3
        assert {row["units"] for row in rows} == {"1"}

    def test_cells_that_a_spreadsheet_would_run_are_neutralised(self, admin_client, acme_admin):
        record_audit(acme_admin, attempt=attempt(user_agent='=HYPERLINK("http://evil")'))
        rows = export(admin_client, AUDIT_LIST, select_across=True, ids=[AuditLog.objects.get().pk])
        assert rows[0]["user_agent"] == '\'=HYPERLINK("http://evil")'


@pytest.mark.django_db
class TestWhoGetsIn:
    def test_a_non_staff_login_cannot_see_the_admin(self, client, ledger):
        User.objects.create_user("clerk", password="clerk-pass-123", is_staff=False)
        response = client.post(reverse("admin:login"), {"username": "clerk", "password": "clerk-pass-123"})

        assert response.status_code == 200  # the login form again, with an error
        assert b"Please enter the correct username and password for a staff account" in response.content
        assert client.get(AUDIT_LIST).status_code == 302

    def test_gateway_credentials_never_open_the_admin(self, client, acme_admin):
        response = client.post(
            reverse("admin:login"), {"username": acme_admin.user.email, "password": acme_admin.api_key}
        )
        assert b"Please enter the correct username and password" in response.content
        assert client.get(AUDIT_LIST, headers=acme_admin.headers()).status_code == 302

    def test_staff_with_view_permission_may_read_but_not_write(self, client, ledger):
        reader = User.objects.create_user("auditor", password="auditor-pass-123", is_staff=True)
        reader.user_permissions.add(Permission.objects.get(codename="view_auditlog"))
        client.force_login(reader)

        assert client.get(AUDIT_LIST).status_code == 200
        assert client.get(USAGE_LIST).status_code == 403
        assert client.get(reverse("admin:audit_auditlog_add")).status_code == 403
