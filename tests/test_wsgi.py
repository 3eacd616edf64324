"""config/wsgi.py: what granian serves (deploy/granian_serve.py)."""

from __future__ import annotations

import os

from config import wsgi


def test_process_environment_is_not_in_the_request(monkeypatch):
    # granian copies its whole process environment into each request's environ.
    monkeypatch.setenv("BANSHI_TEST_DATABASE_URL", "postgres://u:secret@db/banshi")
    seen = {}

    def app(environ, start_response):
        seen.update(environ)
        return [b""]

    served = wsgi._without_process_env(app)
    environ = {
        **os.environ,
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/healthz",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_X_REAL_IP": "10.0.0.7",
        "CONTENT_TYPE": "text/plain",
        "wsgi.url_scheme": "http",
    }
    served(environ, lambda *a: None)
    assert "BANSHI_TEST_DATABASE_URL" not in seen and "SECRET_KEY" not in seen
    assert seen["PATH_INFO"] == "/healthz" and seen["HTTP_X_REAL_IP"] == "10.0.0.7"
    assert seen["REMOTE_ADDR"] == "127.0.0.1" and seen["CONTENT_TYPE"] == "text/plain"
