import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tools.models import IdempotencyKey
from tools.tests.helpers import ECHO, make_claim


def purge(*args) -> dict:
    out = StringIO()
    call_command("purge_idempotency_keys", *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.django_db
def test_purge_removes_only_expired_keys(acme_admin):
    make_claim(acme_admin, key="old", body=ECHO, locked_ago=timedelta(hours=25), expires_in=-timedelta(hours=1))
    make_claim(acme_admin, key="live", body=ECHO, locked_ago=timedelta(hours=1), expires_in=timedelta(hours=23))

    assert purge() == {"removed": 1}
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["live"]


@pytest.mark.django_db
def test_purge_older_than_hours(acme_admin):
    make_claim(acme_admin, key="3h", body=ECHO, locked_ago=timedelta(hours=3), expires_in=timedelta(hours=21))
    make_claim(acme_admin, key="1h", body=ECHO, locked_ago=timedelta(hours=1), expires_in=timedelta(hours=23))

    assert purge("--older-than-hours", "2") == {"removed": 1}
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["1h"]


@pytest.mark.django_db
@pytest.mark.parametrize("hours", ["-1", "100000000"])
def test_purge_rejects_hours_out_of_range(hours):
    with pytest.raises(CommandError, match="between 0 and 876000"):
        purge("--older-than-hours", hours)


@pytest.mark.django_db
def test_purge_never_removes_a_claim_whose_tool_may_still_run(acme_admin, settings):
    settings.GATEWAY_IDEMPOTENCY_LOCK_TIMEOUT_SECONDS = 60
    make_claim(acme_admin, key="running", body=ECHO, locked_ago=timedelta(seconds=5), expires_in=timedelta(hours=1))
    make_claim(acme_admin, key="silent", body=ECHO, locked_ago=timedelta(minutes=5), expires_in=timedelta(hours=1))

    assert purge("--older-than-hours", "0") == {"removed": 1}
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["running"]
