"""The cost ladder of a public submission: where the CPU of one acknowledgement goes.

    .venv/bin/python -m bench.ladder [--db postgresql|sqlite] [--reuse DBNAME|DIR]

The same server, the same load generator and the same rounds as the benchmark's
throughput step (bench/run.py), served by bench/ladder_app.py, whose submission path
stops after one step of the real one: the answer alone, + parsing and the CSRF check,
+ the rate limits, + the queued row without waiting for its WAL flush (not durable:
shown only to price the flush), the real path; "nolimits" (the real path without
the rate limits) on request. Each step's rounds alternate with
/healthz rounds; for each it reports the ratio and the CPU per request of every
process on the machine (the workers, PostgreSQL, Redis, the load generator, the
kernel's interrupts), from /proc. Prints one JSON object and saves it under
bench/results/.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from . import load, submit
from .run import REDIS_URL, base_env, load_dataset, log, publish, stage
from .server import ROOT, Server, process_stat

TICK = os.sysconf("SC_CLK_TCK")
STEPS = ("answer", "parse", "limits", "nosync", "full")  # and "nolimits" (--steps)


def _cpu_by_process(server: Server) -> dict[str, float]:
    """CPU seconds so far of each kind of process on the machine, and the total."""
    workers = set(server.worker_pids())
    out: dict[str, float] = {}
    for entry in os.listdir("/proc"):
        stat = process_stat(int(entry)) if entry.isdigit() else None
        if stat is None:
            continue
        name, _, seconds = stat
        if int(entry) == os.getpid():
            kind = "load generator"
        elif int(entry) in workers:
            kind = "workers"
        elif name.startswith("postgres"):
            kind = "postgresql"
        elif name.startswith("redis"):
            kind = "redis"
        else:
            kind = "other"
        out[kind] = out.get(kind, 0) + seconds
    cpu = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    out["interrupts"] = (cpu[5] + cpu[6]) / TICK
    out["machine"] = (sum(cpu) - cpu[3] - cpu[4]) / TICK  # all but idle and iowait
    return out


def _round(server: Server, job, seconds: float, concurrency: int) -> dict:
    before: dict[str, float] = {}
    r = load.saturate(
        server.port,
        job,
        concurrency=concurrency,
        seconds=seconds,
        on_start=lambda: before.update(_cpu_by_process(server)),
    )
    after = _cpu_by_process(server)
    ok = r["ok"] or 1
    return {
        "per_second": r["per_second"],
        "ok": r["ok"],
        "cpu_ms": {k: round(1000 * (after[k] - before.get(k, 0)) / ok, 3) for k in after},
    }


def _step(env: dict, step: str, args) -> dict:
    env = {**env, "WSGI_APP": "bench.ladder_app:app", "BENCH_LADDER_STEP": step}
    rounds, seconds, concurrency = args.rounds, args.round_seconds, args.concurrency
    threads = args.threads or (2 if args.server == "granian" else 1)
    health, subm = [], []
    with Server(env, workers=args.workers, threads=threads, kind=args.server) as server:
        stage(env, "drained")
        rows_before = stage(env, "queue_total")["rows"]
        for _ in range(rounds):
            health.append(_round(server, lambda i: load.Healthz(), seconds, concurrency))
            subm.append(_round(server, lambda i: submit.SubmitJob(i), seconds, concurrency))
            stage(env, "drained")
        # Rows the step stored: none before the queued row's step.
        queued = stage(env, "queue_total")["rows"] - rows_before
    ratios = [s["per_second"] / h["per_second"] for h, s in zip(health, subm, strict=True)]

    def median_cpu(runs: list[dict]) -> dict:
        kinds = sorted({k for r in runs for k in r["cpu_ms"]})
        return {k: round(statistics.median(r["cpu_ms"].get(k, 0) for r in runs), 3) for k in kinds}

    return {
        "ratio_median": round(statistics.median(ratios), 3),
        "ratios": [round(x, 3) for x in ratios],
        "acknowledged": sum(s["ok"] for s in subm),
        "queued": queued,
        "healthz_per_second": [h["per_second"] for h in health],
        "submit_per_second": [s["per_second"] for s in subm],
        "healthz_cpu_ms": median_cpu(health),
        "submit_cpu_ms": median_cpu(subm),
    }


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(prog="python -m bench.ladder", description=__doc__.split("\n")[0])
    p.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    p.add_argument(
        "--reuse", help="a kept data set (PostgreSQL DBNAME[:DIR], SQLite DIR); else tiny"
    )
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--round-seconds", type=float, default=3.0)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--steps", default=",".join(STEPS))
    p.add_argument("--server", choices=["granian", "gunicorn"], default="granian")
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--threads", type=int, default=None, help="granian: 2, gunicorn: 1")
    p.add_argument("--no-save", action="store_true")
    args = p.parse_args(argv)
    var_dir = Path(tempfile.mkdtemp(prefix="banshi-ladder-"))
    env = base_env(var_dir, args.db, use_redis=True)
    env["PYTHONPATH"] = str(ROOT)
    try:
        dataset = load_dataset(args.db, env, var_dir, reuse=args.reuse, scale="tiny")
        submit.PLACES[:] = dataset.get("submit_places", [])
        figures = {
            "run": {
                "db": args.db,
                "data set": args.reuse or "tiny",
                "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "cpus": os.cpu_count(),
                "server": f"{args.server}, {args.workers} workers x {args.threads or 'default'}"
                " threads",
                "redis": REDIS_URL,
            }
        }
        for step in args.steps.split(","):
            log(f"ladder: {step}")
            figures[step] = _step(env, step, args)
            time.sleep(1)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    publish(figures, f"ladder-{args.db}", save=not args.no_save)
    return figures


if __name__ == "__main__":
    main()
