from datetime import UTC, datetime, timedelta

import pytest
from model_bakery import baker

from kpis.models import KpiDefinition, KpiPoint


@pytest.fixture
def kpi(acme):
    tenant, _ = acme
    return baker.make(KpiDefinition, tenant=tenant, name="MRR", unit="GBP", description="Monthly recurring revenue")


@pytest.fixture
def bulk(api, acme_admin):
    def send(kpi_id, points, actor=None):
        actor = actor or acme_admin
        return api.post(f"/v1/kpis/{kpi_id}/points:bulk", {"points": points}, format="json", headers=actor.headers())

    return send


def stored(kpi) -> list[tuple[str, float]]:
    return [(point.ts.isoformat(), point.value) for point in KpiPoint.objects.filter(kpi=kpi).order_by("ts")]


@pytest.mark.django_db
class TestCreate:
    def test_creates_a_definition(self, api, acme_admin):
        body = {"name": "MRR", "unit": "GBP", "description": "Monthly recurring revenue"}
        response = api.post("/v1/kpis", body, format="json", headers=acme_admin.headers())

        assert response.status_code == 201
        created = response.json()
        assert set(created) == {"kpi_id", "name", "unit", "description"}
        assert {key: created[key] for key in body} == body
        assert KpiDefinition.objects.get(pk=created["kpi_id"]).tenant == acme_admin.tenant

    def test_unit_and_description_are_optional(self, api, acme_admin):
        response = api.post("/v1/kpis", {"name": "Churn"}, format="json", headers=acme_admin.headers())
        assert (response.json()["unit"], response.json()["description"]) == (None, None)

    def test_duplicate_name_in_tenant_is_409(self, api, acme_admin, kpi):
        response = api.post("/v1/kpis", {"name": "MRR"}, format="json", headers=acme_admin.headers())

        assert response.status_code == 409
        assert response.json() == {
            "detail": "KPI named 'MRR' already exists in this tenant",
            "code": "duplicate_kpi_name",
        }
        assert KpiDefinition.objects.count() == 1

    def test_same_name_in_another_tenant_is_fine(self, api, outsider, kpi):
        assert api.post("/v1/kpis", {"name": "MRR"}, format="json", headers=outsider.headers()).status_code == 201

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({}, "name"),
            ({"name": ""}, "name"),
            ({"name": "x" * 256}, "name"),
            ({"name": "MRR", "unit": "u" * 51}, "unit"),
            ({"name": "nul\u0000byte"}, "name"),
            ({"name": 5}, "name"),
            ({"name": "MRR", "unit": 12}, "unit"),
        ],
    )
    def test_invalid_body_is_422(self, api, acme_admin, body, field):
        response = api.post("/v1/kpis", body, format="json", headers=acme_admin.headers())

        assert response.status_code == 422
        assert field in response.json()["errors"]


@pytest.mark.django_db
class TestListAndRetrieve:
    def test_list_is_a_plain_array_of_the_tenants_kpis(self, api, acme_member, kpi, outsider):
        baker.make(KpiDefinition, tenant=outsider.tenant, name="Theirs")
        response = api.get("/v1/kpis", headers=acme_member.headers())

        assert response.status_code == 200
        assert response.json() == [
            {"kpi_id": str(kpi.id), "name": "MRR", "unit": "GBP", "description": "Monthly recurring revenue"}
        ]

    def test_retrieve(self, api, acme_member, kpi):
        response = api.get(f"/v1/kpis/{kpi.id}", headers=acme_member.headers())
        assert response.json()["kpi_id"] == str(kpi.id)

    @pytest.mark.parametrize("kpi_id", ["not-a-uuid", "00000000-0000-4000-8000-000000000000"])
    def test_unknown_or_malformed_id_is_404(self, api, acme_member, kpi_id):
        response = api.get(f"/v1/kpis/{kpi_id}", headers=acme_member.headers())
        assert response.status_code == 404
        assert response.json() == {"detail": f"KPI '{kpi_id}' not found", "code": "kpi_not_found"}


