"""The intake writer (cases/intake_writer.py): acknowledged rows of concurrent
submissions committed together, and every way it can fail leaving each row stored
exactly once.

The writer runs here in the test's own thread (its inserts land in the test's
transaction); the workers' side runs in threads that only speak the socket."""

from __future__ import annotations

import datetime as dt
import json
import socket
import struct
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from cases import intake_writer, services
from cases.models import PendingSubmission
from core.errors import InvalidInput

pytestmark = pytest.mark.django_db
PHONE = "13912345678"


@pytest.fixture
def writer_socket(tmp_path, settings, monkeypatch):
    path = str(tmp_path / "intake.sock")
    settings.CASES_INTAKE_SOCKET = path
    monkeypatch.setattr(intake_writer, "_down_until", 0.0)
    intake_writer._drop_socket()
    yield path
    intake_writer._drop_socket()


def run_writer(path: str, workers: list) -> int:
    """Serves in this thread until every worker thread is done; rows stored."""
    ready = threading.Event()
    threads = [threading.Thread(target=w, args=(ready,)) for w in workers]
    for t in threads:
        t.start()
    try:
        return intake_writer.serve(
            path, stop=lambda: not any(t.is_alive() for t in threads), ready=ready.set
        )
    finally:
        ready.set()
        for t in threads:
            t.join()


def row(code: str, key: str, phone: str = PHONE) -> tuple:
    form = {"text": f"路灯不亮（{code}）", "phone": phone, "place": 1}
    return code, key, timezone.now(), json.dumps(form, ensure_ascii=False)


def test_rows_from_several_workers_are_stored_once_each(writer_socket):
    answers: dict[str, list] = {}

    def worker(n: int):
        def go(ready):
            ready.wait(5)
            answers[n] = [intake_writer.submit(*row(f"C{n}X{i}", f"k{n}-{i}")) for i in range(5)]
            intake_writer._drop_socket()

        return go

    stored = run_writer(writer_socket, [worker(n) for n in range(4)])
    assert stored == 20
    assert all(a == [True] * 5 for a in answers.values()), answers
    rows = PendingSubmission.objects.filter(tracking_code__startswith="C")
    assert rows.count() == 20 and len({r.intake_key for r in rows}) == 20
    one = rows.get(tracking_code="C2X3")
    assert one.intake_key == "k2-3" and one.form["text"] == "路灯不亮（C2X3）"
    assert one.case is None and one.error == ""
    assert abs(one.received_at - timezone.now()) < dt.timedelta(minutes=1)


def test_a_taken_intake_key_is_answered_as_such_and_stored_once(writer_socket):
    answers = []

    def go(ready):
        ready.wait(5)
        answers.append(intake_writer.submit(*row("DUP1", "same-key")))
        answers.append(intake_writer.submit(*row("DUP2", "same-key")))
        intake_writer._drop_socket()

    assert run_writer(writer_socket, [go]) == 1
    assert answers == [True, False]
    assert list(
        PendingSubmission.objects.filter(intake_key="same-key").values_list(
            "tracking_code", flat=True
        )
    ) == ["DUP1"]


def test_a_batch_with_a_taken_key_stores_the_others():
    first = row("B1", "kb1")
    intake_writer.write_batch([[first[0], first[1], first[2].isoformat(), first[3]]])
    rows = [row("B2", "kb2"), row("B3", "kb1"), row("B4", "")]
    stored = intake_writer.write_batch([[c, k, r.isoformat(), f] for c, k, r, f in rows])
    assert stored == {"B2", "B4"}
    assert PendingSubmission.objects.filter(tracking_code__in=["B1", "B2", "B3", "B4"]).count() == 3


def test_a_worker_speaking_nonsense_is_cut_off_and_the_others_still_served(writer_socket):
    outcome = {}

    def rogue(ready):
        ready.wait(5)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(writer_socket)
            body = b'{"not": "a row"}'
            s.sendall(struct.pack(">I", len(body)) + body)
            outcome["rogue"] = s.recv(1)  # closed: b""

    def honest(ready):
        ready.wait(5)
        outcome["honest"] = intake_writer.submit(*row("OK1", "k-ok"))
        intake_writer._drop_socket()

    assert run_writer(writer_socket, [rogue, honest]) == 1
    assert outcome == {"rogue": b"", "honest": True}
    assert not PendingSubmission.objects.filter(intake_key="").exists()


