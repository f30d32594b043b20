"""The ledgers in the admin: read-only for everyone, filterable, searchable, exportable, fast."""

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.admin.templatetags.admin_list import result_headers
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone
from model_bakery import baker

from audit.admin import OUTCOME_COLOURS
from audit.models import AuditLog, AuditSeal, Outcome, UsageEvent
from audit.services import usage_record
from audit.tests.helpers import attempt, record_audit, seal
from conftest import Actor, make_tenant
from tenants.models import Role, TenantUser

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

    def test_filter_by_channel(self, admin_client, ledger, acme_admin):
        record_audit(acme_admin, channel="mcp")  # the next channel, written before the console knows it
        by_channel = {
            channel: len(admin_client.get(f"{AUDIT_LIST}?channel={channel}").context["cl"].result_list)
            for channel in ("rest", "nonsense\x00")
        }
        # An unknown value (a NUL, say, which PostgreSQL would refuse) filters nothing.
        assert by_channel == {"rest": 5, "nonsense\x00": 6}

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
        # session, user, count of the filtered rows, one page with tenant and user joined, date hierarchy,
        # and the operator's HTTP tools for the tool filter.
        with django_assert_max_num_queries(9):
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

    def test_exports_the_principal_key_last(self, admin_client, acme_admin):
        record_audit(acme_admin, api_key_id="5f2b9c0e7a4d1386")
        record_audit(acme_admin)  # the tenant key: no principal key

        rows = export(admin_client, AUDIT_LIST, select_across=True, ids=[AuditLog.objects.first().pk])

        assert list(rows[0])[-1] == "api_key_id"
        assert sorted(row["api_key_id"] for row in rows) == ["", "5f2b9c0e7a4d1386"]

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


def listed(response) -> list:
    return list(response.context["cl"].result_list)


@pytest.mark.django_db
class TestNewestFirst:
    """Rows are listed by when they happened, newest first, even when they were written out of order."""

    def test_audit_rows(self, admin_client, acme_admin):
        now = timezone.now()
        first = record_audit(acme_admin, created_at=now)
        backfilled = record_audit(acme_admin, created_at=now - timedelta(days=2))
        recent = record_audit(acme_admin, created_at=now - timedelta(hours=1))
        rows = listed(admin_client.get(AUDIT_LIST))
        assert [row.seq for row in rows] == [first, recent, backfilled]

    def test_usage_rows(self, admin_client, acme_admin):
        now = timezone.now()
        for hours_ago in (0, 48, 1):
            usage_record(tenant=acme_admin.tenant, user=acme_admin.user, tool_name="echo", units=hours_ago + 1,
                         request_id=uuid.uuid4(), created_at=now - timedelta(hours=hours_ago))  # fmt: skip
        rows = listed(admin_client.get(USAGE_LIST))
        assert [row.units for row in rows] == [1, 2, 49]


