"""SQLite with writers queued on a file lock.

SQLite's own busy handler polls a held write lock with sleeps of 1, 2, 5 … 100 ms,
so a few workers submitting at once spend tens of milliseconds asleep while the
lock is free. Taking a blocking `flock` before `BEGIN IMMEDIATE` queues writers in
the kernel instead: the next one wakes the moment the previous one commits.
"""

from __future__ import annotations

import fcntl
import os

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    _writer_fd: int | None = None
    _writer_held = False

    def get_new_connection(self, conn_params):
        conn = super().get_new_connection(conn_params)
        if not self.is_in_memory_db() and self._writer_fd is None:
            self._writer_fd = os.open(
                f"{self.settings_dict['NAME']}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600
            )
        return conn

    def _start_transaction_under_autocommit(self):
        if self._writer_fd is not None and not self._writer_held:
            fcntl.flock(self._writer_fd, fcntl.LOCK_EX)
            self._writer_held = True
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
