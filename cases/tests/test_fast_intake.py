"""The public submission's busy path (cases/fastintake.py) through the real WSGI entry
point, and the queue behind it (PendingSubmission, submissions_drain)."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from http.cookies import SimpleCookie

import pytest
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone

from cases import jobs, services
from cases.models import Case, CaseContact, PendingSubmission
from config.wsgi import application
from tracking.models import TimelineEntry

pytestmark = pytest.mark.django_db
PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _wsgi_in_a_test_transaction():
    # As Django's test client does: the handler's per-request connection check would
    # close the test's connection (it sits in a transaction rolled back after the test).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    cache.clear()
    yield
    cache.clear()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


class Browser:
    """A resident's browser talking WSGI to config.wsgi.application (fast path included)."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def call(self, method: str, path: str, body: bytes = b"", ctype: str = "") -> tuple:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "HTTP_HOST": "testserver",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": ctype,
        }
        if self.cookies:
            environ["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        answer: dict = {}

        def start_response(status, headers, exc_info=None):
            answer["status"], answer["headers"] = int(status.split()[0]), headers

        chunks = application(environ, start_response)
        try:
            content = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()  # as the server does, after sending
        for name, value in answer["headers"]:
            if name.lower() == "set-cookie":
                jar = SimpleCookie()
                jar.load(value)
                self.cookies.update({k: m.value for k, m in jar.items()})
        return answer["status"], dict(answer["headers"]), content.decode()

    def token(self) -> str:
        status, _, page = self.call("GET", "/submit/")
        assert status == 200
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    def post(self, fields: dict, photo: bytes | None = None) -> tuple:
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        ]
        name = "p.jpg" if photo else ""
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="{name}"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n".encode()
            + (photo or b"")
            + b"\r\n"
        )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.call("POST", "/submit/", body, f"multipart/form-data; boundary={boundary}")


def fields(browser: Browser, node, **kw) -> dict:
    data = {
        "csrfmiddlewaretoken": browser.token(),
        "kind": "request",
        "town": node("T01").pk,
        "place": node("T01V01").pk,
        "text": "小区门口路灯坏了两个月，晚上很黑。",
        "name": "王小明",
        "phone": PHONE,
        "intake_key": uuid.uuid4().hex,
    }
    data.update(kw)
    return data


@pytest.fixture
def full_stack(monkeypatch):
    """Counts the requests handed on to Django's full stack."""
    seen: list[str] = []
    django_app = application.app

    def counting(environ, start_response):
        seen.append(environ["REQUEST_METHOD"])
        return django_app(environ, start_response)

    monkeypatch.setattr(application, "app", counting)
    return seen


def test_valid_submission_is_acknowledged_then_filed(node, full_stack):
    b = Browser()
    data = fields(b, node)
    status, headers, _ = b.post(data)
    assert status == 302
    assert full_stack == ["GET"]  # the form page only: the POST was answered in front
    code = re.fullmatch(r"/submit/done/([0-9A-Z]+)/", headers["Location"]).group(1)
    # The same headers as the full stack gives a redirect.
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    # Made a case right after the answer (drain after response, the default).
    case = Case.objects.get(tracking_code=code)
    assert case.place == node("T01V01") and case.channel == "web"
    assert CaseContact.objects.get(case=case).phone == PHONE
    assert TimelineEntry.objects.filter(action="case.submit").count() == 1
    row = PendingSubmission.objects.get(tracking_code=code)
    assert row.case == case and row.form == {}  # the contact is not kept twice
    # The done page is for this browser only, as on the full path.
    status, _, page = b.call("GET", headers["Location"])
    assert status == 200 and code in page


def test_resend_of_the_same_form_gets_the_same_code_and_one_case(node):
    b = Browser()
    data = fields(b, node)
    first = b.post(data)
    again = b.post(data)
    assert first[0] == again[0] == 302
    assert first[1]["Location"] == again[1]["Location"]
    assert Case.objects.count() == 1 and PendingSubmission.objects.count() == 1


def test_same_form_key_from_another_phone_is_refused(node):
    b = Browser()
    data = fields(b, node)
    assert b.post(data)[0] == 302
    status, _, page = b.post({**data, "phone": "13700001111"})
    assert status == 400 and "该表单已提交过" in page
    assert Case.objects.count() == 1