@pytest.mark.django_db
class TestSearch:
    """One term: a tenant name, a user email or a tool name (any part of it), or an exact id."""

    @pytest.mark.parametrize(
        ("term", "expected"),
        [
            ("glob", {"globex_echo"}),  # tenant name, any case
            ("ACME", {"acme_echo", "acme_summary", "acme_denied", "acme_error"}),  # tenant name, and acme emails
            ("member@acme", {"acme_denied"}),  # user email
            ("kpi_sum", {"acme_summary"}),  # tool name
            ("acme-echo", {"acme_echo"}),  # idempotency key, exactly
            ("acme-ech", set()),  # ...and only exactly
            ("nothing like it", set()),
        ],
    )
    def test_audit_log(self, admin_client, ledger, term, expected):
        # The fixture names each row by its tenant and its place in that tenant's chain.
        where = {name: ("Globex" if name.startswith("globex") else "Acme", seq) for name, seq in ledger.items()}
        found = {(row.tenant.name, row.seq) for row in listed(admin_client.get(AUDIT_LIST, {"q": term}))}
        assert found == {where[name] for name in expected}

    def test_a_tenant_name_of_several_words(self, admin_client, db):
        tenant, _ = make_tenant("Demo Co")
        user = baker.make(TenantUser, tenant=tenant, email="ops@demo.test", role=Role.ADMIN)
        record_audit(Actor(tenant, user, ""))
        assert [row.tenant.name for row in listed(admin_client.get(AUDIT_LIST, {"q": " demo co "}))] == ["Demo Co"]

    def test_a_user_id_that_named_nobody(self, admin_client, acme_admin):
        stranger = str(uuid.uuid4())
        record_audit(acme_admin, user=None, outcome="denied", status_code=403, error_code="user_not_found",
                     attempt=attempt(presented_user_id=stranger))  # fmt: skip
        record_audit(acme_admin)
        rows = listed(admin_client.get(AUDIT_LIST, {"q": stranger}))
        assert [row.presented_user_id for row in rows] == [stranger]

    def test_a_tenant_id(self, admin_client, ledger, outsider):
        rows = listed(admin_client.get(AUDIT_LIST, {"q": str(outsider.tenant.id)}))
        assert {row.tenant_id for row in rows} == {outsider.tenant.id}

    @pytest.mark.parametrize(
        ("term", "expected"),
        [("globex", {"Globex"}), ("admin@acme", {"Acme"}), ("ech", {"Acme", "Globex"}), ("kpi", set())],
    )
    def test_usage(self, admin_client, ledger, term, expected):
        assert {row.tenant.name for row in listed(admin_client.get(USAGE_LIST, {"q": term}))} == expected

    def test_usage_by_request_id(self, admin_client, ledger):
        wanted = UsageEvent.objects.filter(tenant__name="Globex").get().request_id
        assert [row.request_id for row in listed(admin_client.get(USAGE_LIST, {"q": str(wanted)}))] == [wanted]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def january(acme_admin):
    """Audit and usage rows either side of 2026-01-02 and 2026-01-31, UTC; the units say which."""
    moments = ["2026-01-01T23:59:59", "2026-01-02T00:00:00", "2026-01-31T23:59:59", "2026-02-01T00:00:00"]
    for units, moment in enumerate(moments, start=1):
        record_audit(acme_admin, units=units, created_at=at(moment))
        usage_record(tenant=acme_admin.tenant, user=acme_admin.user, tool_name="echo", units=units,
                     request_id=uuid.uuid4(), created_at=at(moment))  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("url", [AUDIT_LIST, USAGE_LIST])
class TestDateRange:
    """From and to are UTC dates, both included; either may be left out."""

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ({"created_at__from": "2026-01-02", "created_at__to": "2026-01-31"}, [3, 2]),
            ({"created_at__from": "2026-01-02"}, [4, 3, 2]),
            ({"created_at__to": "2026-01-01"}, [1]),
            ({"created_at__from": "2026-02-02"}, []),
            # Django's own links (Today, Past 7 days, ...) still filter by created_at__gte / __lt.
            ({"created_at__gte": "2026-01-31 00:00:00+00:00", "created_at__lt": "2026-02-01 00:00:00+00:00"}, [3]),
        ],
    )
    def test_the_range(self, admin_client, january, url, query, expected):
        assert [row.units for row in listed(admin_client.get(url, query))] == expected

    def test_a_value_that_is_no_date_is_ignored_and_said_so(self, admin_client, january, url):
        response = admin_client.get(url, {"created_at__from": "yesterday", "created_at__to": "2026-01-01"})
        assert response.status_code == 200
        assert [row.units for row in listed(response)] == [1]
        assert "Not a date (YYYY-MM-DD): ignored." in response.content.decode()

    def test_the_form_keeps_the_other_filters(self, admin_client, january, url, acme_admin):
        response = admin_client.get(url, {"tenant__id__exact": str(acme_admin.tenant.id), "q": "echo"})
        page = response.content.decode()
        assert f'<input type="hidden" name="tenant__id__exact" value="{acme_admin.tenant.id}">' in page
        assert '<input type="hidden" name="q" value="echo">' in page
        assert 'type="date" id="id_created_at__from" name="created_at__from"' in page


