import re
import uuid
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from model_bakery import baker

from audit.services import usage_record
from audit.tests.helpers import record_audit
from kpis.models import KpiDefinition
from tenants import admin as admin_module
from tenants.api_keys import api_key_matches
from tenants.models import Tenant, TenantUser
from tenants.services import tenant_suspend

TENANTS = reverse("admin:tenants_tenant_changelist")
KEY = re.compile(rb'<code class="api-key">(gwk_[A-Za-z0-9_-]+)</code>')


def rotate(*tenants, confirmed: bool) -> dict:
    """The changelist's POST of the rotate action; `confirmed` is the confirmation page's answer."""
    return {"action": "rotate_api_keys", "_selected_action": [str(tenant.pk) for tenant in tenants],
            **({"post": "yes"} if confirmed else {})}  # fmt: skip


@pytest.mark.django_db
class TestTenantAdmin:
    def test_lists_with_user_and_kpi_counts(self, admin_client, acme_admin, acme_member, outsider):
        baker.make(KpiDefinition, tenant=acme_admin.tenant, name="MRR")
        response = admin_client.get(TENANTS)

        counts = {tenant.name: (tenant.user_count, tenant.kpi_count) for tenant in response.context["cl"].result_list}
        assert counts == {"Acme": (2, 1), "Globex": (1, 0)}

    @pytest.mark.parametrize("query", ["acm", "ACME"])
    def test_search_by_name(self, admin_client, acme_admin, outsider, query):
        response = admin_client.get(TENANTS, {"q": query})
        assert [tenant.name for tenant in response.context["cl"].result_list] == ["Acme"]

    def test_search_by_id(self, admin_client, acme_admin, outsider):
        response = admin_client.get(TENANTS, {"q": str(outsider.tenant.id)})
        assert [tenant.name for tenant in response.context["cl"].result_list] == ["Globex"]

    def test_change_page_inlines_users(self, admin_client, acme_admin, acme_member):
        response = admin_client.get(reverse("admin:tenants_tenant_change", args=[acme_admin.tenant.pk]))
        assert b"admin@acme.test" in response.content
        assert b"member@acme.test" in response.content

    def test_rotating_shows_the_new_key_once_and_the_old_one_stops(self, admin_client, api, acme_admin):
        response = admin_client.post(TENANTS, rotate(acme_admin.tenant, confirmed=True))

        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        (new_key,) = KEY.findall(response.content)
        tenant = Tenant.objects.get(pk=acme_admin.tenant.pk)
        assert api_key_matches(new_key.decode(), tenant.api_key_digest)
        assert api.get("/v1/kpis", headers=acme_admin.headers()).status_code == 401
        assert api.get("/v1/kpis", headers=acme_admin.headers(**{"X-API-Key": new_key.decode()})).status_code == 200
        # The change page never shows a key or its digest.
        change = admin_client.get(reverse("admin:tenants_tenant_change", args=[tenant.pk]))
        assert new_key not in change.content
        assert tenant.api_key_digest.encode() not in change.content

    def test_adding_a_tenant_shows_its_key_once(self, admin_client, api, monkeypatch):
        created = []
        real_create = admin_module.tenant_create
        monkeypatch.setattr(
            admin_module, "tenant_create", lambda **fields: created.append(fields) or real_create(**fields)
        )
        response = admin_client.post(
            reverse("admin:tenants_tenant_add"),
            {"name": "Initech", "region": "eu", "rate_limit_per_minute": "50", "users-TOTAL_FORMS": "1",
             "users-INITIAL_FORMS": "0", "users-0-email": "ops@initech.test", "users-0-role": "admin"},
        )  # fmt: skip

        assert response.status_code == 200
        (key,) = KEY.findall(response.content)
        tenant = Tenant.objects.get(name="Initech")
        assert api_key_matches(key.decode(), tenant.api_key_digest)
        # Created by the one service every way of creating a tenant goes through, with its limits and users.
        assert [(fields["name"], fields["rate_limit_per_minute"]) for fields in created] == [("Initech", 50)]
        assert (tenant.limits.rate_limit_per_minute, [user.email for user in tenant.users.all()]) == (
            50,
            ["ops@initech.test"],
        )

    def test_tenants_cannot_be_deleted(self, admin_client, acme_admin):
        url = reverse("admin:tenants_tenant_delete", args=[acme_admin.tenant.pk])
        assert admin_client.post(url, {"post": "yes"}).status_code == 403
        assert Tenant.objects.filter(pk=acme_admin.tenant.pk).exists()


