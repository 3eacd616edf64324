"""Work a request triggers but its answer need not wait for.

The callable runs when the WSGI server closes the response, i.e. after the last
byte has been sent, in the same worker (and under the test client, at the end of
the request). Django calls response closers and ignores what they raise, so
failures are logged here. Whatever runs here must be safe to skip: a worker
killed before it gets there leaves the work for the next run (see its caller).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpResponseBase

log = logging.getLogger(__name__)


def run_after(response: HttpResponseBase, fn: Callable[[], object]) -> HttpResponseBase:
    def closer() -> None:
        try:
            fn()
        except Exception:
            log.exception("after-response work failed: %s", getattr(fn, "__name__", fn))

    # Django's own hook for resources to release on close() (file responses use it).
    response._resource_closers.append(closer)
    return response
