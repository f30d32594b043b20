"""Bootstrap commands as an operator runs them: JSON on success, one-line reasons and exit codes on bad input."""

import argparse
import io
import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command, get_commands, load_command_class
from django.db.models import Max, Min
from django.utils import timezone

from audit.models import AuditLog, AuditSeal, UsageEvent
from audit.tests.helpers import record_audit, tamper
from conftest import make_tenant
from kpis.models import KpiPoint
from kpis.services import kpi_create, points_ingest
from tenants.api_keys import api_key_matches
from tenants.models import Role, Tenant, TenantUser
from tenants.tests.helpers import failed, succeeded


class TestCreateTenant:
    def test_prints_the_tenant_and_its_key(self, manage, api):
        created = succeeded(manage("create_tenant", "--name", "Acme", "--region", "eu-west-1"))

        assert set(created) == {"tenant_id", "name", "region", "api_key", "admin_user_id"}
        assert created["admin_user_id"] is None
        tenant = Tenant.objects.get(pk=created["tenant_id"])
        assert (tenant.name, tenant.region) == ("Acme", "eu-west-1")
        assert api_key_matches(created["api_key"], tenant.api_key_digest)

    def test_with_an_admin_the_key_works_at_once(self, manage, api):
        created = succeeded(
            manage("create_tenant", "--name", "Acme", "--region", "eu", "--admin-email", "Ops@ACME.test")
        )

        admin = TenantUser.objects.get(pk=created["admin_user_id"])
        assert (admin.email, admin.role) == ("Ops@acme.test", Role.ADMIN)
        headers = {
            "X-Tenant-ID": created["tenant_id"],
            "X-User-ID": created["admin_user_id"],
            "X-API-Key": created["api_key"],
        }
        assert api.get("/v1/kpis", headers=headers).status_code == 200

    @pytest.mark.parametrize(
        ("args", "reason"),
        [
            (["--name", "", "--region", "eu"], "CommandError: name: This field may not be blank."),
            (
                ["--name", "x" * 256, "--region", "eu"],
                "CommandError: name: Ensure this field has no more than 255 characters.",
            ),
            (
                ["--name", "Acme", "--region", "r" * 51],
                "CommandError: region: Ensure this field has no more than 50 characters.",
            ),
            (
                ["--name", "Acme", "--region", "eu", "--admin-email", "nope"],
                "CommandError: email: Enter a valid email address.",
            ),
        ],
    )
    def test_invalid_values_exit_1_and_create_nothing(self, manage, args, reason):
        assert failed(manage("create_tenant", *args), 1) == reason
        assert not Tenant.objects.exists()

    @pytest.mark.parametrize(
        "args", [["--region", "eu"], ["--name", "Acme"], ["--name", "Acme", "--region", "eu", "--color", "red"]]
    )
    def test_malformed_arguments_exit_2(self, manage, args):
        assert "error:" in failed(manage("create_tenant", *args), 2)
        assert not Tenant.objects.exists()

    @pytest.mark.parametrize("name", ["Acme", "ACME", "acme"])
    def test_a_name_another_tenant_has_is_refused_ignoring_case(self, manage, acme, name):
        existing, _ = acme
        reason = failed(manage("create_tenant", "--name", name, "--region", "eu"), 1)

        assert reason == (
            f"CommandError: A tenant named 'Acme' already exists ({existing.id}); "
            "pass --allow-duplicate-name to create another"
        )
        assert list(Tenant.objects.values_list("name", flat=True)) == ["Acme"]

    def test_allow_duplicate_name_creates_a_second_tenant_of_that_name(self, manage, acme):
        existing, _ = acme
        created = succeeded(manage("create_tenant", "--name", "acme", "--region", "eu", "--allow-duplicate-name"))

        assert created["tenant_id"] != str(existing.id)
        assert sorted(Tenant.objects.values_list("name", flat=True)) == ["Acme", "acme"]

    def test_a_different_name_is_not_a_duplicate(self, manage, acme):
        succeeded(manage("create_tenant", "--name", "Acme Labs", "--region", "eu"))
        assert Tenant.objects.count() == 2


