"""Server time of the heavy staff pages, p50/p95, over the generated data set.

Server time = the whole Django stack (middleware, view, queries, template) for one
request through the test client, in-process: no network, no client. Each page is
asked with varied parameters (filters, pages, search words, cases) so caches of
one URL do not flatter it.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch

from orgs.models import User

from . import views_map


def _percentile(sorted_ms: list[float], q: float) -> float:
    return round(sorted_ms[min(len(sorted_ms) - 1, int(q * (len(sorted_ms) - 1) + 0.5))], 2)


def time_urls(client: Client, urls: list[str], samples: int) -> dict:
    rng = random.Random(7)
    # Warm-up: imports, template compilation, the database's own caches.
    for url in urls[:3]:
        client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        first = client.get(urls[0])
    queries = len(ctx.captured_queries)
    times: list[float] = []
    statuses: dict[int, int] = {}
    for _ in range(samples):
        url = urls[rng.randrange(len(urls))]
        t0 = time.perf_counter()
        resp = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": _percentile(times, 0.95),
        "max_ms": round(times[-1], 2),
        "samples": samples,
        "queries": queries,
        "statuses": statuses,
        "first_status": first.status_code,
        "example_url": urls[0],
    }


def measure(samples: int = 40) -> dict:
    import textintel

    textintel.warm()  # as config/wsgi.py does before the workers fork
    out: dict = {}
    for key, username, make_urls in views_map.PAGES:
        try:
            urls = make_urls()
        except (LookupError, NoReverseMatch, ImportError) as exc:
            out[key] = {"skipped": f"{type(exc).__name__}: {exc}"}
            continue
        client = Client()
        client.force_login(User.objects.get(username=username))
        out[key] = time_urls(client, urls, samples) | {"as": username}
    return out


def measure_suggest(samples: int = 100) -> dict:
    fn: Callable | None = views_map.suggest_function()
    if fn is None:
        return {"skipped": "no suggestion service on this branch yet (textintel)"}
    from .textgen import TextGen

    gen = TextGen(seed=99)
    texts = [gen.case()[1] for _ in range(samples + 5)]
    for t in texts[:5]:
        fn(t)
    times = []
    for t in texts[5:]:
        t0 = time.perf_counter()
        fn(t)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": _percentile(times, 0.95),
        "samples": samples,
    }
