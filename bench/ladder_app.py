"""The WSGI app the cost ladder (bench/ladder.py) serves: the real app, except that
a POST to the submission page stops after BENCH_LADDER_STEP. Bench only: never served
by `make serve`.

Steps, each one the previous plus one piece of the real busy path
(cases/fastintake.py):
  answer   read the body, send the acknowledgement's 302 (the HTTP server's floor)
  parse    + the multipart reader, the request object, the CSRF check, the form
  limits   + both rate limits (one Redis script call)
  nosync   + the queued row, its commit not waiting for the WAL flush (NOT durable:
           a database crash could lose an acknowledged submission; measured only to
           show what the flush costs)
  full     the real app
and one beside them:
  nolimits the real path without the rate limits (durable row), to price them
"""

from __future__ import annotations

import io
import os

from config.wsgi import granian_application  # first: sets Django up

# isort: split
from django.db import connection

from cases import fastintake, services, views

STEP = os.environ.get("BENCH_LADDER_STEP", "full")
_DONE = [("Location", "/submit/done/LADDER2345/"), ("Content-Length", "0")]


def _busy_path_until(step: str, environ: dict) -> None:
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    if step == "answer":
        return
    environ["wsgi.input"] = io.BytesIO(body)  # as the fast path leaves it
    prepared = fastintake.prepare(environ, body)  # the real path's own first half
    if prepared is None:
        raise RuntimeError("the fast path would hand this submission to the full view")
    request, form = prepared
    if step == "parse":
        return
    if step == "nolimits":
        services.submission_receive(**form)
        return
    views.over_submit_limits(request)
    if step == "limits":
        return
    if not getattr(connection, "ladder_nosync", False):
        connection.ensure_connection()
        with connection.cursor() as cursor:  # this process's connection only
            if connection.vendor == "postgresql":
                cursor.execute("SET synchronous_commit TO off")
            else:
                cursor.execute("PRAGMA synchronous = OFF")
        connection.ladder_nosync = True
    services.submission_receive(**form)


def app(environ, start_response):
    if STEP == "full" or environ.get("REQUEST_METHOD") != "POST":
        return granian_application(environ, start_response)
    _busy_path_until(STEP, environ)
    start_response("302 Found", _DONE)
    return [b""]
