"""Console logins are throttled per account and per address (django-axes), counted in the database."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def staff(db) -> User:
    return User.objects.create_user("ops", password=PASSWORD, is_staff=True, is_superuser=True)


@pytest.fixture(autouse=True)
def limit(settings):
    settings.AXES_FAILURE_LIMIT = 3


def log_in(username: str, password: str, address: str = "203.0.113.7", **headers):
    return Client(REMOTE_ADDR=address, headers=headers).post(LOGIN, {"username": username, "password": password})


def fail(times: int, username: str = "ops", address: str = "203.0.113.7", **headers) -> list[int]:
    return [log_in(username, "wrong", address, **headers).status_code for _ in range(times)]


def test_an_account_is_locked_after_the_limit_even_for_the_right_password(staff):
    assert fail(2) == [200, 200]  # the login form again, with its error
    assert fail(1) == [429]
    locked = log_in("ops", PASSWORD)

    assert locked.status_code == 429
    assert b"Too many failed logins" in locked.content
    assert b"After 3 failed attempts" in locked.content
    assert "_auth_user_id" not in locked.client.session


def test_the_account_is_locked_from_every_address(staff):
    fail(3, address="203.0.113.7")
    assert log_in("ops", PASSWORD, address="198.51.100.9").status_code == 429


def test_an_address_is_locked_whatever_accounts_it_tries(staff):
    for username in ("alice", "bob", "carol"):
        fail(1, username=username)
    assert log_in("ops", PASSWORD).status_code == 429
    assert log_in("ops", PASSWORD, address="198.51.100.9").status_code == 302


def test_a_success_before_the_limit_starts_the_count_again(staff):
    fail(2)
    assert log_in("ops", PASSWORD).status_code == 302
    assert fail(2) == [200, 200]


def test_the_lock_lifts_after_the_cool_off(staff, settings):
    fail(3)
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    assert log_in("ops", PASSWORD).status_code == 302


def test_a_forged_forwarded_for_does_not_dodge_the_address_lock(staff):
    for n, username in enumerate(("alice", "bob", "carol")):
        fail(1, username=username, **{"X-Forwarded-For": f"192.0.2.{n}"})
    assert log_in("ops", PASSWORD, **{"X-Forwarded-For": "192.0.2.99"}).status_code == 429


def test_the_limit_is_a_setting(staff, settings):
    settings.AXES_FAILURE_LIMIT = 5
    assert fail(5) == [200] * 4 + [429]
