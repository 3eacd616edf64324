"""Group commit for the public form's acknowledgements.

Each acknowledged submission needs one durable row (cases.PendingSubmission). One
INSERT and one commit per submission made every answer pay a WAL flush of its own:
on PostgreSQL a third of a millisecond of the database's CPU and as much again in
the worker, waking up after it. In production mode the workers hand the row to this
one process per host over a Unix socket; it writes whatever has arrived meanwhile as
one multi-row INSERT, one commit, one flush, and then answers each worker. Under
load the rows of several answers share a flush; alone, a row is written at once.

Nothing here is needed for correctness: a worker that cannot reach the writer (not
running, restarting, slow, an error) inserts the row itself, with the same tracking
code, so a row the writer did commit is found again and never stored twice.

The frame: 4-byte big-endian length, then a JSON array [tracking code, intake key,
received at (ISO 8601), form (its JSON text)]. The answer is one byte: STORED,
CONFLICT (a row with that intake key or code is there already) or FAILED.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import selectors
import socket
import struct
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, connection

log = logging.getLogger(__name__)

STORED, CONFLICT, FAILED = b"+", b"=", b"!"
_LENGTH = struct.Struct(">I")
MAX_FRAME = 256 * 1024
MAX_BATCH = 128  # rows in one INSERT (4 parameters each: far below any driver's limit)
RETRY_AFTER = 1.0  # seconds a worker inserts by itself after the writer failed it


class WriterUnavailable(Exception):
    """The writer did not answer: the caller inserts the row itself."""


# --- the worker's side --------------------------------------------------------

_local = threading.local()
_down_until = 0.0


def usable() -> bool:
    """Configured, not failed in the last second, and no caller's transaction open
    (the writer's commit is its own: it would outlive the caller's rollback)."""
    return (
        bool(settings.CASES_INTAKE_SOCKET)
        and time.monotonic() >= _down_until
        and not connection.in_atomic_block
    )


def submit(code: str, intake_key: str, received_at: dt.datetime, form_json: str) -> bool:
    """Hands one row to the writer: True once committed, False if a row with this
    intake key or code was there already. WriterUnavailable when it did not say."""
    global _down_until
    frame = json.dumps(
        [code, intake_key, received_at.isoformat(), form_json], ensure_ascii=False
    ).encode()
    try:
        sock = _socket()
        sock.sendall(_LENGTH.pack(len(frame)) + frame)
        answer = sock.recv(1)
    except OSError as exc:
        _drop_socket()
        _down_until = time.monotonic() + RETRY_AFTER
        raise WriterUnavailable(str(exc)) from exc
    if answer == STORED:
        return True
    if answer == CONFLICT:
        return False
    _drop_socket()  # FAILED, or the writer went away (b"")
    if not answer:
        _down_until = time.monotonic() + RETRY_AFTER
    raise WriterUnavailable(f"writer answered {answer!r}")


def _socket() -> socket.socket:
    # One connection per thread (a worker's threads each wait for their own answer),
    # opened in the process that uses it: never shared across a fork.
    sock = getattr(_local, "sock", None)
    if sock is None or _local.pid != os.getpid():
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(settings.CASES_INTAKE_TIMEOUT_SECONDS)
        try:
            sock.connect(settings.CASES_INTAKE_SOCKET)
        except OSError:
            sock.close()
            raise
        _local.sock, _local.pid = sock, os.getpid()
    return sock


def _drop_socket() -> None:
    sock = getattr(_local, "sock", None)
    _local.sock = None
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.close()


# --- the writer ---------------------------------------------------------------


def write_batch(rows: list[list[str]]) -> set[str]:
    """One multi-row INSERT of [code, intake key, received at, form] rows in one
    commit; the codes stored (a row whose intake key or code is taken is left out)."""
    from .models import PendingSubmission

    ops = connection.ops
    params: list = []
    for code, key, received, form in rows:
        at = ops.adapt_datetimefield_value(dt.datetime.fromisoformat(received))
        params += [code, key, form, at]
    values = ", ".join(["(%s, %s, %s, %s, '')"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {PendingSubmission._meta.db_table} "
            f"(tracking_code, intake_key, form, received_at, error) VALUES {values} "
            "ON CONFLICT DO NOTHING RETURNING tracking_code",
            params,
        )
        return {code for (code,) in cursor.fetchall()}


class _Client:
    __slots__ = ("sock", "buffer")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()

    def frames(self) -> list[list[str]] | None:
        """The complete frames read so far; None for a frame that makes no sense."""
        out = []
        while len(self.buffer) >= 4:
            (size,) = _LENGTH.unpack_from(self.buffer)
            if size > MAX_FRAME:
                return None
            if len(self.buffer) < 4 + size:
                break
            raw = bytes(self.buffer[4 : 4 + size])
            del self.buffer[: 4 + size]
            try:
                row = json.loads(raw)
            except ValueError:
                return None
            if not (
                isinstance(row, list) and len(row) == 4 and all(isinstance(v, str) for v in row)
            ):
                return None
            out.append(row)
        return out


def serve(path: str, *, stop: Callable[[], bool] = lambda: False, ready=None) -> int:
    """Accepts workers on the Unix socket `path` and writes their rows until stop()
    says so; returns the number of rows stored."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o660)
    listener.listen(1024)
    listener.setblocking(False)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, None)
    if ready is not None:
        ready()
    stored = 0
    try:
        while not stop():
            batch: list[tuple[_Client, list[str]]] = []
            for key, _ in selector.select(timeout=0.5):
                if key.data is None:
                    _accept(listener, selector)
                else:
                    batch += _read(key.data, selector)
            for start in range(0, len(batch), MAX_BATCH):
                stored += _answer(batch[start : start + MAX_BATCH], selector)
    finally:
        for key in list(selector.get_map().values()):
            key.fileobj.close()
        selector.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    return stored


def _accept(listener: socket.socket, selector: selectors.BaseSelector) -> None:
    while True:
        try:
            sock, _ = listener.accept()
        except BlockingIOError:
            return
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ, _Client(sock))


def _read(client: _Client, selector: selectors.BaseSelector) -> list:
    try:
        data = client.sock.recv(65536)
    except BlockingIOError:
        return []
    except OSError:
        data = b""
    if data:
        client.buffer += data
        frames = client.frames()
        if frames is not None:
            return [(client, row) for row in frames]
    _close(client, selector)  # gone, or not speaking the protocol
    return []


def _close(client: _Client, selector: selectors.BaseSelector) -> None:
    with contextlib.suppress(KeyError, ValueError):
        selector.unregister(client.sock)
    client.sock.close()


def _answer(batch: list[tuple[_Client, list[str]]], selector: selectors.BaseSelector) -> int:
    # (A test runs the writer inside its own transaction: that connection stays.)
    outside_transaction = not connection.in_atomic_block
    try:
        if outside_transaction:  # a broken or expired connection is opened anew
            close_old_connections()
        codes = write_batch([row for _, row in batch])
        answers = [STORED if row[0] in codes else CONFLICT for _, row in batch]
    except Exception:
        # Each worker then inserts its own row and meets the error itself.
        log.exception("intake writer: a batch of %d rows failed", len(batch))
        if outside_transaction:
            with contextlib.suppress(Exception):
                connection.close()
        codes, answers = set(), [FAILED] * len(batch)
    for (client, _), answer in zip(batch, answers, strict=True):
        try:
            client.sock.send(answer)
        except OSError:
            _close(client, selector)
    return len(codes)
