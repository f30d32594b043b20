"""An operator's journey in a real browser: login, dashboard, audit log filtered by tenant, CSV export.

Drives Debian's Chromium through Playwright against the real server; without Chromium it
skips, saying why (under CI=true it fails: `.ci/run` installs Chromium).
"""

import csv
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright import sync_api

from audit.tests.helpers import record_audit
from conftest import Actor, make_tenant
from tenants.models import Role, TenantUser
from tests.environment import CHROMIUM, CHROMIUM_ARGS, need_chromium

pytestmark = pytest.mark.live_server_processes


@pytest.fixture(autouse=True)
def chromium():
    need_chromium()


@pytest.fixture
def two_tenants_of_history(live_admin):
    tenant, api_key = make_tenant("Globex")
    globex = Actor(tenant, TenantUser.objects.create(tenant=tenant, email="ops@globex.test", role=Role.ADMIN), api_key)
    for _ in range(7):
        record_audit(live_admin)
    record_audit(live_admin, outcome="denied", status_code=403, error_code="permission_denied")
    for _ in range(4):
        record_audit(globex)
    return live_admin.tenant, globex.tenant


def test_login_dashboard_filtered_audit_log_and_csv(gateway_server, two_tenants_of_history, tmp_path):
    live, globex = two_tenants_of_history
    User.objects.create_superuser("operator", "operator@example.com", "operator-pass-123")

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        try:
            page.goto(f"{gateway_server}/admin/login/")
            page.fill("#id_username", "operator")
            page.fill("#id_password", "operator-pass-123")
            page.click("input[type=submit]")
            page.wait_for_url(f"{gateway_server}/admin/")

            page.click("#user-tools >> text=Dashboard")
            page.wait_for_url(f"{gateway_server}/admin/dashboard/")
            assert page.inner_text("#tile-invocations") == "12"
            assert page.locator("#invocations-chart svg rect").count() >= 1
            assert "permission_denied" in page.inner_text("#recent-denials")
            page.screenshot(path=tmp_path / "dashboard.png", full_page=True)

            page.goto(f"{gateway_server}/admin/audit/auditlog/")
            page.click(f"#changelist-filter a:has-text('{globex.name}')")
            page.wait_for_url(f"**tenant__id__exact={globex.id}**")
            page.wait_for_selector("#result_list tbody tr")
            assert page.locator("#result_list tbody tr").count() == 4

            page.check("#action-toggle")
            page.select_option("select[name=action]", "export_csv")
            with page.expect_download() as download:
                page.click("button[name=index]")
            exported = Path(download.value.path()).read_text()
            page.screenshot(path=tmp_path / "audit-log-globex.png", full_page=True)
        finally:
            browser.close()

    rows = list(csv.DictReader(exported.splitlines()))
    assert len(rows) == 4
    assert {row["tenant_id"] for row in rows} == {str(globex.id)}
    assert (tmp_path / "dashboard.png").stat().st_size > 10_000