class TestCreateUser:
    def test_adds_a_user(self, manage, acme):
        tenant, _ = acme
        created = succeeded(
            manage("create_user", "--tenant", str(tenant.id), "--email", "bob@acme.test", "--role", "member")
        )

        assert created == {
            "user_id": created["user_id"],
            "tenant_id": str(tenant.id),
            "email": "bob@acme.test",
            "role": "member",
        }
        assert TenantUser.objects.get(pk=created["user_id"]).tenant == tenant

    def test_duplicate_email_exits_1(self, manage, acme_admin):
        result = manage(
            "create_user", "--tenant", str(acme_admin.tenant.id), "--email", "ADMIN@acme.test", "--role", "admin"
        )
        assert failed(result, 1) == "CommandError: User with email 'ADMIN@acme.test' already exists in this tenant"

    @pytest.mark.parametrize("tenant_id", ["nope", str(uuid.uuid4())])
    def test_unknown_tenant_exits_1(self, manage, db, tenant_id):
        result = manage("create_user", "--tenant", tenant_id, "--email", "a@b.test", "--role", "admin")
        assert failed(result, 1) == f"CommandError: Tenant '{tenant_id}' not found"

    def test_invalid_email_exits_1(self, manage, acme):
        tenant, _ = acme
        result = manage("create_user", "--tenant", str(tenant.id), "--email", "not-an-email", "--role", "admin")
        assert failed(result, 1) == "CommandError: email: Enter a valid email address."

    def test_unknown_role_exits_2(self, manage, acme):
        tenant, _ = acme
        result = manage("create_user", "--tenant", str(tenant.id), "--email", "a@b.test", "--role", "owner")
        assert "invalid choice: 'owner'" in failed(result, 2)


class TestRotateApiKey:
    def test_the_old_key_stops_working_at_once(self, manage, api, acme_admin):
        rotated = succeeded(manage("rotate_api_key", "--tenant", str(acme_admin.tenant.id)))

        assert rotated["tenant_id"] == str(acme_admin.tenant.id)
        assert rotated["api_key"] != acme_admin.api_key
        assert api.get("/v1/kpis", headers=acme_admin.headers()).status_code == 401
        assert api.get("/v1/kpis", headers=acme_admin.headers(**{"X-API-Key": rotated["api_key"]})).status_code == 200

    def test_unknown_tenant_exits_1(self, manage, db):
        assert failed(manage("rotate_api_key", "--tenant", "nope"), 1) == "CommandError: Tenant 'nope' not found"

    def test_missing_tenant_exits_2(self, manage, db):
        assert "--tenant" in failed(manage("rotate_api_key"), 2)


