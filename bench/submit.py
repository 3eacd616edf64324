"""Public submission through the HTTP server, and the check that nothing was lost.

A resident's path: GET the form (CSRF cookie and token), then POST it; the
server answers 302 to /submit/done/<tracking code>/. Each POST carries its own
intake key (the form's double-submit guard) and a marker in its text, so the
check can tell "acknowledged but missing" from "stored twice" independently.
"""

from __future__ import annotations

import http.client
import os
import re
import uuid
from http.cookies import SimpleCookie

from .load import Job, Request, fetch
from .textgen import TextGen

FORM = "/submit/"
DONE = re.compile(r"/submit/done/([0-9A-Z]+)/")
TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
# Filled by the orchestrator from the setup stage: villages residents pick.
PLACES: list[int] = []


def http_available(port: int) -> bool:
    try:
        status, _, _ = fetch(port, Request("GET", FORM), timeout=10)
    except OSError:
        return False
    return status == 200 and bool(PLACES)


def marker(run_id: str, seq: int) -> str:
    return f"bench{run_id}n{seq:06d}"


class SubmitJob(Job):
    def __init__(self, thread: int, run_id: str = "") -> None:
        self.thread = thread
        self.run_id = run_id or uuid.uuid4().hex[:8]
        self.text = TextGen(seed=1000 + thread)

    def prepare(self, port: int) -> None:
        status, headers, body = fetch(port, Request("GET", FORM))
        cookie = SimpleCookie()
        for value in headers.get_all("Set-Cookie") or []:
            cookie.load(value)
        self.cookie = "; ".join(f"{k}={m.value}" for k, m in cookie.items())
        found = TOKEN.search(body)
        if status != 200 or not found:
            raise RuntimeError(f"submission form not usable: {status}")
        self.token = found.group(1).decode()

    def build(self, seq: int) -> Request:
        key = marker(self.run_id, seq) if seq >= 0 else uuid.uuid4().hex
        _, text = self.text.case()
        place = PLACES[(seq * 7 + self.thread) % len(PLACES)]
        fields = {
            "csrfmiddlewaretoken": self.token,
            "kind": "request",
            "place": str(place),
            "text": f"{text}（{key}）",
            "name": self.text.person(),
            "phone": self.text.phone(),
            "intake_key": key,
        }
        # multipart/form-data, as the browser sends the form (it has a photo input).
        boundary = f"----banshibench{uuid.uuid4().hex}"
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
            for k, v in fields.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename=""\r\n'
            "Content-Type: application/octet-stream\r\n\r\n\r\n"
        )
        body = ("".join(parts) + f"--{boundary}--\r\n").encode()
        return Request(
            "POST",
            FORM,
            body,
            {"Content-Type": f"multipart/form-data; boundary={boundary}", "Cookie": self.cookie},
        )

    def check(self, status: int, headers: http.client.HTTPMessage, body: bytes):
        found = DONE.search(headers.get("Location") or "")
        if status == 302 and found:
            return True, found.group(1)
        return False, None


def verify(acknowledged: list[list[str]], markers: list[str]) -> dict:
    """acknowledged: [[intake key, tracking code]]; markers: every key that was sent."""
    from cases.models import Case

    stored = dict(
        Case.objects.filter(intake_key__in=markers).values_list("intake_key", "tracking_code")
    )
    lost = [key for key, code in acknowledged if stored.get(key) != code]
    # Stored twice = the marker in more than one case's text, whatever the intake key says.
    prefix = os.path.commonprefix(markers)
    texts = Case.objects.filter(text__contains=prefix).values_list("text", flat=True)
    seen: dict[str, int] = {}
    for t in texts:
        m = re.search(r"（(bench\w+)）", t)
        if m:
            seen[m.group(1)] = seen.get(m.group(1), 0) + 1
    doubled = [k for k, n in seen.items() if n > 1]
    return {
        "stored": len(stored),
        "stored_unacknowledged": len(set(stored) - {k for k, _ in acknowledged}),
        "lost": len(lost),
        "doubled": len(doubled),
        "lost_or_doubled": len(lost) + len(doubled),
        "lost_examples": lost[:5],
    }