@pytest.mark.django_db
class TestUserAdmin:
    def test_filter_by_tenant_and_role(self, admin_client, acme_admin, acme_member, outsider):
        url = reverse("admin:tenants_tenantuser_changelist")
        by_role = admin_client.get(url, {"role__exact": "member"})
        assert [user.email for user in by_role.context["cl"].result_list] == ["member@acme.test"]
        by_tenant = admin_client.get(url, {"tenant__id__exact": str(outsider.tenant.id)})
        assert [user.email for user in by_tenant.context["cl"].result_list] == ["admin@globex.test"]

    def test_tenant_cannot_be_changed_once_set(self, admin_client, acme_member, outsider):
        url = reverse("admin:tenants_tenantuser_change", args=[acme_member.user.pk])
        admin_client.post(url, {"email": "member@acme.test", "role": "member", "tenant": str(outsider.tenant.pk)})
        assert TenantUser.objects.get(pk=acme_member.user.pk).tenant == acme_member.tenant

    def test_duplicate_email_is_a_form_error(self, admin_client, acme_admin):
        response = admin_client.post(
            reverse("admin:tenants_tenantuser_add"),
            {"email": "ADMIN@acme.test", "role": "member", "tenant": str(acme_admin.tenant.pk)},
        )
        assert response.status_code == 200
        assert TenantUser.objects.filter(tenant=acme_admin.tenant).count() == 1


@pytest.mark.django_db
class TestRotationIsConfirmedFirst:
    """Like Django's delete: the action first lists the tenants it would touch; only post=yes rotates."""

    def test_the_action_asks_first_listing_the_tenants_and_changes_nothing(self, admin_client, api, acme_admin,
                                                                          outsider):  # fmt: skip
        digests = dict(Tenant.objects.values_list("pk", "api_key_digest"))

        response = admin_client.post(TENANTS, rotate(acme_admin.tenant, outsider.tenant, confirmed=False))

        assert response.status_code == 200
        assert [tenant.name for tenant in response.context["tenants"]] == ["Acme", "Globex"]
        assert b'<input type="hidden" name="post" value="yes">' in response.content
        assert b'<input type="hidden" name="action" value="rotate_api_keys">' in response.content
        for tenant in (acme_admin.tenant, outsider.tenant):
            assert f'name="_selected_action" value="{tenant.pk}"'.encode() in response.content
        assert not KEY.findall(response.content)
        assert dict(Tenant.objects.values_list("pk", "api_key_digest")) == digests
        assert not LogEntry.objects.exists()
        assert api.get("/v1/kpis", headers=acme_admin.headers()).status_code == 200

    def test_confirming_rotates_only_the_listed_tenants(self, admin_client, api, acme_admin, outsider):
        response = admin_client.post(TENANTS, rotate(acme_admin.tenant, confirmed=True))

        (new_key,) = KEY.findall(response.content)
        assert api.get("/v1/kpis", headers=acme_admin.headers()).status_code == 401
        assert api.get("/v1/kpis", headers=acme_admin.headers(**{"X-API-Key": new_key.decode()})).status_code == 200
        assert api.get("/v1/kpis", headers=outsider.headers()).status_code == 200


@pytest.mark.django_db
class TestWhoMayRotate:
    def test_view_only_staff_cannot_rotate_or_see_a_key(self, client, api, acme_admin):
        viewer = User.objects.create_user("viewer", is_staff=True)
        viewer.user_permissions.add(Permission.objects.get(codename="view_tenant"))
        client.force_login(viewer)

        response = client.post(TENANTS, rotate(acme_admin.tenant, confirmed=True))

        assert not KEY.findall(response.content)
        assert api.get("/v1/kpis", headers=acme_admin.headers()).status_code == 200  # the old key still works

    def test_each_rotation_is_in_the_admin_log(self, admin_client, acme_admin):
        admin_client.post(TENANTS, rotate(acme_admin.tenant, confirmed=True))
        entry = LogEntry.objects.get(object_id=str(acme_admin.tenant.pk))
        assert entry.get_change_message() == "Rotated the API key."


