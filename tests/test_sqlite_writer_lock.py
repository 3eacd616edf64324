"""config.sqlite_backend: a write transaction holds the writer file lock from BEGIN to
COMMIT or ROLLBACK, so other writers wait in the kernel rather than SQLite's sleeps."""

from __future__ import annotations

import fcntl
import os

import pytest
from django.db.utils import ConnectionHandler


@pytest.fixture
def sqlite_file(tmp_path, django_db_blocker, monkeypatch):
    # The browser tests' Playwright loop may still run in this thread; this scratch
    # connection has nothing async about it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "config.sqlite_backend",
                "NAME": str(tmp_path / "w.sqlite3"),
                "OPTIONS": {"transaction_mode": "IMMEDIATE"},
            }
        }
    )
    conn = handler["default"]
    with django_db_blocker.unblock():  # a scratch file of its own, not the test database
        conn.ensure_connection()
        with conn.cursor() as c:
            c.execute("CREATE TABLE t (x INTEGER)")
        yield conn, tmp_path / "w.sqlite3-writer.lock"
        conn.close()


def _lock_is_free(path) -> bool:
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing the descriptor drops a lock taken through it
    return True


def _begin(conn) -> None:
    # What transaction.atomic() does on this backend for the outermost block.
    conn.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_the_lock_is_held_for_the_whole_write_transaction(sqlite_file, end):
    conn, lock = sqlite_file
    assert _lock_is_free(lock)
    _begin(conn)
    with conn.cursor() as c:
        c.execute("INSERT INTO t VALUES (1)")
    assert not _lock_is_free(lock)
    getattr(conn, end)()
    conn.set_autocommit(True)
    assert _lock_is_free(lock)
    with conn.cursor() as c:
        c.execute("SELECT count(*) FROM t")
        assert c.fetchone()[0] == (1 if end == "commit" else 0)


def test_closing_the_connection_releases_the_lock(sqlite_file):
    conn, lock = sqlite_file
    _begin(conn)
    assert not _lock_is_free(lock)
    conn.close()
    assert _lock_is_free(lock)


def test_a_write_in_autocommit_queues_on_the_lock_for_that_statement_only(sqlite_file):
    import threading

    conn, lock = sqlite_file
    other = os.open(lock, os.O_RDWR)  # another process's writer, mid-transaction
    fcntl.flock(other, fcntl.LOCK_EX)
    done = threading.Event()

    def write():
        with conn.cursor() as c:
            c.execute("INSERT INTO t VALUES (2)")
        done.set()

    conn.inc_thread_sharing()  # the statement runs in a thread, to be seen waiting
    try:
        writer = threading.Thread(target=write)
        writer.start()
        assert not done.wait(0.3)  # waiting in the kernel, not failing nor writing
    finally:
        os.close(other)  # the other writer commits: its lock goes
    writer.join(10)
    conn.dec_thread_sharing()
    assert done.is_set()
    assert _lock_is_free(lock)  # held for the statement, not after it
    with conn.cursor() as c:
        c.execute("SELECT count(*) FROM t")
        assert c.fetchone()[0] == 1