@pytest.mark.django_db
class TestBulkIngest:
    def test_inserts_points(self, bulk, kpi):
        response = bulk(
            kpi.id, [{"ts": "2026-01-01T00:00:00Z", "value": 1000.0}, {"ts": "2026-01-08T00:00:00Z", "value": 1250}]
        )

        assert response.status_code == 200
        assert response.json() == {"inserted": 2, "ignored": 0}
        assert stored(kpi) == [("2026-01-01T00:00:00+00:00", 1000.0), ("2026-01-08T00:00:00+00:00", 1250.0)]

    def test_stored_instants_are_ignored(self, bulk, kpi):
        bulk(kpi.id, [{"ts": "2026-01-01T00:00:00Z", "value": 1.0}])

        response = bulk(
            kpi.id, [{"ts": "2026-01-01T00:00:00Z", "value": 9.0}, {"ts": "2026-01-02T00:00:00Z", "value": 2.0}]
        )

        assert response.json() == {"inserted": 1, "ignored": 1}
        assert stored(kpi)[0] == ("2026-01-01T00:00:00+00:00", 1.0)

    def test_repeats_within_a_batch_are_ignored_and_the_first_wins(self, bulk, kpi):
        response = bulk(
            kpi.id,
            [
                {"ts": "2026-01-01T00:00:00Z", "value": 1.0},
                {"ts": "2026-01-01T02:00:00+02:00", "value": 2.0},  # the same instant, another offset
                {"ts": "2026-01-01T00:00:00.000Z", "value": 3.0},
            ],
        )

        assert response.json() == {"inserted": 1, "ignored": 2}
        assert stored(kpi) == [("2026-01-01T00:00:00+00:00", 1.0)]

    def test_offsets_are_stored_as_utc_instants(self, bulk, kpi):
        bulk(kpi.id, [{"ts": "2026-01-01T05:30:00+05:30", "value": 1.0}])
        assert stored(kpi) == [("2026-01-01T00:00:00+00:00", 1.0)]

    def test_same_instant_in_another_kpi_is_independent(self, bulk, kpi, acme):
        other = baker.make(KpiDefinition, tenant=kpi.tenant, name="Other")
        point = [{"ts": "2026-01-01T00:00:00Z", "value": 1.0}]
        bulk(kpi.id, point)
        assert bulk(other.id, point).json() == {"inserted": 1, "ignored": 0}

    @pytest.mark.parametrize(
        ("bad_point", "field"),
        [
            ({"ts": "2026-01-02T00:00:00", "value": 1.0}, "points[1].ts"),
            ({"ts": "2026-01-02", "value": 1.0}, "points[1].ts"),
            ({"ts": "yesterday", "value": 1.0}, "points[1].ts"),
            ({"ts": 1767225600, "value": 1.0}, "points[1].ts"),
            ({"ts": "2026-01-02T00:00:00Z", "value": "12"}, "points[1].value"),
            ({"ts": "2026-01-02T00:00:00Z", "value": True}, "points[1].value"),
            ({"ts": "2026-01-02T00:00:00Z", "value": None}, "points[1].value"),
            ({"ts": "2026-01-02T00:00:00Z"}, "points[1].value"),
            ({"value": 1.0}, "points[1].ts"),
            ("not-an-object", "points[1]"),
        ],
    )
    def test_one_bad_point_rejects_the_batch_naming_its_index(self, bulk, kpi, bad_point, field):
        response = bulk(kpi.id, [{"ts": "2026-01-01T00:00:00Z", "value": 1.0}, bad_point])

        assert response.status_code == 422
        assert list(response.json()["errors"]) == [field]
        assert field in response.json()["detail"]
        assert stored(kpi) == []

    def test_digits_finer_than_a_microsecond_are_refused_not_truncated(self, bulk, kpi):
        # Both used to be stored as .123456, and the second reported as a duplicate of the first.
        points = [
            {"ts": "2026-01-01T00:00:00.1234567Z", "value": 1.0},
            {"ts": "2026-01-01T00:00:00.1234568Z", "value": 2.0},
        ]
        response = bulk(kpi.id, points)

        assert response.status_code == 422
        assert response.json()["code"] == "validation_error"
        message = ["Timestamps are kept to the microsecond; drop the digits after the sixth fractional one."]
        assert response.json()["errors"] == {"points[0].ts": message, "points[1].ts": message}
        assert stored(kpi) == []

    @pytest.mark.parametrize(
        "ts", ["2026-01-01T00:00:00.123456789+05:30", "2026-01-01T00:00:00,0000001Z", "20260101T000000.1234561Z"]
    )
    def test_sub_microsecond_digits_are_refused_in_every_spelling(self, bulk, kpi, ts):
        response = bulk(kpi.id, [{"ts": "2026-01-01T00:00:00Z", "value": 1.0}, {"ts": ts, "value": 1.0}])
        assert (response.status_code, list(response.json()["errors"])) == (422, ["points[1].ts"])

    def test_trailing_zeros_beyond_a_microsecond_are_fine(self, bulk, kpi):
        points = [
            {"ts": "2026-01-01T00:00:00.1234560000Z", "value": 1.0},
            {"ts": "2026-01-01T00:00:00.5000000Z", "value": 2.0},
        ]
        response = bulk(kpi.id, points)

        assert response.json() == {"inserted": 2, "ignored": 0}
        assert stored(kpi) == [("2026-01-01T00:00:00.123456+00:00", 1.0), ("2026-01-01T00:00:00.500000+00:00", 2.0)]

    def test_naive_timestamp_message(self, bulk, kpi):
        response = bulk(kpi.id, [{"ts": "2026-01-02T00:00:00", "value": 1.0}])
        assert response.json()["errors"]["points[0].ts"] == ["Timestamp must include a UTC offset or 'Z'."]

    @pytest.mark.parametrize("number", [b"1" + b"0" * 400, b"-1" + b"0" * 400])
    def test_integer_beyond_a_float_is_422_not_a_500(self, api, acme_admin, kpi, number):
        body = b'{"points": [{"ts": "2026-01-01T00:00:00Z", "value": ' + number + b"}]}"
        response = api.post(
            f"/v1/kpis/{kpi.id}/points:bulk", body, content_type="application/json", headers=acme_admin.headers()
        )
        assert response.status_code == 422
        assert response.json()["errors"] == {"points[0].value": ["Value must be a finite number."]}

    @pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e999"])
    def test_non_json_constants_are_400(self, api, acme_admin, kpi, constant):
        body = b'{"points": [{"ts": "2026-01-01T00:00:00Z", "value": ' + constant + b"}]}"
        response = api.post(
            f"/v1/kpis/{kpi.id}/points:bulk", body, content_type="application/json", headers=acme_admin.headers()
        )
        assert response.status_code == 400
        assert response.json()["code"] == "malformed_json"

    @pytest.mark.parametrize("body", [{}, {"points": []}, {"points": {"ts": 1}}, {"points": None}])
    def test_points_must_be_a_non_empty_array(self, api, acme_admin, kpi, body):
        response = api.post(f"/v1/kpis/{kpi.id}/points:bulk", body, format="json", headers=acme_admin.headers())
        assert response.status_code == 422
        assert "points" in response.json()["errors"]

    def test_batch_size_is_a_setting(self, bulk, kpi, settings):
        settings.GATEWAY_MAX_POINTS_PER_BATCH = 3
        points = [{"ts": f"2026-01-0{day}T00:00:00Z", "value": 1.0} for day in range(1, 5)]

        response = bulk(kpi.id, points)

        assert response.status_code == 422
        assert response.json()["errors"]["points"] == ["Send between 1 and 3 points; got 4."]
        assert bulk(kpi.id, points[:3]).json() == {"inserted": 3, "ignored": 0}

    def test_body_is_validated_before_the_kpi_is_looked_up(self, bulk):
        assert bulk("00000000-0000-4000-8000-000000000000", [{"ts": "bad", "value": 1}]).status_code == 422

    def test_unknown_kpi_is_404(self, bulk):
        response = bulk("00000000-0000-4000-8000-000000000000", [{"ts": "2026-01-01T00:00:00Z", "value": 1}])
        assert response.status_code == 404
        assert response.json()["code"] == "kpi_not_found"

    def test_large_batch_spanning_several_statements(self, bulk, kpi):
        start = datetime(2026, 1, 1, tzinfo=UTC)
        points = [{"ts": (start + timedelta(seconds=index)).isoformat(), "value": index} for index in range(4500)]
        response = bulk(kpi.id, points)
        assert response.json() == {"inserted": 4500, "ignored": 0}
        assert KpiPoint.objects.filter(kpi=kpi).count() == 4500


