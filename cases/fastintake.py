"""The public form's busy path, answered in front of Django's middleware stack.

A valid submission without photos needs one durable row (services.submission_receive)
and a redirect. Here it is parsed by a lean multipart parser and goes through the
same CSRF check (Django's own middleware, called directly), the same rate limits and
the same service as the full view. Anything else (a photo, an error to show, a CSRF
or rate-limit refusal, a place not in the cache, phone verification) is handed on
untouched to Django, whose view checks it all again and renders the page.
"""

from __future__ import annotations

import io
import logging
import re
import time
from collections.abc import Callable, Iterable

import multipart
from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.db import close_old_connections, connection
from django.http import QueryDict
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django.middleware.security import SecurityMiddleware
from django.urls import get_script_prefix, reverse
from django.utils.http import http_date

from core.errors import InvalidInput
from orgs.models import OrgNode
from taxonomy.models import Category

from . import services, views

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # the form's text fields; a photo goes the full way
PLACES_TTL = 60.0  # seconds: a new village waits at most this long for the fast path


_DISPOSITION = re.compile(
    rb'(?i:content-disposition): form-data; name="([^"\\\r\n]*)"(?:; filename="")?'
)


def plain_form(content_type: str, body: bytes) -> dict[str, list[str]] | None:
    """The text fields of a multipart body laid out exactly as browsers send this form
    (each part one Content-Disposition line, the empty photo input a Content-Type
    too), or None for anything else: a file, an unusual header, a quoted boundary, a
    value that is not UTF-8, the boundary inside a value… which the general parser
    then reads. A fifth of the general parser's time."""
    main, _, params = content_type.partition(";")
    if main.strip().lower() != "multipart/form-data":
        return None
    key, _, boundary = params.strip().partition("=")
    if key.lower() != "boundary" or not boundary or not boundary.isascii():
        return None
    if not all(c.isalnum() or c in "'()+_,-./:=? " for c in boundary) or len(boundary) > 70:
        return None
    delim = b"--" + boundary.encode()
    end = b"\r\n" + delim + b"--\r\n"
    if not body.startswith(delim + b"\r\n") or not body.endswith(end):
        return None
    parts = body[len(delim) + 2 : -len(end)].split(b"\r\n" + delim + b"\r\n")
    if body.count(delim) != len(parts) + 1:
        return None  # the boundary inside a part: the general parser decides
    fields: dict[str, list[str]] = {}
    try:
        for part in parts:
            head, sep, value = part.partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            found = _DISPOSITION.fullmatch(lines[0]) if sep else None
            if found is None:
                return None
            if found.group(0).endswith(b'filename=""'):  # the photo input, left empty
                # (Django's parser reads it as an empty field, not a file)
                if value or lines[1:] not in ([], [b"Content-Type: application/octet-stream"]):
                    return None
            elif len(lines) > 1:
                return None
            fields.setdefault(found.group(1).decode(), []).append(value.decode())
    except UnicodeDecodeError:
        return None
    return fields


class _Cache:
    """Place kinds and active categories by id, per process, refreshed every minute."""

    loaded = 0.0
    places: dict[int, str] = {}
    categories: set[int] = set()

    @classmethod
    def fresh(cls) -> type[_Cache]:
        if time.monotonic() - cls.loaded > PLACES_TTL:
            cls.places = dict(
                OrgNode.objects.filter(kind__in=services.PLACE_KINDS).values_list("id", "kind")
            )
            cls.categories = set(
                Category.objects.filter(is_active=True).values_list("id", flat=True)
            )
            cls.loaded = time.monotonic()
        return cls


