"""SQLite with writers queued on a file lock.

SQLite's own busy handler polls a held write lock with sleeps of 1, 2, 5 … 100 ms,
so a few workers submitting at once spend tens of milliseconds asleep while the
lock is free. Taking a blocking `flock` before `BEGIN IMMEDIATE` queues writers in
the kernel instead: the next one wakes the moment the previous one commits. A write
outside a transaction (autocommit: one statement, committed by SQLite itself) holds
the lock just for that statement.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager

from django.db.backends.sqlite3 import base

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _cursor_class(wrapper: DatabaseWrapper) -> type[base.SQLiteCursorWrapper]:
    class Cursor(base.SQLiteCursorWrapper):
        def execute(self, query, params=None):
            if wrapper._autocommit_write(query):
                with wrapper._writer_lock():
                    return super().execute(query, params)
            return super().execute(query, params)

        def executemany(self, query, param_list):
            if wrapper._autocommit_write(query):
                with wrapper._writer_lock():
                    return super().executemany(query, param_list)
            return super().executemany(query, param_list)

    return Cursor


class DatabaseWrapper(base.DatabaseWrapper):
    _writer_fd: int | None = None
    _writer_held = False
    _cursor_factory: type[base.SQLiteCursorWrapper] = base.SQLiteCursorWrapper

    def get_new_connection(self, conn_params):
        conn = super().get_new_connection(conn_params)
        if not self.is_in_memory_db() and self._writer_fd is None:
            self._writer_fd = os.open(
                f"{self.settings_dict['NAME']}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600
            )
            self._cursor_factory = _cursor_class(self)
        return conn

    def create_cursor(self, name=None):
        return self.connection.cursor(factory=self._cursor_factory)

    def _autocommit_write(self, query: str) -> bool:
        return (
            self.autocommit
            and not self._writer_held
            and self._writer_fd is not None
            and query.lstrip()[:7].upper().startswith(_WRITES)
        )

    @contextmanager
    def _writer_lock(self):
        self._acquire_writer()
        try:
            yield
        finally:
            self._release_writer()

    def _acquire_writer(self) -> None:
        fcntl.flock(self._writer_fd, fcntl.LOCK_EX)
        self._writer_held = True

    def _start_transaction_under_autocommit(self):
        if self._writer_fd is not None and not self._writer_held:
            self._acquire_writer()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer()
            raise

    def _release_writer(self) -> None:
        if self._writer_held:
            self._writer_held = False
            fcntl.flock(self._writer_fd, fcntl.LOCK_UN)

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_writer()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_writer()

    def _close(self):
        self._release_writer()
        try:
            return super()._close()
        finally:
            if self._writer_fd is not None:
                os.close(self._writer_fd)
                self._writer_fd = None