@pytest.mark.django_db
class TestLatest:
    def test_returns_the_newest_point(self, api, acme_member, kpi):
        for day, value in [(8, 1250.0), (1, 1000.0), (5, 1100.0)]:
            baker.make(KpiPoint, tenant=kpi.tenant, kpi=kpi, ts=datetime(2026, 1, day, tzinfo=UTC), value=value)

        response = api.get(f"/v1/kpis/{kpi.id}/latest", headers=acme_member.headers())

        assert response.status_code == 200
        assert response.json() == {"kpi_id": str(kpi.id), "ts": "2026-01-08T00:00:00Z", "value": 1250.0}

    def test_fractional_seconds_only_when_non_zero(self, api, acme_member, kpi):
        baker.make(KpiPoint, tenant=kpi.tenant, kpi=kpi, ts=datetime(2026, 1, 8, 0, 0, 0, 250000, tzinfo=UTC), value=1)
        response = api.get(f"/v1/kpis/{kpi.id}/latest", headers=acme_member.headers())
        assert response.json()["ts"] == "2026-01-08T00:00:00.250000Z"

    def test_no_points_is_404(self, api, acme_member, kpi):
        response = api.get(f"/v1/kpis/{kpi.id}/latest", headers=acme_member.headers())

        assert response.status_code == 404
        assert response.json() == {"detail": f"No data points found for KPI '{kpi.id}'", "code": "kpi_no_data"}

    def test_query_budget(self, api, acme_member, kpi, django_assert_num_queries):
        baker.make(KpiPoint, tenant=kpi.tenant, kpi=kpi, ts=datetime(2026, 1, 8, tzinfo=UTC), value=1)
        # 1 tenant+user, 2 the newest point of (tenant, KPI) by index: a point proves the KPI is ours.
        with django_assert_num_queries(2):
            response = api.get(f"/v1/kpis/{kpi.id}/latest", headers=acme_member.headers())
        assert response.status_code == 200
        assert response.json() == {"kpi_id": str(kpi.id), "ts": "2026-01-08T00:00:00Z", "value": 1.0}