def test_without_csrf_token_refused_and_nothing_saved(node):
    b = Browser()
    data = fields(b, node)
    data["csrfmiddlewaretoken"] = "x" * 64
    status, _, _ = b.post(data)
    assert status == 403
    assert Case.objects.count() == 0 and PendingSubmission.objects.count() == 0


def test_invalid_form_gets_the_full_page_with_chinese_messages(node, full_stack):
    b = Browser()
    status, _, page = b.post(fields(b, node, text="  ", place="99999999"))
    assert status == 400
    assert full_stack == ["GET", "POST"]
    assert "请填写诉求内容" in page and "请选择所在乡镇（街道）和村（社区）" in page
    assert Case.objects.count() == 0 and PendingSubmission.objects.count() == 0


def test_rate_limit_holds_on_the_fast_path(node, settings):
    settings.CASES_RATE_SUBMIT_PHONE = "2/h"
    b = Browser()
    assert [b.post(fields(b, node))[0] for _ in range(2)] == [302, 302]
    status, _, page = b.post(fields(b, node))
    assert status == 429 and "提交过于频繁" in page
    assert Case.objects.count() == 2


def test_photo_goes_the_full_way(node):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(buf, "JPEG")
    b = Browser()
    status, headers, _ = b.post(fields(b, node), photo=buf.getvalue())
    assert status == 302
    case = Case.objects.get()
    assert headers["Location"].endswith(f"/{case.tracking_code}/")
    assert PendingSubmission.objects.count() == 0  # not queued: saved with its photo


def test_a_village_added_since_the_cache_is_still_accepted(node):
    from cases import fastintake
    from orgs.models import OrgNode

    b = Browser()
    assert b.post(fields(b, node))[0] == 302  # the cache is filled now
    town = node("T01")
    village = OrgNode.objects.add_child(
        town, {"code": "T01V99", "name": "新建村", "kind": OrgNode.Kind.VILLAGE}
    )
    assert village.pk not in fastintake._Cache.places
    status, headers, _ = b.post(fields(b, node, place=village.pk))
    assert status == 302
    assert Case.objects.filter(place=village).count() == 1


def test_without_drain_after_answer_the_code_lookup_and_the_periodic_job_file_it(node, settings):
    settings.CASES_DRAIN_AFTER_RESPONSE = False
    b = Browser()
    codes = []
    for _ in range(2):
        status, headers, _ = b.post(fields(b, node))
        assert status == 302
        codes.append(headers["Location"].split("/")[-2])
    assert Case.objects.count() == 0
    assert PendingSubmission.objects.filter(case=None).count() == 2
    # The resident follows the first code: it is filed on the spot.
    case = services.case_by_code(tracking_code=codes[0], phone_last4=PHONE[-4:])
    assert case.tracking_code == codes[0]
    assert Case.objects.count() == 2  # the drain took the whole queue, oldest first
    assert jobs.submissions_catch_up() == {"drained": 0, "removed": 0}


def test_catch_up_files_leftovers_and_removes_old_rows(node):
    code = services.submission_receive(
        text="垃圾桶满了没人清运", kind="request", place=node("T01V01").pk, name="李四", phone=PHONE
    )
    assert not Case.objects.filter(tracking_code=code).exists()
    assert jobs.submissions_catch_up() == {"drained": 1, "removed": 0}
    assert Case.objects.filter(tracking_code=code).exists()
    PendingSubmission.objects.update(received_at=timezone.now() - dt.timedelta(days=8))
    assert jobs.submissions_catch_up() == {"drained": 0, "removed": 1}
    assert Case.objects.filter(tracking_code=code).exists()  # the case stays


def test_a_row_whose_village_is_gone_is_set_aside_not_retried(node):
    from orgs.models import OrgNode

    village = OrgNode.objects.add_child(
        node("T01"), {"code": "T01V98", "name": "撤并村", "kind": OrgNode.Kind.VILLAGE}
    )
    services.submission_receive(
        text="道路破损", kind="request", place=village.pk, name="李四", phone=PHONE
    )
    OrgNode.objects.filter(pk=village.pk).delete()
    assert services.submissions_drain() == 1
    row = PendingSubmission.objects.get()
    assert row.case is None and "不存在" in row.error
    assert services.submissions_drain() == 0  # set aside, not retried in a loop