class TestSuspendAndReinstate:
    def test_suspend_prints_json_and_the_tenant_is_refused(self, manage, api, acme_admin):
        result = succeeded(manage("suspend_tenant", "--tenant", str(acme_admin.tenant.id), "--reason", "unpaid"))

        tenant = Tenant.objects.get(pk=acme_admin.tenant.pk)
        assert result == {
            "tenant_id": str(tenant.id),
            "name": "Acme",
            "suspended": True,
            "suspended_at": tenant.suspended_at.isoformat(),
            "reason": "unpaid",
            "changed": True,
        }
        assert tenant.suspension_reason == "unpaid"
        assert api.get("/v1/kpis", headers=acme_admin.headers()).json()["code"] == "tenant_suspended"

    def test_suspending_again_changes_nothing(self, manage, acme):
        tenant, _ = acme
        first = succeeded(manage("suspend_tenant", "--tenant", str(tenant.id)))
        again = succeeded(manage("suspend_tenant", "--tenant", str(tenant.id), "--reason", "later"))

        assert again == {**first, "changed": False}

    def test_reinstate_prints_json_and_the_same_key_works_again(self, manage, api, acme_admin):
        succeeded(manage("suspend_tenant", "--tenant", str(acme_admin.tenant.id)))
        result = succeeded(manage("reinstate_tenant", "--tenant", str(acme_admin.tenant.id)))

        assert result == {"tenant_id": str(acme_admin.tenant.id), "name": "Acme", "suspended": False, "changed": True}
        assert api.get("/v1/kpis", headers=acme_admin.headers()).status_code == 200
        again = succeeded(manage("reinstate_tenant", "--tenant", str(acme_admin.tenant.id)))
        assert again["changed"] is False

    @pytest.mark.parametrize("command", ["suspend_tenant", "reinstate_tenant"])
    def test_unknown_tenant_exits_1_and_missing_tenant_exits_2(self, manage, db, command):
        assert failed(manage(command, "--tenant", "nope"), 1) == "CommandError: Tenant 'nope' not found"
        assert "--tenant" in failed(manage(command), 2)

    def test_a_reason_over_255_characters_exits_1_and_suspends_nothing(self, manage, acme):
        tenant, _ = acme
        result = manage("suspend_tenant", "--tenant", str(tenant.id), "--reason", "x" * 256)

        assert failed(result, 1) == "CommandError: reason: Ensure this field has no more than 255 characters."
        assert not Tenant.objects.get(pk=tenant.pk).is_suspended

    def test_create_tenant_refuses_the_name_of_a_suspended_tenant(self, manage, acme):
        tenant, _ = acme
        succeeded(manage("suspend_tenant", "--tenant", str(tenant.id)))
        assert "already exists" in failed(manage("create_tenant", "--name", "acme", "--region", "eu"), 1)


class TestPurgeAndVerifyFromTheShell:
    def test_purge_prints_json(self, manage):
        assert succeeded(manage("purge_idempotency_keys")) == {"removed": 0}

    def test_purge_rejects_bad_hours(self, manage):
        assert failed(manage("purge_idempotency_keys", "--older-than-hours", "-3"), 1).endswith("between 0 and 876000")
        assert "invalid int value" in failed(manage("purge_idempotency_keys", "--older-than-hours", "soon"), 2)

    def test_verify_audit_exit_codes(self, manage, acme_admin):
        record_audit(acme_admin, metered=True)
        record_audit(acme_admin, metered=True)
        assert succeeded(manage("verify_audit"))["intact"] is True

        tamper("UPDATE audit_logs SET tool_name = 'forged' WHERE seq = 2")
        result = manage("verify_audit")
        assert result.returncode == 1
        assert json.loads(result.stdout)["first_break"]["seq"] == 2
        assert result.stderr.strip() == (
            f"Audit chain broken: tenant {acme_admin.tenant.id}, seq 2: row 2 does not match its HMAC"
        )

    @pytest.mark.parametrize("tenant_id", ["nope", str(uuid.uuid4())], ids=["malformed", "unknown"])
    def test_verify_audit_exits_2_for_an_unknown_tenant(self, manage, acme_admin, tenant_id):
        # 1 is kept for a broken chain, which a monitor pages on; a typo is not tampering.
        assert (
            failed(manage("verify_audit", "--tenant", tenant_id), 2) == f"CommandError: Tenant '{tenant_id}' not found"
        )

    @pytest.mark.parametrize("args", [["--tenant"], ["--color", "red"], ["extra"]])
    def test_verify_audit_exits_2_for_bad_arguments(self, manage, args):
        assert "error:" in failed(manage("verify_audit", *args), 2)

    def test_verify_audit_exits_3_when_the_database_cannot_be_read(self, tmp_path):
        # Before, the traceback of an unreadable database exited 1: "broken", to a monitor.
        unreadable = f"sqlite:///{tmp_path / 'missing-directory' / 'db.sqlite3'}"
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "gateway_project.test_settings", "DATABASE_URL": unreadable}
        result = subprocess.run(
            [sys.executable, "manage.py", "verify_audit"], cwd=settings.BASE_DIR, env=env, capture_output=True,
            text=True, timeout=60,
        )  # fmt: skip

        assert failed(result, 3).startswith("CommandError: Could not verify the audit ledger: ")


