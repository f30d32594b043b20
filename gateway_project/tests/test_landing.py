"""`/` and the console's "View site" land on a page that says what this server is and where to go."""

import re

import pytest
from django.urls import reverse

LINKS = {"link-console": "/admin/", "link-docs": "/api/docs/", "link-redoc": "/api/redoc/", "link-health": "/healthz"}


def links_on(page: str) -> dict[str, str]:
    return {name: href for href, name in re.findall(r'<a href="([^"]+)" id="([\w-]+)"', page)}


@pytest.mark.django_db
class TestLandingPage:
    def test_says_what_this_server_is_and_links_where_to_go(self, client):
        response = client.get("/")

        assert response.status_code == 200
        assert response["Content-Type"] == "text/html; charset=utf-8"
        page = response.content.decode()
        assert "<h1>Tool Invocation Gateway</h1>" in page
        assert links_on(page) == LINKS

    def test_every_link_answers(self, client, admin_client):
        for href in LINKS.values():
            response = client.get(href)
            # The console sends a stranger to its login; everything else answers at once.
            assert response.status_code == (302 if href == "/admin/" else 200), href
        assert admin_client.get("/admin/").status_code == 200

    def test_loads_nothing_and_may_load_nothing(self, client):
        response = client.get("/")
        assert not re.search(r'(src|href)="(https?:)?//', response.content.decode())
        assert response["Content-Security-Policy"].startswith("default-src 'none'")

    def test_head(self, client):
        response = client.head("/")
        assert response.status_code == 200
        assert response.content == b""

    def test_view_site_in_the_console_lands_here(self, admin_client):
        page = admin_client.get(reverse("admin:index")).content.decode()
        assert '<a href="/">View site</a>' in page


@pytest.mark.django_db
class TestApiClientsStillGetJson:
    @pytest.mark.parametrize("path", ["/nope", "/v1/nope", "/index.html"])
    def test_elsewhere_a_json_404(self, client, path):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"

    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    def test_another_method_here_is_a_json_405(self, client, method):
        response = getattr(client, method)("/", data=b"{}", content_type="application/json")
        assert response.status_code == 405
        assert response["Allow"] == "GET, HEAD, OPTIONS"
        assert response.json() == {"detail": f'Method "{method.upper()}" not allowed.', "code": "method_not_allowed"}

    def test_options(self, client):
        response = client.options("/")
        assert (response.status_code, response["Allow"], response.content) == (200, "GET, HEAD, OPTIONS", b"")
