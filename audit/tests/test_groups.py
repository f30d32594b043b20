"""Console staff who are not superusers: Auditors look and change nothing; Operators also manage
tenants, gateway users and KPIs (rotating keys included) and delete nothing. Both groups come from
a data migration (audit 0008) that is reversible and safe where the groups already exist."""

import importlib
import uuid
from datetime import timedelta

import pytest
from django.apps import apps as installed_apps
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse
from model_bakery import baker

from audit.models import AuditLog, AuditSeal, UsageEvent
from audit.services import usage_record
from audit.tests.helpers import migrated_back_to, record_audit, seal
from kpis.models import KpiDefinition
from tenants.models import Tenant, TenantUser
from tools.models import IdempotencyKey
from tools.tests.helpers import ECHO, make_claim

groups_migration = importlib.import_module("audit.migrations.0008_console_groups")
BEFORE_GROUPS = ("audit", "0007_ledger_time_and_id_indexes")
WITH_GROUPS = ("audit", "0008_console_groups")

# Every model of the console an auditor looks at, with the objects' primary keys the fixture makes.
CONSOLE_MODELS = [AuditLog, UsageEvent, AuditSeal, IdempotencyKey, Tenant, TenantUser, KpiDefinition]


def staff_in(group: str, client):
    member = User.objects.create_user(f"{group.lower()}-1", is_staff=True)
    member.groups.add(Group.objects.get(name=group))
    client.force_login(member)
    return client


@pytest.fixture
def console(acme_admin):
    """One row of each kind an operator sees in the console."""
    record_audit(acme_admin)
    usage_record(tenant=acme_admin.tenant, user=acme_admin.user, tool_name="echo", units=1, request_id=uuid.uuid4())
    seal()
    make_claim(acme_admin, key="k1", body=ECHO, locked_ago=timedelta(seconds=1), expires_in=timedelta(hours=1))
    baker.make(KpiDefinition, tenant=acme_admin.tenant, name="MRR", unit="GBP")
    return {model: model.objects.get().pk for model in CONSOLE_MODELS}


def offered_actions(client, model) -> set[str]:
    form = client.get(url(model, "changelist")).context["action_form"]
    return {name for name, _ in form.fields["action"].choices if name} if form else set()


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.django_db
class TestAuditors:
    @pytest.fixture
    def auditor(self, client):
        return staff_in("Auditors", client)

    @pytest.mark.parametrize("model", CONSOLE_MODELS, ids=lambda model: model._meta.label)
    def test_reach_every_list_and_detail_page_read_only(self, auditor, console, model):
        assert auditor.get(url(model, "changelist")).status_code == 200
        detail = auditor.get(url(model, "change", console[model]))
        assert detail.status_code == 200
        assert b'name="_save"' not in detail.content

    @pytest.mark.parametrize("model", CONSOLE_MODELS, ids=lambda model: model._meta.label)
    def test_reach_no_add_change_or_delete(self, auditor, console, model):
        assert auditor.get(url(model, "add")).status_code == 403
        assert auditor.post(url(model, "add"), {}).status_code == 403
        assert auditor.post(url(model, "change", console[model]), {}).status_code == 403
        assert auditor.get(url(model, "delete", console[model])).status_code == 403
        assert model.objects.filter(pk=console[model]).exists()

    def test_see_the_dashboard_and_export(self, auditor, console):
        assert auditor.get(reverse("admin-dashboard")).status_code == 200
        assert auditor.get(reverse("admin-dashboard"), {"export": "csv"}).status_code == 200
        assert offered_actions(auditor, AuditLog) == {"export_csv"}

    def test_may_not_rotate_or_suspend(self, auditor, console):
        assert offered_actions(auditor, Tenant) == set()

    def test_never_reach_staff_accounts(self, auditor, console):
        assert auditor.get(reverse("admin:auth_user_changelist")).status_code == 403
        assert auditor.get(reverse("admin:auth_group_changelist")).status_code == 403