@pytest.mark.django_db
class TestConsoleRefusesDuplicatesWithAMessage:
    def test_renaming_a_kpi_onto_another(self, admin_client, acme):
        tenant, _ = acme
        baker.make(KpiDefinition, tenant=tenant, name="MRR")
        churn = baker.make(KpiDefinition, tenant=tenant, name="Churn")

        response = admin_client.post(reverse("admin:kpis_kpidefinition_change", args=[churn.pk]), {"name": "MRR"})

        assert response.status_code == 200
        assert b"A KPI with this name already exists in this tenant." in response.content
        assert KpiDefinition.objects.get(pk=churn.pk).name == "Churn"

    def test_changing_an_email_onto_a_colleagues(self, admin_client, acme_admin, acme_member):
        url = reverse("admin:tenants_tenantuser_change", args=[acme_member.user.pk])
        response = admin_client.post(url, {"email": "ADMIN@acme.test", "role": "member"})

        assert response.status_code == 200
        assert b"A user with this email already exists in this tenant." in response.content

    def test_the_same_through_the_tenant_page(self, admin_client, acme_admin, acme_member):
        tenant = acme_admin.tenant
        response = admin_client.post(
            reverse("admin:tenants_tenant_change", args=[tenant.pk]),
            {
                "name": tenant.name, "region": tenant.region,
                "users-TOTAL_FORMS": "1", "users-INITIAL_FORMS": "1",
                "users-0-id": str(acme_member.user.pk), "users-0-tenant": str(tenant.pk),
                "users-0-email": "admin@ACME.test", "users-0-role": "member",
            },
        )  # fmt: skip
        assert response.status_code == 200
        assert b"A user with this email already exists in this tenant." in response.content


def inline_users(*rows: dict[str, str], initial: int = 0) -> dict[str, str]:
    """The tenant page's user rows as the browser posts them: existing rows first, with their id."""
    data = {"users-TOTAL_FORMS": str(len(rows)), "users-INITIAL_FORMS": str(initial)}
    for index, row in enumerate(rows):
        data.update({f"users-{index}-{name}": value for name, value in row.items()})
    return data


@pytest.mark.django_db
class TestInlineUsersSubmittedTogether:
    """Each inline row checked only the database, where rows posted together are not yet: two of them
    whose e-mails differ only in case passed the form and broke the constraint (a 500)."""

    MESSAGE = b"Another user on this page has this email."

    def test_two_new_users_of_a_new_tenant(self, admin_client):
        response = admin_client.post(
            reverse("admin:tenants_tenant_add"),
            {"name": "Initech", "region": "eu", **inline_users({"email": "ops@initech.test", "role": "admin"},
                                                               {"email": "OPS@Initech.test", "role": "member"})},
        )  # fmt: skip

        assert response.status_code == 200
        assert self.MESSAGE in response.content
        assert not Tenant.objects.filter(name="Initech").exists()
        assert not TenantUser.objects.exists()

    def test_two_new_users_of_an_existing_tenant(self, admin_client, acme_admin):
        tenant = acme_admin.tenant
        response = admin_client.post(
            reverse("admin:tenants_tenant_change", args=[tenant.pk]),
            {"name": tenant.name, "region": tenant.region, **inline_users(
                {"id": str(acme_admin.user.pk), "email": "admin@acme.test", "role": "admin"},
                {"email": "new@acme.test", "role": "member"},
                {"email": "New@ACME.test", "role": "member"},
                initial=1,
            )},
        )  # fmt: skip

        assert response.status_code == 200
        assert self.MESSAGE in response.content
        assert list(TenantUser.objects.values_list("email", flat=True)) == ["admin@acme.test"]

    def test_a_changed_user_and_a_new_one(self, admin_client, acme_admin, acme_member):
        tenant = acme_admin.tenant
        response = admin_client.post(
            reverse("admin:tenants_tenant_change", args=[tenant.pk]),
            {"name": tenant.name, "region": tenant.region, **inline_users(
                {"id": str(acme_admin.user.pk), "email": "admin@acme.test", "role": "admin"},
                {"id": str(acme_member.user.pk), "email": "ana@acme.test", "role": "member"},
                {"email": "ANA@acme.test", "role": "member"},
                initial=2,
            )},
        )  # fmt: skip

        assert response.status_code == 200
        assert self.MESSAGE in response.content
        assert TenantUser.objects.get(pk=acme_member.user.pk).email == "member@acme.test"
        assert TenantUser.objects.count() == 2

    def test_different_emails_are_all_saved(self, admin_client, acme_admin):
        tenant = acme_admin.tenant
        admin_client.post(
            reverse("admin:tenants_tenant_change", args=[tenant.pk]),
            {"name": tenant.name, "region": tenant.region, **inline_users(
                {"id": str(acme_admin.user.pk), "email": "admin@acme.test", "role": "admin"},
                {"email": "ana@acme.test", "role": "member"},
                {"email": "bo@acme.test", "role": "member"},
                initial=1,
            )},
        )  # fmt: skip
        assert sorted(TenantUser.objects.values_list("email", flat=True)) == [
            "admin@acme.test", "ana@acme.test", "bo@acme.test"
        ]  # fmt: skip