@pytest.mark.django_db
class TestTimesSayUtc:
    @pytest.mark.parametrize("url", [AUDIT_LIST, USAGE_LIST, reverse("admin:audit_auditseal_changelist")])
    def test_the_lists(self, admin_client, ledger, url):
        seal()
        page = admin_client.get(url).content.decode()
        assert "Time (UTC)" in page
        assert "By created at (UTC)" in page

    @pytest.mark.parametrize("model", [AuditLog, UsageEvent])
    def test_the_detail_pages(self, admin_client, ledger, model):
        row = model.objects.first()
        page = admin_client.get(reverse(f"admin:audit_{model._meta.model_name}_change", args=[row.pk])).content
        assert b"Time (UTC):" in page
        assert b"Created at" not in page


@pytest.mark.django_db
def test_a_rows_page_names_its_principal_key_after_the_key_fingerprint(admin_client, acme_admin):
    record_audit(acme_admin, api_key_id="5f2b9c0e7a4d1386", attempt=attempt(api_key_fingerprint="0123456789abcdef"))
    row = AuditLog.objects.get()

    page = admin_client.get(reverse("admin:audit_auditlog_change", args=[row.pk])).content.decode()

    fingerprint, key = page.index("0123456789abcdef"), page.index("Principal key:")
    assert fingerprint < key < page.index("5f2b9c0e7a4d1386") < page.index("Payload fingerprint:")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "page", ["admin:index", "admin:tenants_tenant_changelist", "admin:tenants_tenantuser_changelist"]
)
def test_every_console_page_says_its_times_are_utc(admin_client, ledger, page):
    """Pages whose columns do not say it themselves (tenants, users) say it in the header."""
    assert b'<span id="console-timezone" title="Every date and time in this console is UTC">Times in UTC</span>' in (
        admin_client.get(reverse(page)).content
    )


def column_headers(response) -> list[str]:
    headers = result_headers(response.context["cl"])
    return [str(header["text"]) for header in headers if "action-checkbox" not in header["class_attrib"]]


LONG_NAME = "Fuzz tenant " + "W" * 243


@pytest.fixture
def long_values(db):
    """What a fuzzer leaves behind: the longest names, emails, tool names and keys the columns hold."""
    tenant, api_key = make_tenant(LONG_NAME)
    user = baker.make(TenantUser, tenant=tenant, email="x" * 60 + "@" + "y" * 60 + ".test", role=Role.ADMIN)
    actor = Actor(tenant, user, api_key)
    visit = attempt(client_ip="2001:db8::1", user_agent="agent/" + "A" * 500)
    record_audit(actor, tool_name="W" * 100, outcome="error", status_code=422, error_code="E" * 64,
                 idempotency_key="K" * 255, attempt=visit)  # fmt: skip
    usage_record(tenant=tenant, user=user, tool_name="W" * 100, units=1, request_id=uuid.uuid4())
    seal()
    return actor