@pytest.mark.django_db
class TestOperators:
    @pytest.fixture
    def operator(self, client):
        return staff_in("Operators", client)

    def test_change_a_tenant(self, operator, console, acme_admin):
        tenant = acme_admin.tenant
        response = operator.post(
            url(Tenant, "change", tenant.pk),
            {"name": "Acme Renamed", "region": tenant.region, "users-TOTAL_FORMS": "0", "users-INITIAL_FORMS": "0"},
        )
        assert response.status_code == 302
        assert Tenant.objects.get(pk=tenant.pk).name == "Acme Renamed"

    @pytest.mark.parametrize("model", [Tenant, TenantUser, KpiDefinition], ids=lambda model: model._meta.label)
    def test_add_and_change_tenants_users_and_kpis(self, operator, console, model):
        assert operator.get(url(model, "add")).status_code == 200
        assert b'name="_save"' in operator.get(url(model, "change", console[model])).content

    def test_may_rotate_keys(self, operator, console):
        assert "rotate_api_keys" in offered_actions(operator, Tenant)

    @pytest.mark.parametrize("model", CONSOLE_MODELS, ids=lambda model: model._meta.label)
    def test_delete_nothing(self, operator, console, model):
        assert operator.get(url(model, "delete", console[model])).status_code == 403
        assert operator.post(url(model, "delete", console[model]), {"post": "yes"}).status_code == 403
        assert model.objects.filter(pk=console[model]).exists()

    @pytest.mark.parametrize("model", [AuditLog, UsageEvent, AuditSeal, IdempotencyKey])
    def test_change_no_ledger_or_key(self, operator, console, model):
        assert operator.post(url(model, "change", console[model]), {}).status_code == 403


def permissions_of(name: str) -> set[str]:
    return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))


# What audit migration 0008 grants; tenants 0006 and 0008 add the principal keys' and tool policies', tools 0003
# the vault's, tools 0005 the HTTP tools'.
GROUPS_0008_AUDITOR = {"view_auditlog", "view_usageevent", "view_auditseal", "view_idempotencykey", "view_tenant",
                       "view_tenantuser", "view_kpidefinition"}  # fmt: skip
GROUPS_0008_OPERATOR = GROUPS_0008_AUDITOR | {"add_tenant", "change_tenant", "add_tenantuser", "change_tenantuser",
                                              "add_kpidefinition", "change_kpidefinition"}  # fmt: skip
AUDITOR_PERMISSIONS = GROUPS_0008_AUDITOR | {"view_principalkey", "view_toolpolicy", "view_vaultsecret",
                                             "view_httptool"}  # fmt: skip
OPERATOR_PERMISSIONS = GROUPS_0008_OPERATOR | {"view_principalkey", "add_principalkey", "change_principalkey",
                                               "view_toolpolicy", "add_toolpolicy", "change_toolpolicy",
                                               "delete_toolpolicy", "view_vaultsecret", "add_vaultsecret",
                                               "change_vaultsecret", "delete_vaultsecret", "view_httptool",
                                               "add_httptool", "change_httptool", "delete_httptool"}  # fmt: skip


@pytest.mark.django_db
def test_the_groups_hold_exactly_these_permissions():
    assert permissions_of("Auditors") == AUDITOR_PERMISSIONS
    assert permissions_of("Operators") == OPERATOR_PERMISSIONS


@pytest.mark.django_db(transaction=True)
def test_the_migration_reverses_and_runs_where_the_groups_exist():
    with migrated_back_to(BEFORE_GROUPS) as executor:
        assert not Group.objects.filter(name__in=["Auditors", "Operators"]).exists()

        # Made by hand before the migration ran, with a permission of its own.
        by_hand = Group.objects.create(name="Auditors")
        by_hand.permissions.add(Permission.objects.get(codename="view_user"))
        executor.loader.build_graph()
        executor.migrate([WITH_GROUPS])

        assert Group.objects.filter(name="Auditors").count() == 1
        assert permissions_of("Auditors") == GROUPS_0008_AUDITOR | {"view_user"}
        assert permissions_of("Operators") == GROUPS_0008_OPERATOR

        # And again, as a second run would: nothing doubles.
        groups_migration.create_groups(installed_apps, None)
        assert Group.objects.filter(name__in=["Auditors", "Operators"]).count() == 2
        assert permissions_of("Operators") == GROUPS_0008_OPERATOR
