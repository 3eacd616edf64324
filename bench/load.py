"""A small load generator: threads + http.client, bounded in count and time, 127.0.0.1 only.

Each request is built by a `Job` (one per thread, so it can hold a CSRF token or
a counter) and sent on a fresh connection, as a browser behind a proxy would
reach a sync worker. The client's own CPU time is reported: on a small machine
the client competes with the server, which pulls ratios towards 1.
"""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

HOST = "127.0.0.1"


@dataclass
class Request:
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    ok: bool
    status: int
    seconds: float
    result: str | None = None  # e.g. the acknowledged tracking code
    error: str = ""
    seq: int = -1
    attempts: int = 1


class Job:
    """One thread's stream of requests; subclass `build` and `check`."""

    def prepare(self, port: int) -> None:  # e.g. fetch a form's CSRF token
        pass

    def build(self, seq: int) -> Request:
        raise NotImplementedError

    def check(
        self, status: int, headers: http.client.HTTPMessage, body: bytes
    ) -> tuple[bool, str | None]:
        return status == 200, None


def fetch(
    port: int, req: Request, timeout: float = 30
) -> tuple[int, http.client.HTTPMessage, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(
            req.method, req.path, body=req.body, headers={"Connection": "close", **req.headers}
        )
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def run(
    port: int,
    make_job: Callable[[int], Job],
    *,
    concurrency: int = 8,
    max_requests: int = 2000,
    max_seconds: float = 10.0,
    warmup: int = 20,
    retries: int = 0,
    on_start: Callable[[], object] | None = None,
) -> dict:
    """Drive the server; returns throughput (ok requests / wall second) and latencies."""
    jobs = [make_job(i) for i in range(concurrency)]
    for job in jobs:
        job.prepare(port)
    # Warm each worker's imports, caches and connections outside the measured window.
    for i in range(warmup):
        job = jobs[i % len(jobs)]
        try:
            st, hd, body = fetch(port, job.build(-1 - i))
        except OSError:
            pass
    counter = iter(range(max_requests))
    lock = threading.Lock()
    outcomes: list[Outcome] = []
    deadline = time.perf_counter() + max_seconds

    def worker(job: Job) -> None:
        local: list[Outcome] = []
        while time.perf_counter() < deadline:
            with lock:
                seq = next(counter, None)
            if seq is None:
                break
            req = job.build(seq)
            t0 = time.perf_counter()
            for attempt in range(1, retries + 2):
                # A cut connection (worker killed) is retried with the very same request,
                # as a browser's resend would be; the server must not store it twice.
                try:
                    status, headers, body = fetch(port, req)
                    ok, result = job.check(status, headers, body)
                    error = "" if ok else body[:200].decode("utf-8", "replace")
                    outcome = Outcome(ok, status, time.perf_counter() - t0, result, error)
                except (OSError, http.client.HTTPException) as exc:
                    outcome = Outcome(False, 0, time.perf_counter() - t0, None, repr(exc))
                outcome.seq, outcome.attempts = seq, attempt
                if outcome.status != 0:
                    break
            local.append(outcome)
        with lock:
            outcomes.extend(local)

    if on_start is not None:
        on_start()
    cpu0 = time.process_time()
    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu0
    ok = [o for o in outcomes if o.ok]
    lat = sorted(o.seconds * 1000 for o in ok)
    errors: dict[str, int] = {}
    for o in outcomes:
        if not o.ok:
            key = f"{o.status}: {o.error[:80]}"
            errors[key] = errors.get(key, 0) + 1
    return {
        "requests": len(outcomes),
        "ok": len(ok),
        "seconds": round(wall, 3),
        "per_second": round(len(ok) / wall, 1) if wall else None,
        "p50_ms": round(statistics.median(lat), 2) if lat else None,
        "p95_ms": round(lat[int(0.95 * (len(lat) - 1))], 2) if lat else None,
        "client_cpu_share": round(cpu / wall, 2) if wall else None,
        "errors": dict(sorted(errors.items(), key=lambda kv: -kv[1])[:5]),
        "retried": sum(1 for o in outcomes if o.attempts > 1),
        "results": [[o.seq, o.result] for o in ok if o.result],
    }


def saturate(
    port: int,
    make_job: Callable[[int], Job],
    *,
    concurrency: int,
    seconds: float,
    on_start: Callable[[], object] | None = None,
) -> dict:
    """One throughput round: as many requests as `seconds` allow."""
    return run(
        port,
        make_job,
        concurrency=concurrency,
        max_requests=100_000,
        max_seconds=seconds,
        on_start=on_start,
    )


class Healthz(Job):
    def build(self, seq: int) -> Request:
        return Request("GET", "/healthz")
