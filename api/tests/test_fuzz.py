"""schemathesis against both OpenAPI documents, on a bounded budget: whatever the
input (valid or not), no answer is a server error.

Derandomised, so a run is reproducible and the test cannot flake; the budget is
FUZZ_EXAMPLES examples per operation and generation mode.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode

from orgs.models import Role

pytestmark = pytest.mark.django_db(transaction=False)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))


@pytest.fixture(autouse=True)
def keep_test_connection():
    """Requests go through the real WSGI handler, which closes the database connection
    at the end of each request; inside the test's transaction it must stay open (as
    Django's own test client arranges)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def run_operations(doc: str, mode: GenerationMode, headers: dict[str, str]) -> int:
    schema = schemathesis.openapi.from_wsgi(doc, get_wsgi_application())
    tried = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode, headers=headers))
        def check(case):
            response = case.call()
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} {case.query} {case.body!r} -> "
                f"{response.status_code} {response.text[:300]}"
            )

        try:
            check()
        except Unsatisfiable:
            # nothing invalid to generate (an operation without parameters)
            assert mode is GenerationMode.NEGATIVE
            continue
        tried += 1
    return tried


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_rest_api_never_answers_500(mode, make_key):
    _key, raw = make_key("C", scope="read_write", roles=[Role.OFFICE])
    assert run_operations("/api/openapi.json", mode, {"X-API-Key": raw}) >= 4


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_open311_never_answers_500(mode, make_key):
    _key, raw = make_key("T01", scope="read_write", roles=[Role.GRID_WORKER])
    assert run_operations("/open311/v2/openapi.json", mode, {}) >= 2
