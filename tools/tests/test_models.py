"""An idempotency key's state has one definition: the queryset and the key itself agree on every key."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tools.models import IdempotencyKey, KeyState
from tools.tests.helpers import ECHO, make_claim

# (locked how long ago, expires in, answered) -> state, with the default 60 s lock timeout.
CASES = {
    "fresh claim": (timedelta(seconds=1), timedelta(hours=1), False, KeyState.IN_FLIGHT),
    "silent claim": (timedelta(minutes=5), timedelta(hours=1), False, KeyState.ABANDONED),
    "answered": (timedelta(minutes=5), timedelta(hours=1), True, KeyState.COMPLETED),
    "answered, past retention": (timedelta(hours=25), -timedelta(hours=1), True, KeyState.EXPIRED),
    "silent, past retention": (timedelta(hours=25), -timedelta(hours=1), False, KeyState.EXPIRED),
    # A claim still running is never expired, whatever its retention says: purging it would let a retry run the
    # tool a second time.
    "running, past retention": (timedelta(seconds=1), -timedelta(seconds=1), False, KeyState.IN_FLIGHT),
}


@pytest.mark.django_db
def test_every_key_is_in_exactly_the_state_it_says(acme_admin):
    for name, (locked_ago, expires_in, answered, _) in CASES.items():
        make_claim(acme_admin, key=name, body=ECHO, locked_ago=locked_ago, expires_in=expires_in, completed=answered)
    now = timezone.now()

    for name, (*_, state) in CASES.items():
        record = IdempotencyKey.objects.get(key=name)
        assert record.state(now) == state, name
        holding = {
            candidate for candidate in KeyState if IdempotencyKey.objects.in_state(candidate, now).filter(pk=record.pk)
        }
        assert holding == {state}, name


@pytest.mark.django_db
def test_purge_removes_the_expired_and_keeps_a_claim_in_flight(acme_admin, manage):
    for name, (locked_ago, expires_in, answered, _) in CASES.items():
        make_claim(acme_admin, key=name, body=ECHO, locked_ago=locked_ago, expires_in=expires_in, completed=answered)

    result = manage("purge_idempotency_keys")

    assert result.returncode == 0, result.stderr
    kept = set(IdempotencyKey.objects.values_list("key", flat=True))
    assert kept == {name for name, (*_, state) in CASES.items() if state != KeyState.EXPIRED}