@pytest.mark.django_db
class TestEmailsCompareAsTheConstraintDoes:
    """The constraint compares LOWER(email), which on PostgreSQL folds letters Python's lower() and
    the old UPPER-based iexact check do not fold alike ('İ' lowers to 'i'); SQLite folds only ASCII.
    Whatever the database decides, the console answers with the form, never a 500."""

    def test_against_a_saved_user(self, admin_client, acme_admin, acme_member):
        url = reverse("admin:tenants_tenantuser_change", args=[acme_member.user.pk])
        response = admin_client.post(url, {"email": "adm\u0130n@acme.test", "role": "member"})

        if connection.vendor == "postgresql":
            assert response.status_code == 200
            assert b"A user with this email already exists in this tenant." in response.content
            assert TenantUser.objects.get(pk=acme_member.user.pk).email == "member@acme.test"
        else:
            assert response.status_code == 302
            assert TenantUser.objects.get(pk=acme_member.user.pk).email == "adm\u0130n@acme.test"

    def test_between_rows_posted_together(self, admin_client, acme_admin):
        tenant = acme_admin.tenant
        response = admin_client.post(
            reverse("admin:tenants_tenant_change", args=[tenant.pk]),
            {"name": tenant.name, "region": tenant.region, **inline_users(
                {"id": str(acme_admin.user.pk), "email": "admin@acme.test", "role": "admin"},
                {"email": "kim@acme.test", "role": "member"},
                {"email": "K\u0130M@acme.test", "role": "member"},
                initial=1,
            )},
        )  # fmt: skip

        if connection.vendor == "postgresql":
            assert response.status_code == 200
            assert TestInlineUsersSubmittedTogether.MESSAGE in response.content
            assert TenantUser.objects.count() == 1
        else:
            assert response.status_code == 302
            assert TenantUser.objects.count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/admin/audit/auditlog/?tool=%00", "/admin/audit/auditlog/?q=%00", "/admin/tenants/tenant/?q=a%00b"]
)
def test_nul_in_filters_and_search_is_not_a_database_error(admin_client, acme_admin, url):
    assert admin_client.get(url).status_code == 200


def meter(actor, tool_name: str, units: int, *, days_ago: float = 0) -> None:
    usage_record(tenant=actor.tenant, user=actor.user, tool_name=tool_name, units=units, request_id=uuid.uuid4(),
                 created_at=timezone.now() - timedelta(days=days_ago))  # fmt: skip


def hub_links(response) -> dict[str, str]:
    return {link.label: link.url for link in response.context["hub"].links}


