"""Screenshot the operator dashboard of a running gateway (how docs/dashboard.png was made).

    .venv/bin/python manage.py seed_demo
    DJANGO_SUPERUSER_PASSWORD=... .venv/bin/python manage.py createsuperuser --noinput --username operator --email o@x
    make run   # in another terminal
    DASHBOARD_PASSWORD=... .venv/bin/python scripts/screenshot_dashboard.py \
        http://127.0.0.1:8000 operator docs/dashboard.png
"""

import os
import sys

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip


def main(base_url: str, username: str, output: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base_url}/admin/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", os.environ["DASHBOARD_PASSWORD"])
        page.click("input[type=submit]")
        page.goto(f"{base_url}/admin/dashboard/")
        page.screenshot(path=output, full_page=True)
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:4])
