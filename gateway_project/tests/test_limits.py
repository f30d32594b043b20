"""Every limit is a setting with a default, and going over it is a clear 4xx in the JSON error shape."""

import pytest
from django.conf import settings as live_settings


@pytest.mark.django_db
class TestHeaderLimits:
    def test_one_header_over_the_limit_is_431(self, api, settings):
        settings.GATEWAY_MAX_HEADER_BYTES = 2048
        response = api.get("/healthz", headers={"X-Filler": "x" * 3000})

        assert response.status_code == 431
        assert response.json() == {
            "detail": "Request header X-Filler is larger than 2048 bytes",
            "code": "header_too_large",
        }

    def test_all_headers_together_over_the_limit_is_431(self, api, settings):
        settings.GATEWAY_MAX_HEADERS_TOTAL_BYTES = 4096
        headers = {f"X-Filler-{index}": "x" * 900 for index in range(6)}
        response = api.get("/healthz", headers=headers)
        assert response.status_code == 431
        assert response.json()["detail"] == "Request headers are larger than 4096 bytes in all"

    def test_too_many_headers_is_431(self, api, settings):
        settings.GATEWAY_MAX_HEADER_COUNT = 20
        response = api.get("/healthz", headers={f"X-H-{index}": "v" for index in range(25)})
        assert response.status_code == 431
        assert response.json()["detail"] == "More than 20 request headers"

    def test_headers_within_the_limits_pass(self, api):
        assert api.get("/healthz", headers={"X-Filler": "x" * 4000}).status_code == 200


@pytest.mark.django_db
def test_kpi_description_length_is_a_setting(api, acme_admin, settings):
    settings.GATEWAY_MAX_KPI_DESCRIPTION_LENGTH = 10
    too_long = api.post("/v1/kpis", {"name": "A", "description": "x" * 11}, format="json", headers=acme_admin.headers())
    at_limit = api.post("/v1/kpis", {"name": "B", "description": "x" * 10}, format="json", headers=acme_admin.headers())

    assert too_long.status_code == 422
    assert too_long.json()["errors"]["description"] == ["Ensure this field has no more than 10 characters."]
    assert at_limit.status_code == 201


def test_defaults():
    assert live_settings.GATEWAY_MAX_BODY_BYTES == 10 * 1024 * 1024
    assert live_settings.GATEWAY_MAX_JSON_DEPTH == 32
    assert live_settings.GATEWAY_MAX_POINTS_PER_BATCH == 50_000
    assert live_settings.GATEWAY_IDEMPOTENCY_KEY_MAX_LENGTH == 255
    assert live_settings.GATEWAY_MAX_HEADER_BYTES == 8 * 1024
    assert live_settings.GATEWAY_MAX_HEADERS_TOTAL_BYTES == 32 * 1024
    assert live_settings.GATEWAY_MAX_HEADER_COUNT == 100
    assert live_settings.GATEWAY_MAX_KPI_DESCRIPTION_LENGTH == 2000
    assert live_settings.GATEWAY_MAX_JSON_CONTAINERS == 100_000
    assert live_settings.GATEWAY_MAX_RESULT_BYTES == 1024 * 1024
    assert live_settings.GATEWAY_WORKER_THREADS == 64
    assert live_settings.GATEWAY_ACTIVE_REQUESTS_PER_WORKER == 1
    assert live_settings.GATEWAY_BODY_READ_TIMEOUT_SECONDS == 30
    assert live_settings.GATEWAY_LARGE_BODY_BYTES == 1024 * 1024
    assert live_settings.GATEWAY_MAX_CONCURRENT_LARGE_BODIES == 1
    assert live_settings.AXES_FAILURE_LIMIT == 5
    assert live_settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
