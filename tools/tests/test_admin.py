from datetime import timedelta

import pytest
from django.urls import reverse

from tools.models import IdempotencyKey
from tools.tests.test_idempotency import ECHO, make_claim

KEYS = reverse("admin:tools_idempotencykey_changelist")


@pytest.fixture
def keys(acme_admin):
    make_claim(acme_admin, key="running", body=ECHO, locked_ago=timedelta(seconds=1), expires_in=timedelta(hours=1))
    make_claim(acme_admin, key="done", body=ECHO, locked_ago=timedelta(hours=1), expires_in=timedelta(hours=23),
               completed=True)  # fmt: skip
    make_claim(acme_admin, key="old", body=ECHO, locked_ago=timedelta(hours=25), expires_in=-timedelta(hours=1),
               completed=True)  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(("state", "expected"), [("in_progress", "running"), ("completed", "done"), ("expired", "old")])
def test_filter_by_state(admin_client, keys, state, expected):
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