@pytest.mark.django_db
class TestTenantHub:
    """A tenant's change page links to everything of the tenant's, and shows what it used in 30 days."""

    def change_page(self, client, tenant):
        return client.get(reverse("admin:tenants_tenant_change", args=[tenant.pk]))

    def test_links_open_the_dashboard_and_lists_filtered_to_the_tenant(self, admin_client, acme_admin, outsider):
        for actor in (acme_admin, outsider):
            record_audit(actor, metered=True)
            baker.make(KpiDefinition, tenant=actor.tenant, name=f"MRR of {actor.tenant.name}")
        response = self.change_page(admin_client, acme_admin.tenant)

        links = hub_links(response)
        assert list(links) == ["Dashboard", "Audit log", "Usage", "KPIs", "Users", "API keys"]
        for url in links.values():
            assert f'href="{url}"'.replace("&", "&amp;").encode() in response.content
        tenant_id = str(acme_admin.tenant.pk)
        assert links["Dashboard"] == f"/admin/dashboard/?tenant={tenant_id}"
        assert admin_client.get(links["Dashboard"]).context["dashboard"].tenant == acme_admin.tenant
        for label in ("Audit log", "Usage", "KPIs", "Users"):
            rows = admin_client.get(links[label]).context["cl"].result_list
            assert {row.tenant_id for row in rows} == {acme_admin.tenant.pk}, label

    def test_shows_usage_of_the_last_30_days_by_tool(self, admin_client, acme_admin, acme_member, outsider):
        meter(acme_admin, "echo", 1)
        meter(acme_member, "echo", 1, days_ago=29)
        meter(acme_admin, "kpi_summary", 3)
        meter(acme_admin, "kpi_summary", 50, days_ago=31)  # too old
        meter(outsider, "echo", 70)  # another tenant's

        response = self.change_page(admin_client, acme_admin.tenant)

        usage = response.context["hub"].usage
        assert [(tool.key, tool.invocations, tool.units) for tool in usage.groups] == [
            ("kpi_summary", 1, 3), ("echo", 2, 2)
        ]  # fmt: skip
        assert (usage.invocations, usage.units) == (3, 5)
        table = response.content.split(b'id="tenant-usage"')[1].split(b"</table>")[0]
        assert b"<td>kpi_summary</td><td>1</td><td>3</td>" in table
        assert b'<th scope="row">All tools</th><td>3</td><td>5</td>' in table

    def test_nothing_metered_says_so(self, admin_client, acme_admin):
        response = self.change_page(admin_client, acme_admin.tenant)
        assert b"Nothing metered in the last 30 days." in response.content

    def test_the_add_page_has_no_hub(self, admin_client):
        response = admin_client.get(reverse("admin:tenants_tenant_add"))
        assert "hub" not in response.context
        assert b"tenant-hub" not in response.content

    def test_staff_see_only_the_links_they_may_open(self, client, acme_admin):
        viewer = User.objects.create_user("viewer", is_staff=True)
        viewer.user_permissions.add(*Permission.objects.filter(codename__in=["view_tenant", "view_tenantuser"]))
        client.force_login(viewer)

        response = self.change_page(client, acme_admin.tenant)

        assert list(hub_links(response)) == ["Users"]
        assert response.context["hub"].usage is None
        assert b"tenant-usage" not in response.content

    def test_query_count_does_not_grow_with_the_tenant(self, admin_client, acme_admin, django_assert_max_num_queries):
        tenant = acme_admin.tenant
        for index in range(12):
            meter(acme_admin, f"tool_{index}", index + 1)
            baker.make(TenantUser, tenant=tenant, email=f"user{index}@acme.test")
            baker.make(KpiDefinition, tenant=tenant, name=f"KPI {index}")

        # 1 session, 2 staff user, 3 the tenant with its counts and limits, 4 its users (inline), 5 usage by tool
        with django_assert_max_num_queries(5):
            response = self.change_page(admin_client, tenant)

        assert len(hub_links(response)) == 6
        assert len(response.context["hub"].usage.groups) == 12


def tenant_action(action: str, *tenants, confirmed: bool, **extra: str) -> dict:
    return {"action": action, "_selected_action": [str(tenant.pk) for tenant in tenants],
            **({"post": "yes"} if confirmed else {}), **extra}  # fmt: skip


