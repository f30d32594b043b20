"""SQLite writers in one process take turns on a lock, held from BEGIN to the end of the transaction."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from gateway_project.sqlite_backend import base as backend
from tenants.models import Tenant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("the write turn is part of the SQLite backend only")


def turn_is_free() -> bool:
    """Whether another thread could take the turn right now."""
    result = []

    def probe():
        taken = backend._WRITE_TURN.acquire(timeout=0)
        if taken:
            backend._WRITE_TURN.release()
        result.append(taken)

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    return result[0]


def test_a_transaction_holds_the_turn_until_it_commits():
    with transaction.atomic():
        Tenant.objects.create(name="A", region="eu", api_key_digest="a" * 64)
        assert not turn_is_free()
    assert turn_is_free()


def test_a_rolled_back_transaction_gives_the_turn_back():
    with pytest.raises(RuntimeError), transaction.atomic():
        Tenant.objects.create(name="A", region="eu", api_key_digest="a" * 64)
        raise RuntimeError("roll back")
    assert turn_is_free()
    assert not Tenant.objects.exists()


def test_a_write_outside_a_transaction_takes_the_turn_for_its_statement(monkeypatch):
    seen = []
    real_execute = backend.base.SQLiteCursorWrapper.execute

    def watching(cursor, query, params=None):
        if query.startswith("INSERT"):
            seen.append(turn_is_free())
        return real_execute(cursor, query, params)

    monkeypatch.setattr(backend.base.SQLiteCursorWrapper, "execute", watching)
    Tenant.objects.create(name="A", region="eu", api_key_digest="a" * 64)

    assert seen == [False]
    assert turn_is_free()


def test_a_second_writer_waits_for_the_turn_and_then_writes():
    order = []
    holding = threading.Event()

    def second_writer():
        holding.wait()
        Tenant.objects.create(name="second", region="eu", api_key_digest="b" * 64)
        order.append("second")
        connections["default"].close()

    writer = threading.Thread(target=second_writer)
    writer.start()
    with transaction.atomic():
        Tenant.objects.create(name="first", region="eu", api_key_digest="a" * 64)
        holding.set()
        time.sleep(0.2)  # the second writer is queued on the turn meanwhile
        order.append("first")
    writer.join(10)

    assert order == ["first", "second"]
    assert Tenant.objects.count() == 2
