from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.admin.templatetags.admin_list import result_headers
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from tools.models import IdempotencyKey
from tools.tests.helpers import ECHO, make_claim

KEYS = reverse("admin:tools_idempotencykey_changelist")


@pytest.fixture
def keys(acme_admin):
    make_claim(acme_admin, key="running", body=ECHO, locked_ago=timedelta(seconds=1), expires_in=timedelta(hours=1))
    make_claim(acme_admin, key="done", body=ECHO, locked_ago=timedelta(hours=1), expires_in=timedelta(hours=23),
               completed=True)  # fmt: skip
    make_claim(acme_admin, key="old", body=ECHO, locked_ago=timedelta(hours=25), expires_in=-timedelta(hours=1),
               completed=True)  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "expected"),
    [("in_progress", "running"), ("abandoned", "silent"), ("completed", "done"), ("expired", "old")],
)
def test_filter_by_state(admin_client, acme_admin, keys, state, expected):
    make_claim(acme_admin, key="silent", body=ECHO, locked_ago=timedelta(minutes=5), expires_in=timedelta(hours=1))
    response = admin_client.get(KEYS, {"state": state})
    listed = response.context["cl"].result_list
    assert [record.key for record in listed] == [expected]
    assert response.context["cl"].model_admin.state(listed[0]) == state.replace("_", " ")


@pytest.mark.django_db
def test_keys_are_read_only(admin_client, keys):
    record = IdempotencyKey.objects.get(key="done")
    assert admin_client.get(reverse("admin:tools_idempotencykey_add")).status_code == 403
    assert admin_client.post(reverse("admin:tools_idempotencykey_change", args=[record.pk]), {}).status_code == 403
    assert (
        admin_client.post(reverse("admin:tools_idempotencykey_delete", args=[record.pk]), {"post": "yes"}).status_code
        == 403
    )


@pytest.fixture
def echoed_secret(keys) -> IdempotencyKey:
    """A stored answer echoing what a payload carried, as tool output may."""
    record = IdempotencyKey.objects.get(key="done")
    record.response_body = '{"request_id": "r", "result": {"echo": {"api_token": "sk-live-echoed-secret"}}}'
    record.save(update_fields=["response_body"])
    return record


@pytest.fixture
def key_viewer(client):
    viewer = User.objects.create_user("key-viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_idempotencykey"))
    client.force_login(viewer)
    return client


@pytest.mark.django_db
class TestStoredAnswersAreForSuperusersOnly:
    SECRET = b"sk-live-echoed-secret"

    def test_staff_with_view_permission_sees_the_key_but_not_the_answer(self, key_viewer, echoed_secret):
        change = key_viewer.get(reverse("admin:tools_idempotencykey_change", args=[echoed_secret.pk]))
        listing = key_viewer.get(KEYS)

        assert change.status_code == 200 and listing.status_code == 200
        assert b"done" in change.content and b"done" in listing.content
        assert self.SECRET not in change.content
        assert self.SECRET not in listing.content
        assert b"Response body" not in change.content

    @pytest.mark.parametrize("guess", ["sk-live", "no-such-text"])
    def test_staff_cannot_probe_the_answer_with_a_filter(self, key_viewer, echoed_secret, guess):
        """Django allows a lookup on any local field in the address; on the answer it would tell
        the text apart one guess at a time."""
        assert key_viewer.get(KEYS, {"response_body__contains": guess}).status_code == 400

    def test_a_superuser_sees_the_answer(self, admin_client, echoed_secret):
        change = admin_client.get(reverse("admin:tools_idempotencykey_change", args=[echoed_secret.pk]))

        assert change.status_code == 200
        assert self.SECRET in change.content


@pytest.mark.django_db
def test_times_say_utc(admin_client, keys):
    listing = admin_client.get(KEYS).content.decode()
    assert "Created (UTC)" in listing and "Expires (UTC)" in listing
    assert "By created at (UTC)" in listing
    record = IdempotencyKey.objects.get(key="done")
    change = admin_client.get(reverse("admin:tools_idempotencykey_change", args=[record.pk])).content.decode()
    for label in ("Created (UTC):", "Claimed (UTC):", "Completed (UTC):", "Expires (UTC):"):
        assert label in change


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [({"created_at__from": "2026-01-02"}, ["done", "running"]), ({"created_at__to": "2026-01-01"}, ["old"])],
)
def test_a_date_range_of_utc_days(admin_client, keys, query, expected):
    for key, moment in [("old", "2026-01-01T23:59:59"), ("done", "2026-01-02T00:00:00"), ("running", "2026-01-05")]:
        IdempotencyKey.objects.filter(key=key).update(created_at=datetime.fromisoformat(moment).replace(tzinfo=UTC))
    assert sorted(row.key for row in admin_client.get(KEYS, query).context["cl"].result_list) == expected


@pytest.mark.django_db
def test_the_list_fits_a_1366_px_screen(admin_client, acme_admin):
    """The columns an operator scans, long keys and names cut to a width and whole on hover."""
    acme_admin.tenant.name = "Acme " + "W" * 250
    acme_admin.tenant.save()
    make_claim(acme_admin, key="K" * 255, body=ECHO, locked_ago=timedelta(seconds=1), expires_in=timedelta(hours=1))
    response = admin_client.get(KEYS)

    headers = [str(header["text"]) for header in result_headers(response.context["cl"])]
    assert headers == ["key", "state", "tenant", "status", "created (UTC)", "expires (UTC)"]
    page = response.content.decode()
    assert f'<span class="gateway-cut" style="max-width: 24ch" title="{"K" * 255}">' in page
    assert f'<span class="gateway-cut" style="max-width: 18ch" title="Acme {"W" * 250}">' in page
