"""SQLite whose writers take turns on a lock in each process, instead of in SQLite's busy loop.

SQLite lets one connection write at a time. A writer that finds the write lock taken
sleeps and polls (1, 2, 5 … up to 100 ms between tries), so with many writers some wait
far longer than the queue ahead of them and the latency tail grows with every thread. The
server runs Django on several threads per process (gateway_project/asgi.py); here a
process's writers first queue on one lock, held from BEGIN to COMMIT (or for one statement
in autocommit), so at most one writer per process polls SQLite. Readers never wait: WAL.
"""

import threading

from django.db.backends.sqlite3 import base

Database = base.Database
# Reentrant: one thread may hold two connections (tests do), each taking its turn.
_WRITE_TURN = threading.RLock()
_WRITE_STATEMENTS = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _take_turn(timeout: float) -> None:
    if not _WRITE_TURN.acquire(timeout=timeout):
        raise Database.OperationalError("database is locked (still waiting for this process's other writers)")


def _writes(query: str) -> bool:
    return query.lstrip()[:7].upper().startswith(_WRITE_STATEMENTS)


class WriteTurnCursor(base.SQLiteCursorWrapper):
    """A write outside a transaction takes the process's write turn for its one statement."""

    turn_timeout = 5.0

    def execute(self, query, params=None):
        if self.connection.in_transaction or not _writes(query):
            return super().execute(query, params)
        _take_turn(self.turn_timeout)
        try:
            return super().execute(query, params)
        finally:
            _WRITE_TURN.release()

    def executemany(self, query, param_list):
        if self.connection.in_transaction or not _writes(query):
            return super().executemany(query, param_list)
        _take_turn(self.turn_timeout)
        try:
            return super().executemany(query, param_list)
        finally:
            _WRITE_TURN.release()


class DatabaseWrapper(base.DatabaseWrapper):
    """A transaction (BEGIN IMMEDIATE: the settings' transaction_mode) holds the turn until it ends."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._holds_turn = False

    @property
    def _turn_timeout(self) -> float:
        return float(self.settings_dict["OPTIONS"].get("timeout", 5))

    def _give_back_turn(self) -> None:
        if self._holds_turn:
            self._holds_turn = False
            _WRITE_TURN.release()

    def _start_transaction_under_autocommit(self):
        if not self._holds_turn:
            _take_turn(self._turn_timeout)
            self._holds_turn = True
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._give_back_turn()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._give_back_turn()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._give_back_turn()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._give_back_turn()

    def create_cursor(self, name=None):
        cursor = self.connection.cursor(factory=WriteTurnCursor)
        cursor.turn_timeout = self._turn_timeout
        return cursor
