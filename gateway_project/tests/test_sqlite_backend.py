"""SQLite writers take turns, threads on a lock and processes on a file lock, held from BEGIN to the end."""

import fcntl
import subprocess
import sys
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


def turn() -> backend.WriteTurn:
    return backend.write_turn(str(connection.settings_dict["NAME"]))


def turn_is_free() -> bool:
    """Whether another thread, or another process, could take the turn right now."""
    result = []

    def probe():
        taken = turn().threads.acquire(timeout=0)
        if taken:
            turn().threads.release()
        result.append(taken)

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    with open(turn().lock_path, "a+") as lock_file:  # another open file description: as another process
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(lock_file, fcntl.LOCK_UN)
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


def test_a_writer_waits_for_another_process_holding_the_turn():
    Tenant.objects.count()  # open the connection, so only the insert is timed below
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'a+'); "
         "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(0.5)", turn().lock_path],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout.readline() == "held\n"
    started = time.monotonic()
    Tenant.objects.create(name="after", region="eu", api_key_digest="a" * 64)
    waited = time.monotonic() - started
    holder.wait(5)

    assert waited > 0.3  # queued behind the other process, not failed and not ahead of it
    assert Tenant.objects.filter(name="after").exists()
