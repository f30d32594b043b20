"""Swagger UI and ReDoc render in a real browser without a single request off this host."""

from urllib.parse import urlsplit

import pytest
from playwright import sync_api

from tests.environment import CHROMIUM, CHROMIUM_ARGS, need_chromium

pytestmark = pytest.mark.live_server_processes


@pytest.fixture(autouse=True)
def chromium():
    need_chromium()


@pytest.mark.parametrize(
    ("path", "rendered"),
    [
        ("/api/docs/", ".opblock-summary-description:has-text('Invoke a tool')"),
        ("/api/redoc/", "h2:has-text('Invoke a tool')"),
    ],
)
def test_docs_render_offline(gateway_server, tmp_path, path, rendered):
    outside: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})

        def only_this_host(route):
            if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", only_this_host)
        console: list[str] = []
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        try:
            page.goto(f"{gateway_server}{path}")
            page.wait_for_selector(rendered, timeout=15_000)
        finally:
            page.screenshot(path=tmp_path / "docs.png")
            browser.close()
    assert outside == []
    # Nothing the page's policy had to stop (it would name a new outside dependency), nor any other error.
    assert [line for line in console if "Content Security Policy" in line or line.startswith("error")] == []
