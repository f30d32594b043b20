"""An operator's first hour, in a real browser at 1366×768: lists that fit the screen, the newest audit
row first, the tenant hub's links, a key rotation that asks first, and an auditor who cannot change a thing.

Screenshots go to the test's temporary directory, or to $GATEWAY_SCREENSHOT_DIR when set.
"""

import importlib
import os
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.utils import timezone
from playwright import sync_api

from audit.models import AuditLog
from audit.tests.helpers import attempt, record_audit
from conftest import Actor, make_tenant
from kpis.models import KpiDefinition
from tenants.models import Role, TenantUser
from tests.environment import CHROMIUM, CHROMIUM_ARGS, need_chromium
from tools.http_tools import http_tool_create

pytestmark = pytest.mark.live_server_processes
SCREEN = {"width": 1366, "height": 768}
LISTS = [
    "/admin/audit/auditlog/",
    "/admin/audit/usageevent/",
    "/admin/audit/auditseal/",
    "/admin/tools/idempotencykey/",
    "/admin/tenants/tenant/",
    "/admin/tenants/tenantuser/",
    "/admin/kpis/kpidefinition/",
    "/admin/tenants/principalkey/",
    "/admin/tenants/toolpolicy/",
    "/admin/tools/vaultsecret/",
    "/admin/tools/httptool/",
]
# Whether the page, or the table of a list inside it, is wider than the window.
SCROLLS_SIDEWAYS = """() => {
    const page = document.documentElement;
    const results = document.querySelector("div.results");
    return page.scrollWidth > page.clientWidth || (results !== null && results.scrollWidth > results.clientWidth);
}"""


@pytest.fixture(autouse=True)
def chromium():
    need_chromium()


@pytest.fixture
def console(live_admin):
    """Two tenants with long names and some history, an operator (superuser) and an auditor."""
    # The data migration's groups; a transactional test's flush removed them.
    importlib.import_module("audit.migrations.0008_console_groups").create_groups(apps, None)
    for grants in ("tenants.migrations.0006_principal_key_console_permissions",
                   "tenants.migrations.0008_tool_policy_console_permissions",
                   "tools.migrations.0003_vault_console_permissions",
                   "tools.migrations.0005_http_tool_console_permissions"):  # fmt: skip
        importlib.import_module(grants).grant(apps, None)
    globex_tenant, globex_key = make_tenant("Globex " + "Corporation " * 12)
    globex = Actor(globex_tenant, TenantUser.objects.create(tenant=globex_tenant, email="ops@globex.test",
                                                            role=Role.ADMIN), globex_key)  # fmt: skip
    now = timezone.now()
    # Written in one order, happened in another: the list must follow the time, not the id.
    for minutes_ago in (60, 0, 120):
        record_audit(live_admin, metered=True, created_at=now - timedelta(minutes=minutes_ago), attempt=attempt())
    record_audit(globex, outcome="denied", status_code=403, error_code="permission_denied", tool_name="x" * 100)
    KpiDefinition.objects.create(tenant=live_admin.tenant, name="Monthly recurring revenue " * 8, unit="GBP")
    # The longest name and a long URL an HTTP tool may have, owned by the tenant with the longest name.
    http_tool_create(
        owner=globex_tenant, fields={"name": "n" * 100, "url_template": "https://api.example.com/" + "segment/" * 200}
    )
    User.objects.create_superuser("operator", "operator@example.com", "operator-pass-123")
    auditor = User.objects.create_user("auditor", "auditor@example.com", "auditor-pass-123", is_staff=True)
    auditor.groups.add(Group.objects.get(name="Auditors"))
    return live_admin, globex


def log_in(browser, url: str, username: str, password: str):
    page = browser.new_page(viewport=SCREEN)
    page.goto(f"{url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{url}/admin/")
    return page


def screenshot_dir(tmp_path: Path) -> Path:
    return Path(os.environ.get("GATEWAY_SCREENSHOT_DIR") or tmp_path)


def test_the_operator_journey_at_1366(gateway_server, console, tmp_path):
    acme, globex = console
    newest = AuditLog.objects.order_by("-created_at").first()
    shots = screenshot_dir(tmp_path)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = log_in(browser, gateway_server, "operator", "operator-pass-123")

            sideways = []
            for path in LISTS:
                assert page.goto(f"{gateway_server}{path}").status == 200, path
                if page.evaluate(SCROLLS_SIDEWAYS):
                    sideways.append(path)
            assert sideways == []

            page.goto(f"{gateway_server}/admin/audit/auditlog/")
            first_row = page.locator("#result_list tbody tr").first
            assert f"/admin/audit/auditlog/{newest.pk}/change/" in first_row.locator("a").first.get_attribute("href")
            page.screenshot(path=shots / "audit-list.png")

            page.goto(f"{gateway_server}/admin/dashboard/")
            page.screenshot(path=shots / "dashboard.png", full_page=True)

            hub = f"{gateway_server}/admin/tenants/tenant/{acme.tenant.pk}/change/"
            page.goto(hub)
            page.screenshot(path=shots / "tenant-hub.png", full_page=True)
            links = page.locator("#tenant-hub a")
            targets = [links.nth(index).get_attribute("href") for index in range(links.count())]
            assert len(targets) == 6
            for target in targets:
                assert page.goto(f"{gateway_server}{target}").status == 200, target
                assert str(acme.tenant.pk) in page.url
                if page.locator("#changelist").count():  # a list: only this tenant's rows, if any
                    if page.locator("#result_list").count():
                        assert "Globex" not in page.inner_text("#result_list"), target
                else:  # the dashboard, for this tenant
                    assert page.inner_text("h1") == f"Dashboard: {acme.tenant.name}"

            page.goto(f"{gateway_server}/admin/tenants/tenant/")
            page.check(f"input.action-select[value='{acme.tenant.pk}']")
            page.select_option("select[name=action]", "rotate_api_keys")
            page.click("button[name=index]")
            page.wait_for_selector("#tenants-affected")
            assert page.locator("#tenants-affected li").count() == 1
            assert acme.tenant.name in page.inner_text("#tenants-affected")
            # Asked, not yet done: the old key still works.
            assert requests.get(f"{gateway_server}/v1/kpis", headers=acme.headers(), timeout=10).status_code == 200
            page.click("input[type=submit]")
            page.wait_for_selector("#issued-keys")
            assert requests.get(f"{gateway_server}/v1/kpis", headers=acme.headers(), timeout=10).status_code == 401
        finally:
            browser.close()


def test_an_auditor_sees_but_cannot_change(gateway_server, console):
    acme, _ = console
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = log_in(browser, gateway_server, "auditor", "auditor-pass-123")
            for path in LISTS:
                assert page.goto(f"{gateway_server}{path}").status == 200, path
            page.goto(f"{gateway_server}/admin/tenants/tenant/{acme.tenant.pk}/change/")
            assert page.locator("input[name=_save]").count() == 0  # Django's read-only view of the tenant
            assert page.locator("#content-main input[type=text]").count() == 0
            assert page.goto(f"{gateway_server}/admin/tenants/tenant/add/").status == 403
            assert page.goto(f"{gateway_server}/admin/kpis/kpidefinition/add/").status == 403
            page.goto(f"{gateway_server}/admin/tenants/tenant/")
            assert page.locator("select[name=action] option[value=rotate_api_keys]").count() == 0
        finally:
            browser.close()