@pytest.mark.django_db
class TestListsFitTheScreen:
    """The columns an operator scans, each cut to a width (whole on hover); the rest on the row's page."""

    @pytest.mark.parametrize(
        ("url", "headers"),
        [
            (AUDIT_LIST, ["time (UTC)", "tenant", "user", "outcome", "tool", "status", "request id"]),
            (USAGE_LIST, ["time (UTC)", "tenant", "user", "tool", "units", "request id"]),
            (reverse("admin:audit_auditseal_changelist"), ["time (UTC)", "tenant", "seq", "rows", "seal hash"]),
        ],
    )
    def test_the_columns(self, admin_client, long_values, url, headers):
        assert column_headers(admin_client.get(url)) == headers

    @pytest.mark.parametrize(
        ("url", "width", "value"),
        [
            (AUDIT_LIST, 16, LONG_NAME),
            (AUDIT_LIST, 22, "x" * 60 + "@" + "y" * 60 + ".test"),
            (AUDIT_LIST, 12, "W" * 100),
            (AUDIT_LIST, 16, "422 " + "E" * 64),
            (USAGE_LIST, 16, LONG_NAME),
            (USAGE_LIST, 12, "W" * 100),
        ],
    )
    def test_long_values_are_cut_and_whole_on_hover(self, admin_client, long_values, url, width, value):
        page = admin_client.get(url).content.decode()
        assert f'<span class="gateway-cut" style="max-width: {width}ch" title="{value}">{value}</span>' in page

    def test_ids_and_hashes_are_cut_too(self, admin_client, long_values):
        row = AuditLog.objects.get()
        page = admin_client.get(AUDIT_LIST).content.decode()
        assert f'style="max-width: 9ch" title="{row.request_id}"' in page
        seal_row = AuditSeal.objects.get()
        seals = admin_client.get(reverse("admin:audit_auditseal_changelist")).content.decode()
        assert f'style="max-width: 13ch" title="{seal_row.seal_hash}"' in seals

    def test_the_rest_is_on_the_rows_page(self, admin_client, long_values):
        row = AuditLog.objects.get()
        listing = admin_client.get(AUDIT_LIST).content.decode()
        detail = admin_client.get(reverse("admin:audit_auditlog_change", args=[row.pk])).content.decode()
        for value in ("2001:db8::1", "agent/AAAA", "K" * 255):
            assert value not in listing
            assert value in detail

    def test_no_app_list_beside_the_page(self, admin_client, long_values):
        """Django's navigation sidebar took 300 of 1366 pixels from every list."""
        assert b'id="nav-sidebar"' not in admin_client.get(AUDIT_LIST).content

    @pytest.mark.parametrize("page", ["admin:tenants_tenant_changelist", "admin:tenants_tenantuser_changelist"])
    def test_lists_whose_admin_does_not_cut_get_titles_from_the_page(self, admin_client, long_values, page):
        """Tenants and gateway users: the stylesheet cuts their cells, console.js titles the cut ones."""
        assert b"gateway/console.js" in admin_client.get(reverse(page)).content


SEALS = reverse("admin:audit_auditseal_changelist")


@pytest.mark.django_db
class TestSealsPage:
    def test_with_no_seal_it_says_how_to_seal_and_that_it_belongs_in_cron(self, admin_client, ledger):
        page = admin_client.get(SEALS).content.decode()
        assert "<h2>No seal yet</h2>" in page
        assert "<code>manage.py seal_audit</code>" in page
        assert "It belongs in cron on one host" in page
        assert ".venv/bin/python manage.py seal_audit &gt;&gt;" in page

    def test_with_seals_a_line_says_where_they_come_from(self, admin_client, ledger, outsider):
        seal()
        # A filter that shows none is not "no seal yet".
        page = admin_client.get(SEALS, {"created_at__to": "2001-01-01"}).content.decode()
        assert "No seal yet" not in page
        assert "Seals are written by <code>manage.py seal_audit</code>, run from cron" in page


@pytest.mark.django_db
def test_every_outcome_has_its_own_colour_and_filter(admin_client, ledger, acme_admin):
    """`unknown` (sent upstream, unanswered) is shown and filtered like the others, in a colour of its own."""
    assert set(OUTCOME_COLOURS) == set(Outcome)
    assert len(set(OUTCOME_COLOURS.values())) == len(Outcome)
    record_audit(acme_admin, outcome="unknown", status_code=502, error_code="upstream_outcome_unknown")

    response = admin_client.get(AUDIT_LIST, {"outcome__exact": "unknown"})

    assert [row.error_code for row in response.context["cl"].result_list] == ["upstream_outcome_unknown"]
    assert f'<strong style="color: {OUTCOME_COLOURS[Outcome.UNKNOWN]}">unknown</strong>' in response.content.decode()
    assert 'href="?outcome__exact=unknown"' in admin_client.get(AUDIT_LIST).content.decode()
