"""SQLite whose writers queue for their turn, instead of polling in SQLite's busy loop.

SQLite lets one connection write at a time. A writer that finds the write lock taken
sleeps and polls (1, 2, 5 … up to 100 ms between tries), so with many writers some wait far
longer than the queue ahead of them: with several processes of several threads each, the
echo p99 reached hundreds of milliseconds. Here every writer takes a turn first: threads of
one process queue on a lock, and processes queue on an exclusive flock() of a file beside the
database, which the kernel hands over as soon as it is released. The turn is held from BEGIN
(IMMEDIATE, the settings' transaction_mode) to the end of the transaction, or for one statement
in autocommit. Readers never wait (WAL), and programs outside the gateway (a sqlite3 shell)
still meet SQLite's own lock and busy timeout.
"""

import fcntl
import os
import threading

from django.db.backends.sqlite3 import base

Database = base.Database
_WRITE_STATEMENTS = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class WriteTurn:
    """One database file's turn to write, shared by the threads of this process and with other processes."""

    def __init__(self, database_path: str | None):
        # None: an in-memory database, which no other process can open.
        self.lock_path = f"{database_path}.writers" if database_path else None
        # Reentrant, and counted: one thread may hold two connections to the file (tests do).
        self.threads = threading.RLock()
        self.depth = 0
        self.file = None

    def take(self, timeout: float) -> None:
        if not self.threads.acquire(timeout=timeout):
            raise Database.OperationalError("database is locked (still waiting for this process's other writers)")
        try:
            if self.depth == 0 and self.lock_path:
                if self.file is None:
                    self.file = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
                # Blocks until the other processes' writer is done; that writer holds the turn only
                # for one transaction, in which SQLite's own busy timeout still bounds every wait.
                fcntl.flock(self.file, fcntl.LOCK_EX)
        except BaseException:
            self.threads.release()
            raise
        self.depth += 1

    def give_back(self) -> None:
        self.depth -= 1
        if self.depth == 0 and self.file is not None:
            fcntl.flock(self.file, fcntl.LOCK_UN)
        self.threads.release()


_turns: dict[str, WriteTurn] = {}
_turns_lock = threading.Lock()


def write_turn(database_path: str | None) -> WriteTurn:
    with _turns_lock:
        if database_path not in _turns:
            _turns[database_path] = WriteTurn(database_path)
        return _turns[database_path]


def _writes(query: str) -> bool:
    return query.lstrip()[:7].upper().startswith(_WRITE_STATEMENTS)


class WriteTurnCursor(base.SQLiteCursorWrapper):
    """A write outside a transaction takes the turn for its one statement."""

    turn: WriteTurn
    turn_timeout: float

    def execute(self, query, params=None):
        return self._in_turn_if_writing(query, lambda: super(WriteTurnCursor, self).execute(query, params))

    def executemany(self, query, param_list):
        return self._in_turn_if_writing(query, lambda: super(WriteTurnCursor, self).executemany(query, param_list))

    def _in_turn_if_writing(self, query, run):
        if self.connection.in_transaction or not _writes(query):
            return run()  # a read, or inside a transaction that already holds the turn
        self.turn.take(self.turn_timeout)
        try:
            return run()
        finally:
            self.turn.give_back()


class DatabaseWrapper(base.DatabaseWrapper):
    """A transaction holds the turn from its BEGIN until it commits, rolls back or is closed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._holds_turn = False

    @property
    def _turn(self) -> WriteTurn:
        return write_turn(None if self.is_in_memory_db() else str(self.settings_dict["NAME"]))

    @property
    def _turn_timeout(self) -> float:
        return float(self.settings_dict["OPTIONS"].get("timeout", 5))

    def _give_back_turn(self) -> None:
        if self._holds_turn:
            self._holds_turn = False
            self._turn.give_back()

    def _start_transaction_under_autocommit(self):
        if not self._holds_turn:
            self._turn.take(self._turn_timeout)
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
        cursor.turn, cursor.turn_timeout = self._turn, self._turn_timeout
        return cursor