def _int(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _connections_checked() -> None:
    # What Django's handler does at each request's start and end (CONN_MAX_AGE, broken
    # connections); never inside a transaction, which only a test wraps requests in.
    if not connection.in_atomic_block:
        close_old_connections()


def _pass(response):  # the middleware that only add headers, used as they are
    return response


_CSRF = CsrfViewMiddleware(_pass)
_HEADERS = (SecurityMiddleware(_pass), XFrameOptionsMiddleware(_pass))


class FastIntake:
    """WSGI wrapper: POST to the submission page tries the busy path first."""

    def __init__(self, app: Callable) -> None:
        self.app = app
        self._path: str | None = None

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "POST":
            if self._path is None:
                self._path = reverse("cases:submit")
            if environ.get("PATH_INFO") == self._path:
                answer = self._try(environ)
                if answer is not None:
                    start_response(*answer)
                    return _Answered(settings.CASES_DRAIN_AFTER_RESPONSE)
        return self.app(environ, start_response)

    def _try(self, environ: dict) -> tuple[str, list] | None:
        length = _int(environ.get("CONTENT_LENGTH") or "")
        if not length or length > MAX_BODY:
            return None
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            return self._accept(environ, body)
        except Exception:
            # Whatever went wrong here, the full view answers (and reports) it; a row
            # already saved is found again by its intake key.
            log.exception("fast intake fell back to the full view")
            return None
        finally:
            environ["wsgi.input"] = io.BytesIO(body)

    def _accept(self, environ: dict, body: bytes) -> tuple[str, list] | None:
        prepared = prepare(environ, body)
        if prepared is None:
            return None
        request, fields = prepared
        if views.over_submit_limits(request):
            return None
        try:
            code = services.submission_receive(**fields)
        except InvalidInput:
            return None
        return _Answer.headers(request, code)


def prepare(environ: dict, body: bytes) -> tuple[WSGIRequest, dict] | None:
    """The request (its CSRF token checked) and the service's fields of a plain
    submission, or None for anything the full view must answer. (Also what the
    benchmark's cost ladder runs as its parsing step.)"""
    if settings.CASES_VERIFY_PHONE:
        return None
    fields = plain_form(environ.get("CONTENT_TYPE", ""), body)
    if fields is None:  # not the browser's plain layout: the general parser
        try:
            form, files = multipart.parse_form_data(environ, strict=True, charset="utf-8")
        except multipart.MultipartError:
            return None  # Django's parser answers a malformed body its own way
        if any(f.filename or f.size for f in files.values()):
            return None
        fields = {}
        for key, value in form.iterallitems():
            fields.setdefault(key, []).append(value)
    _connections_checked()
    request = WSGIRequest(environ)
    post = QueryDict(mutable=True)
    for key, values in fields.items():
        post.setlist(key, values)
    request.POST = post
    _CSRF.process_request(request)
    if _CSRF.process_view(request, views.submit, (), {}) is not None:
        return None
    cache = _Cache.fresh()
    place_id, category_id = _int(post.get("place")), _int(post.get("category") or "0")
    kind = cache.places.get(place_id)
    if kind is None or (category_id and category_id not in cache.categories):
        return None
    submission = views.submission_form(post)
    submission["place"] = OrgNode(pk=place_id, kind=kind)
    submission["category"] = Category(pk=category_id) if category_id else None
    return request, submission


def _django_answer(request, code: str) -> tuple[str, list]:
    response = views.acknowledged(code)
    for mw in _HEADERS:
        response = mw.process_response(request, response)
    headers = [*response.items()]
    if "Content-Length" not in response:  # the body is empty: no chunked encoding
        headers.append(("Content-Length", "0"))
    headers += [("Set-Cookie", c.output(header="")) for c in response.cookies.values()]
    return f"{response.status_code} {response.reason_phrase}", headers


_COOKIE_MAX_AGE = views.LAST_CODE_MAX_AGE  # the template below checks the answer has it


class _Answer:
    """The acknowledgement: Django's own answer (views.acknowledged and the header
    middleware) taken apart once per process, scheme and script prefix; each answer
    then fills in its Location, its signed cookie and the cookie's expiry
    (0.02 ms instead of 0.15 ms a submission)."""

    MARK = "0MARK0"
    _EXPIRES = re.compile(r"expires=[^;]*")
    templates: dict[tuple, tuple | None] = {}

    @classmethod
    def headers(cls, request, code: str) -> tuple[str, list]:
        key = (request.is_secure(), get_script_prefix(), settings.SECRET_KEY)
        template = cls.templates.get(key, False)
        if template is False:
            template = cls.templates[key] = cls._template(request)
        if template is None:  # not the layout expected: Django's answer each time
            return _django_answer(request, code)
        status, fixed, (head, tail), (before, after) = template
        signed = views._last_code_signer(settings.SECRET_KEY).sign(code)
        expires = http_date(time.time() + _COOKIE_MAX_AGE)
        return status, [
            *fixed,
            ("Location", f"{head}{code}{tail}"),
            ("Set-Cookie", f"{before}{signed}{after.replace('@EXPIRES@', expires)}"),
        ]

    @classmethod
    def _template(cls, request) -> tuple | None:
        status, headers = _django_answer(request, cls.MARK)
        signed = views._last_code_signer(settings.SECRET_KEY).sign(cls.MARK)
        fixed = [(k, v) for k, v in headers if k not in ("Location", "Set-Cookie")]
        locations = [v for k, v in headers if k == "Location"]
        cookies = [v for k, v in headers if k == "Set-Cookie"]
        if len(locations) != 1 or len(cookies) != 1 or any(cls.MARK in v for _, v in fixed):
            return None
        location = locations[0].split(cls.MARK)
        cookie = cookies[0].split(signed)
        if len(location) != 2 or len(cookie) != 2:
            return None
        after, found = cls._EXPIRES.subn("expires=@EXPIRES@", cookie[1])
        if found != 1 or f"Max-Age={_COOKIE_MAX_AGE};" not in after:
            return None
        return status, fixed, tuple(location), (cookie[0], after)


class _Answered:
    """The empty body; the WSGI server's close() is the moment the answer is out.

    Not a list: a server may send a list body at once and never call its close()
    (granian does), and close() is where the drain and the connection check run."""

    __slots__ = ("drain",)

    def __init__(self, drain: bool) -> None:
        self.drain = drain

    def __iter__(self):
        return iter((b"",))

    def close(self) -> None:
        if self.drain:
            try:
                services.submissions_drain()
            except Exception:
                log.exception("drain after the answer failed; the periodic run retries")
        _connections_checked()