def test_a_failed_batch_is_answered_failed_and_nothing_half_saved(writer_socket, monkeypatch):
    outcome = {}

    def broken(rows):
        raise RuntimeError("database gone")

    monkeypatch.setattr(intake_writer, "write_batch", broken)

    def go(ready):
        ready.wait(5)
        try:
            intake_writer.submit(*row("F1", "k-f"))
        except intake_writer.WriterUnavailable as exc:
            outcome["error"] = str(exc)
        intake_writer._drop_socket()

    assert run_writer(writer_socket, [go]) == 0
    assert "b'!'" in outcome["error"]
    assert not PendingSubmission.objects.filter(tracking_code="F1").exists()


# --- services.submission_receive with the writer -----------------------------


@pytest.fixture
def form(node):
    return {
        "text": "垃圾桶满了没人清运",
        "kind": "request",
        "place": node("T01V01").pk,
        "name": "李四",
        "phone": PHONE,
    }


@pytest.fixture
def writer_in_this_thread(writer_socket, monkeypatch):
    """submission_receive hands its row to `writer(...)`, run here in the test's
    transaction instead of over the socket (which a test transaction cannot share)."""
    calls = []

    def install(behaviour):
        def fake_submit(code, key, received, form_json):
            calls.append(code)
            return behaviour(code, key, received, form_json)

        monkeypatch.setattr(intake_writer, "usable", lambda: True)
        monkeypatch.setattr(intake_writer, "submit", fake_submit)
        return calls

    return install


def _write(code, key, received, form_json) -> bool:
    return code in intake_writer.write_batch([[code, key, received.isoformat(), form_json]])


def test_receive_through_the_writer(writer_in_this_thread, form):
    calls = writer_in_this_thread(_write)
    code = services.submission_receive(intake_key="w1", **form)
    assert calls == [code]
    row = PendingSubmission.objects.get(intake_key="w1")
    assert row.tracking_code == code and row.form["name"] == "李四"


def test_an_answer_lost_after_the_commit_is_not_stored_twice(writer_in_this_thread, form):
    def commit_then_vanish(code, key, received, form_json):
        _write(code, key, received, form_json)
        raise intake_writer.WriterUnavailable("connection reset")

    writer_in_this_thread(commit_then_vanish)
    code = services.submission_receive(intake_key="w2", **form)
    assert list(
        PendingSubmission.objects.filter(intake_key="w2").values_list("tracking_code", flat=True)
    ) == [code]
    # Without an intake key too: the code and its moment say the row is ours.
    code = services.submission_receive(**form)
    assert PendingSubmission.objects.filter(tracking_code=code).count() == 1


def test_a_writer_down_before_the_commit_leaves_the_row_to_the_worker(writer_in_this_thread, form):
    def down(code, key, received, form_json):
        raise intake_writer.WriterUnavailable("no such file")

    writer_in_this_thread(down)
    code = services.submission_receive(intake_key="w3", **form)
    assert PendingSubmission.objects.get(intake_key="w3").tracking_code == code


def test_a_resend_through_the_writer_gets_the_first_code_same_phone_only(
    writer_in_this_thread, form
):
    writer_in_this_thread(_write)
    first = services.submission_receive(intake_key="w4", **form)
    assert services.submission_receive(intake_key="w4", **form) == first
    with pytest.raises(InvalidInput, match="已提交过"):
        services.submission_receive(intake_key="w4", **{**form, "phone": "13700001111"})
    assert PendingSubmission.objects.filter(intake_key="w4").count() == 1


def test_an_unreachable_writer_is_skipped_for_a_moment(writer_socket, form):
    # The socket path is set but nobody listens: the row is inserted directly, and
    # the next submissions do not try the writer again for a second.
    assert intake_writer.usable() is False  # inside the test's transaction
    with pytest.raises(intake_writer.WriterUnavailable):
        intake_writer.submit(*row("U1", "k-u"))
    assert intake_writer._down_until > 0
    assert not PendingSubmission.objects.filter(tracking_code="U1").exists()


def test_the_command_needs_a_socket(settings):
    settings.CASES_INTAKE_SOCKET = ""
    with pytest.raises(CommandError, match="CASES_INTAKE_SOCKET"):
        call_command("intake_writer")