def test_malformed_body_is_left_to_django_and_saves_nothing(node, full_stack):
    b = Browser()
    b.token()
    status, _, _ = b.call(
        "POST", "/submit/", b"--x\r\nnot a part at all", "multipart/form-data; boundary=x"
    )
    assert status in (400, 403)
    assert full_stack == ["GET", "POST"]
    assert PendingSubmission.objects.count() == 0 and Case.objects.count() == 0


def test_the_drain_process_waits_while_submissions_arrive_but_not_past_the_lag(node):
    due = services.submissions_drain_due
    assert due(quiet=0.5, max_lag=30) is False  # nothing waiting
    for _ in range(2):
        services.submission_receive(
            text="路灯不亮", kind="request", place=node("T01V01").pk, name="李四", phone=PHONE
        )
    # The newest arrived just now: answering residents comes first.
    assert due(quiet=0.5, max_lag=30) is False
    now = timezone.now()
    first, second = PendingSubmission.objects.order_by("id")
    PendingSubmission.objects.filter(pk=second.pk).update(received_at=now - dt.timedelta(seconds=1))
    PendingSubmission.objects.filter(pk=first.pk).update(received_at=now - dt.timedelta(seconds=2))
    assert due(quiet=0.5, max_lag=30) is True  # a pause: file now
    assert due(quiet=5, max_lag=30) is False
    # Still arriving, but the oldest has waited long enough.
    PendingSubmission.objects.filter(pk=first.pk).update(received_at=now - dt.timedelta(seconds=31))
    assert due(quiet=5, max_lag=30) is True
    services.submissions_drain()
    assert due(quiet=0, max_lag=0) is False  # all filed


def run_drainer(seconds: float, **options) -> None:
    """The drain process's loop, stopped by SIGTERM (as the service manager stops it)."""
    import os
    import signal

    from django.core.management import call_command

    old_term, old_alarm = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGALRM)
    signal.signal(signal.SIGALRM, lambda *_: os.kill(os.getpid(), signal.SIGTERM))
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        call_command("drain_submissions", idle=0.02, **options)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGTERM, old_term)
        signal.signal(signal.SIGALRM, old_alarm)


def test_drain_command_files_in_a_pause_and_stops_on_sigterm(node):
    services.submission_receive(
        text="井盖缺失", kind="request", place=node("T01V01").pk, name="李四", phone=PHONE
    )
    assert Case.objects.count() == 0
    run_drainer(1.5, quiet=0, max_lag=30)
    assert Case.objects.count() == 1
    assert PendingSubmission.objects.get().case.tracking_code == Case.objects.get().tracking_code


def test_drain_command_waits_while_submissions_arrive(node):
    from django.core.management import call_command

    services.submission_receive(
        text="井盖缺失", kind="request", place=node("T01V01").pk, name="李四", phone=PHONE
    )
    # The row is fresh and the pause must last 60 s: nothing is filed yet.
    run_drainer(0.5, quiet=60, max_lag=60)
    assert Case.objects.count() == 0
    call_command("drain_submissions", once=True, quiet=60, max_lag=60)  # --once: now
    assert Case.objects.count() == 1


def test_a_queued_form_saved_meanwhile_by_the_photo_path_is_linked_not_doubled(node):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    form = dict(text="桥面开裂", kind="request", place=node("T01V01").pk, name="李四", phone=PHONE)
    code = services.submission_receive(intake_key="k-photo", **form)
    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, "JPEG")
    photo = SimpleUploadedFile("p.jpg", buf.getvalue(), content_type="image/jpeg")
    saved = services.case_submit_public(intake_key="k-photo", photos=[photo], **form)
    assert services.submissions_drain() == 1
    row = PendingSubmission.objects.get(tracking_code=code)
    assert row.case == saved and row.form == {}
    assert Case.objects.count() == 1


def test_a_queued_code_taken_meanwhile_is_set_aside_and_the_rest_filed(node):
    form = dict(text="路面塌陷", kind="request", place=node("T01V01").pk, name="李四", phone=PHONE)
    first = services.submission_receive(intake_key="k1", **form)
    second = services.submission_receive(intake_key="k2", **form)
    other = services.case_submit_public(intake_key="k3", **form)  # filed at once
    Case.objects.filter(pk=other.pk).update(tracking_code=first)
    assert services.submissions_drain() == 2
    rows = {r.tracking_code: r for r in PendingSubmission.objects.all()}
    assert rows[first].case is None and "重复" in rows[first].error
    assert rows[second].case.tracking_code == second
    assert Case.objects.count() == 2