@pytest.mark.django_db
class TestSuspensionFromTheConsole:
    def test_suspending_asks_first_and_changes_nothing(self, admin_client, api, acme_admin, outsider):
        response = admin_client.post(
            TENANTS, tenant_action("suspend_tenants", acme_admin.tenant, outsider.tenant, confirmed=False)
        )

        assert response.status_code == 200
        assert [tenant.name for tenant in response.context["tenants"]] == ["Acme", "Globex"]
        assert b'<input type="hidden" name="action" value="suspend_tenants">' in response.content
        assert b'name="reason"' in response.content
        assert not Tenant.objects.filter(suspended_at__isnull=False).exists()
        assert not LogEntry.objects.exists()
        assert api.get("/v1/kpis", headers=acme_admin.headers()).status_code == 200

    def test_confirmed_it_suspends_and_logs_who_and_why(self, admin_client, admin_user, api, acme_admin, outsider):
        response = admin_client.post(
            TENANTS, tenant_action("suspend_tenants", acme_admin.tenant, confirmed=True, reason="unpaid invoices")
        )

        assert response.status_code == 302
        tenant = Tenant.objects.get(pk=acme_admin.tenant.pk)
        assert tenant.is_suspended
        assert tenant.suspension_reason == "unpaid invoices"
        entry = LogEntry.objects.get(object_id=str(tenant.pk))
        assert (entry.user, entry.get_change_message()) == (admin_user, "Suspended: unpaid invoices")
        assert api.get("/v1/kpis", headers=acme_admin.headers()).json()["code"] == "tenant_suspended"
        assert api.get("/v1/kpis", headers=outsider.headers()).status_code == 200

    def test_suspending_a_suspended_tenant_keeps_its_first_suspension(self, admin_client, acme_admin):
        tenant_suspend(tenant=acme_admin.tenant, reason="first")
        since = Tenant.objects.get(pk=acme_admin.tenant.pk).suspended_at

        admin_client.post(TENANTS, tenant_action("suspend_tenants", acme_admin.tenant, confirmed=True, reason="2nd"))

        tenant = Tenant.objects.get(pk=acme_admin.tenant.pk)
        assert (tenant.suspended_at, tenant.suspension_reason) == (since, "first")
        assert not LogEntry.objects.exists()

    def test_reinstating_asks_first_then_serves_the_same_key_again(self, admin_client, admin_user, api, acme_admin):
        tenant_suspend(tenant=acme_admin.tenant)

        asked = admin_client.post(TENANTS, tenant_action("reinstate_tenants", acme_admin.tenant, confirmed=False))
        assert [tenant.name for tenant in asked.context["tenants"]] == ["Acme"]
        assert Tenant.objects.get(pk=acme_admin.tenant.pk).is_suspended

        admin_client.post(TENANTS, tenant_action("reinstate_tenants", acme_admin.tenant, confirmed=True))

        assert not Tenant.objects.get(pk=acme_admin.tenant.pk).is_suspended
        entry = LogEntry.objects.get(object_id=str(acme_admin.tenant.pk))
        assert (entry.user, entry.get_change_message()) == (admin_user, "Reinstated.")
        assert api.get("/v1/kpis", headers=acme_admin.headers()).status_code == 200

    def test_view_only_staff_cannot_suspend(self, client, api, acme_admin):
        viewer = User.objects.create_user("viewer", is_staff=True)
        viewer.user_permissions.add(Permission.objects.get(codename="view_tenant"))
        client.force_login(viewer)

        client.post(TENANTS, tenant_action("suspend_tenants", acme_admin.tenant, confirmed=True))

        assert not Tenant.objects.get(pk=acme_admin.tenant.pk).is_suspended
        assert api.get("/v1/kpis", headers=acme_admin.headers()).status_code == 200

    def test_the_tenant_list_filters_and_shows_suspended_tenants(self, admin_client, acme_admin, outsider):
        tenant_suspend(tenant=outsider.tenant)

        listed = {
            status: [tenant.name for tenant in admin_client.get(TENANTS, query).context["cl"].result_list]
            for status, query in {
                "all": {},
                "active": {"status": "active"},
                "suspended": {"status": "suspended"},
            }.items()
        }

        assert listed == {"all": ["Acme", "Globex"], "active": ["Acme"], "suspended": ["Globex"]}
        assert b"Suspended since (UTC)" in admin_client.get(TENANTS).content

    def test_the_change_page_says_it_is_suspended_and_why(self, admin_client, acme_admin):
        tenant_suspend(tenant=acme_admin.tenant, reason="unpaid invoices")
        response = admin_client.get(reverse("admin:tenants_tenant_change", args=[acme_admin.tenant.pk]))

        notice = response.content.split(b'id="tenant-suspended">')[1].split(b"</p>")[0]
        assert b"Suspended since" in notice
        assert b"unpaid invoices" in notice

    def test_suspension_cannot_be_edited_on_the_change_page(self, admin_client, acme_admin):
        tenant = acme_admin.tenant
        admin_client.post(
            reverse("admin:tenants_tenant_change", args=[tenant.pk]),
            {"name": tenant.name, "region": tenant.region, "suspended_at_0": "2026-01-01", "suspended_at_1": "00:00",
             "suspension_reason": "typed in", **inline_users()},
        )  # fmt: skip
        assert not Tenant.objects.get(pk=tenant.pk).is_suspended