DEMO_NAMES = ["Demo Co", "Globex", "Initech"]
YEAR_OF_POINTS = 3 * 3 * 365 * 24  # three tenants, three KPIs, hourly


def demo_rows(model) -> int:
    return model.objects.filter(tenant__name__in=DEMO_NAMES).count()


def seed_in_process(*args: str) -> dict:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return json.loads(out.getvalue())


class TestSeedDemo:
    def test_seeds_tenants_points_and_a_verifiable_month_of_invocations(self, manage, api):
        seeded = succeeded(manage("seed_demo", "--invocations", "300"))

        assert [tenant["name"] for tenant in seeded["tenants"]] == DEMO_NAMES
        assert all(tenant["created"] for tenant in seeded["tenants"])
        assert seeded["invocations"] == AuditLog.objects.count() == 300
        assert 0 < UsageEvent.objects.count() < 300
        assert set(AuditLog.objects.values_list("outcome", flat=True)) == {"success", "error", "denied"}
        assert seeded["kpi_points"] == KpiPoint.objects.count() == YEAR_OF_POINTS
        assert succeeded(manage("verify_audit"))["intact"] is True
        headers = {
            "X-Tenant-ID": seeded["demo_tenant_id"],
            "X-User-ID": seeded["demo_admin_user_id"],
            "X-API-Key": seeded["demo_api_key"],
        }
        assert len(api.get("/v1/kpis", headers=headers).json()) == 3

    def test_a_second_run_tops_up_instead_of_failing_or_duplicating(self, manage):
        first = succeeded(manage("seed_demo", "--invocations", "0"))
        second = succeeded(manage("seed_demo", "--invocations", "300"))

        assert [t["tenant_id"] for t in second["tenants"]] == [t["tenant_id"] for t in first["tenants"]]
        assert [t["created"] for t in second["tenants"]] == [False, False, False]
        assert second["demo_api_key"] is None  # only its digest is stored: shown once, when created
        assert second["demo_admin_user_id"] == first["demo_admin_user_id"]
        assert sorted(Tenant.objects.values_list("name", flat=True)) == DEMO_NAMES
        assert TenantUser.objects.count() == 9
        # No demo invocation yet: the top-up fills the whole month; points only for hours since the first run.
        assert second["invocations"] == AuditLog.objects.count() == 300
        assert KpiPoint.objects.count() == YEAR_OF_POINTS + second["kpi_points"]
        assert succeeded(manage("verify_audit"))["intact"] is True

    @pytest.mark.django_db
    def test_a_top_up_fills_only_the_time_since_the_last_demo_invocation(self):
        now = timezone.now()
        with mock.patch("django.utils.timezone.now", return_value=now - timedelta(days=10)):
            seed_in_process("--invocations", "300")
        before = AuditLog.objects.aggregate(last=Max("created_at"), last_id=Max("id"))
        with mock.patch("django.utils.timezone.now", return_value=now):
            topped = seed_in_process("--invocations", "300")

        # 300 a month: the ten days since, and the little between the last invocation and then, hold ~100.
        assert 100 <= topped["invocations"] <= 110
        added = AuditLog.objects.filter(id__gt=before["last_id"])
        assert added.count() == topped["invocations"]
        assert added.aggregate(first=Min("created_at"))["first"] > before["last"]  # each chain runs forward in time
        assert topped["kpi_points"] == KpiPoint.objects.count() - YEAR_OF_POINTS == 9 * 10 * 24  # 240 hours each
        out = io.StringIO()
        call_command("verify_audit", stdout=out)
        assert json.loads(out.getvalue())["intact"] is True

    def test_reset_removes_only_the_demo_tenants_and_their_data(self, manage, acme_admin):
        for _ in range(2):
            record_audit(acme_admin, metered=True)
        kpi = kpi_create(tenant=acme_admin.tenant, name="MRR")
        points_ingest(kpi=kpi, points=[(timezone.now().replace(microsecond=0), 1.0)])
        acme_hashes = list(AuditLog.objects.filter(tenant=acme_admin.tenant).values_list("row_hash", flat=True))
        first = succeeded(manage("seed_demo", "--invocations", "50"))
        succeeded(manage("seal_audit"))
        demo_usage = demo_rows(UsageEvent)

        reset = succeeded(manage("seed_demo", "--reset", "--invocations", "20"))

        assert reset["removed"]["tenants"] == DEMO_NAMES
        removed = reset["removed"]["rows"]
        assert (removed["audit_logs"], removed["audit_seals"], removed["gateway_tenants"]) == (50, 3, 3)
        assert (removed["gateway_users"], removed["kpi_definitions"], removed["kpi_points"]) == (9, 9, YEAR_OF_POINTS)
        assert removed["usage_events"] == demo_usage > 0
        # New demo tenants, freshly seeded; Acme exactly as it was.
        assert {t["tenant_id"] for t in reset["tenants"]}.isdisjoint({t["tenant_id"] for t in first["tenants"]})
        assert demo_rows(AuditLog) == 20 and demo_rows(AuditSeal) == 0
        assert list(AuditLog.objects.filter(tenant=acme_admin.tenant).values_list("row_hash", flat=True)) == (
            acme_hashes
        )
        assert UsageEvent.objects.filter(tenant=acme_admin.tenant).count() == 2
        assert KpiPoint.objects.filter(tenant=acme_admin.tenant).count() == 1
        assert AuditSeal.objects.filter(tenant=acme_admin.tenant).count() == 1
        # The ledgers are locked again: verify_audit fails while an unlock is committed.
        report = succeeded(manage("verify_audit"))
        assert (report["intact"], report["triggers_unlocked"]) == (True, False)

    def test_a_tenant_of_a_demo_name_that_is_not_demo_data_is_left_alone(self, manage, db):
        real, _ = make_tenant("globex")
        assert failed(manage("seed_demo"), 1) == (
            "CommandError: A tenant named 'Globex' exists and is not demo data: seed_demo would add a second one"
        )
        assert list(Tenant.objects.values_list("name", flat=True)) == ["globex"]
        # --reset neither takes it for demo data nor leaves the demo half removed.
        assert failed(manage("seed_demo", "--reset"), 1).startswith("CommandError: A tenant named 'Globex' exists")
        assert list(Tenant.objects.values_list("pk", flat=True)) == [real.pk]

    def test_a_failed_reset_keeps_the_old_demo(self, manage, db):
        first = succeeded(manage("seed_demo", "--invocations", "10"))
        make_tenant("INITECH")  # after the demo: a second run would now make a second Initech
        assert failed(manage("seed_demo", "--reset"), 1).startswith("CommandError: A tenant named 'Initech' exists")
        assert {str(pk) for pk in Tenant.objects.filter(name__in=DEMO_NAMES).values_list("pk", flat=True)} == {
            t["tenant_id"] for t in first["tenants"]
        }
        assert demo_rows(AuditLog) == 10

    @pytest.mark.django_db
    def test_reset_is_refused_in_production(self, settings):
        seed_in_process("--invocations", "5")
        settings.PRODUCTION = True
        with pytest.raises(CommandError, match="refused when GATEWAY_ENV=production"):
            call_command("seed_demo", "--reset", stdout=io.StringIO())
        assert demo_rows(AuditLog) == 5


def gateway_commands() -> list:
    """Every management command the gateway's own apps define, as (app, command) parameters."""
    return [(app, name) for name, app in sorted(get_commands().items()) if app in {"tenants", "audit", "tools"}]


@pytest.mark.parametrize(("app", "command"), gateway_commands())
def test_every_argument_has_help_text(app, command):
    parser = load_command_class(app, command).create_parser("manage.py", command)
    undocumented = [
        action.option_strings or action.dest
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction) and not (action.help or "").strip()
    ]
    assert undocumented == []
