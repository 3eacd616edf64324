"""The fast path's reader of the browser's plain multipart layout (fastintake.plain_form)
against Django's own parser: the same fields, or None (the general parser then reads it)."""

from __future__ import annotations

import io

import pytest
from django.http.multipartparser import MultiPartParser
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.fastintake import plain_form

BOUNDARY = "----WebKitFormBoundaryA1b2C3d4E5f6G7h8"
CTYPE = f"multipart/form-data; boundary={BOUNDARY}"


def encode(fields: list[tuple[str, str]], photo: bool = True, boundary: str = BOUNDARY) -> bytes:
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in fields
    ]
    if photo:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename=""\r\n'
            "Content-Type: application/octet-stream\r\n\r\n\r\n"
        )
    return ("".join(parts) + f"--{boundary}--\r\n").encode()


def django_reads(ctype: str, body: bytes) -> tuple[dict[str, list[str]], int]:
    meta = {"CONTENT_TYPE": ctype, "CONTENT_LENGTH": str(len(body))}
    with override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=None):
        post, files = MultiPartParser(meta, io.BytesIO(body), [], "utf-8").parse()
    return {k: post.getlist(k) for k in post}, len(files)


NAMES = st.sampled_from(["text", "name", "phone", "place", "kind", "intake_key", "名字", "a b"])
VALUES = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200
) | st.sampled_from(["", "\r\n", "a\r\n\r\nb", f"--{BOUNDARY}", f"\r\n--{BOUNDARY}--", "x\r"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(NAMES, VALUES), max_size=8), st.booleans())
def test_same_fields_as_djangos_parser_or_none(fields, photo):
    body = encode(fields, photo)
    mine = plain_form(CTYPE, body)
    if mine is not None:
        theirs, files = django_reads(CTYPE, body)
        assert mine == theirs and files == 0


def test_the_browsers_form_is_read_without_the_general_parser():
    fields = [("csrfmiddlewaretoken", "tok"), ("text", "路灯坏了\r\n第二行"), ("name", "张三")]
    assert plain_form(CTYPE, encode(fields)) == {
        "csrfmiddlewaretoken": ["tok"],
        "text": ["路灯坏了\r\n第二行"],
        "name": ["张三"],
        "photos": [""],  # the empty photo input, as Django reads it
    }
    firefox = "---------------------------39283641181203226574135541"
    assert plain_form(f"multipart/form-data; boundary={firefox}", encode(fields, boundary=firefox))


def test_anything_unusual_goes_to_the_general_parser():
    ok = encode([("text", "x")])
    assert plain_form(CTYPE, ok) == {"text": ["x"], "photos": [""]}
    photo = ok.replace(b'filename=""', b'filename="a.jpg"')
    assert plain_form(CTYPE, photo) is None
    with_data = encode([("text", "x")], photo=False).replace(
        f"--{BOUNDARY}--".encode(),
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="photos"; filename=""\r\n'
        f"Content-Type: application/octet-stream\r\n\r\nJPEG\r\n--{BOUNDARY}--".encode(),
    )
    assert plain_form(CTYPE, with_data) is None
    assert plain_form(CTYPE, ok.replace(b"form-data; name", b"form-data;name")) is None
    assert plain_form(CTYPE, ok.replace(b'"text"', b'"te\\"xt"')) is None
    assert plain_form(f'multipart/form-data; boundary="{BOUNDARY}"', ok) is None
    assert plain_form("application/x-www-form-urlencoded", b"text=x") is None
    assert (
        plain_form(CTYPE, ok.replace(b"\r\n\r\nx", b"\r\nContent-Type: text/plain\r\n\r\nx"))
        is None
    )
    assert plain_form(CTYPE, ok.replace(b"\r\n\r\nx", b"\r\n\r\n\xff")) is None
    assert plain_form(CTYPE, ok[:-2]) is None  # no final line break
    assert plain_form(CTYPE, b"preamble\r\n" + ok) is None


def _request(secure: bool):
    from django.core.handlers.wsgi import WSGIRequest

    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/submit/",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
    }
    if secure:
        environ["HTTP_X_FORWARDED_PROTO"] = "https"
    return WSGIRequest(environ)


def _masked(headers: list[tuple[str, str]]) -> dict[str, str]:
    import re

    return {k: re.sub(r"expires=[^;]*", "expires=…", v) for k, v in headers}


@pytest.mark.parametrize("secure", [False, True])
def test_the_answer_is_djangos_answer(secure):
    import time

    from django.utils.http import parse_http_date

    from cases import fastintake

    fastintake._Answer.templates.clear()
    with override_settings(
        SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
        SESSION_COOKIE_SECURE=secure,
    ):
        request = _request(secure)
        for code in ("ABCD2345", "ZZZZ9999"):
            status, headers = fastintake._Answer.headers(request, code)
            django_status, django_headers = fastintake._django_answer(request, code)
            assert status == django_status == "302 Found"
            assert _masked(headers) == _masked(django_headers)
            assert len(headers) == len(django_headers)
            cookie = dict(headers)["Set-Cookie"]
            expires = parse_http_date(cookie.split("expires=")[1].split(";")[0])
            assert abs(expires - (time.time() + 3600)) < 3
            assert cookie.endswith("; Secure") is secure
    fastintake._Answer.templates.clear()
