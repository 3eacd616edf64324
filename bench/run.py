"""Orchestrates one benchmark run over SQLite and PostgreSQL; prints one JSON object.

For each database: a scratch database, the generated data set (stage `setup`),
a real gunicorn server with several workers for throughput and the no-loss check,
then the in-process steps (pages, suggestion, periodic run). Figures go under
"figures", DESIGN §10's targets (bench/targets.py) under "targets".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from . import load, submit, targets
from .server import ROOT, SERVERS, Server

RESULTS = Path(__file__).resolve().parent / "results"
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/banshi_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


def log(msg: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


# --- scratch databases ------------------------------------------------------


def _pg_admin(url: str):
    import dj_database_url
    import psycopg

    # As the app reads DATABASE_URL: a host may be a socket directory (%2Fvar%2Frun…).
    db = dj_database_url.parse(url)
    return psycopg.connect(
        host=db["HOST"] or None,
        port=db["PORT"] or 5432,
        user=db["USER"] or "postgres",
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ), db["NAME"]


def pg_available(url: str) -> bool:
    try:
        conn, _ = _pg_admin(url)
        conn.close()
        return True
    except Exception:
        return False


def pg_recreate(url: str) -> None:
    conn, name = _pg_admin(url)
    with conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def pg_clone(template: str, url: str) -> None:
    """The bench database as a copy of a kept data set (CREATE DATABASE … TEMPLATE:
    a file-level copy, minutes faster than generating it again)."""
    conn, name = _pg_admin(url)
    with conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        # The template must have no other sessions while it is copied.
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            [template],
        )
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        # The copy's gigabytes of dirty buffers and WAL go to disk now, not in a
        # checkpoint that competes with the timed submissions' WAL flushes.
        conn.execute("CHECKPOINT")


def sqlite_copy(source: str, var_dir: Path) -> None:
    """Copy a kept SQLite data set (its directory or its file, with its WAL) into the
    run's scratch directory: the run writes to it, the kept set stays as it was."""
    src = Path(source)
    if src.is_dir():
        src = src / "banshi.sqlite3"
    if not src.is_file():
        raise SystemExit(f"--reuse-dataset: no SQLite database at {src}")
    for suffix in ("", "-wal"):
        part = Path(str(src) + suffix)
        if part.exists():
            copy = var_dir / ("banshi.sqlite3" + suffix)
            shutil.copyfile(part, copy)
            # On disk before any step is timed: otherwise the first WAL checkpoint's
            # fsync writes the whole fresh 3 GB copy back, a ~1 s stall of every writer
            # inside the measured submissions (a database in use has no such backlog).
            with open(copy, "rb+") as fh:
                os.fsync(fh.fileno())
    models = src.parent / "models"  # textintel's trained models, beside the database
    if models.is_dir():
        shutil.copytree(models, var_dir / "models", dirs_exist_ok=True)


def parse_reuse(values: list[str]) -> dict[str, str]:
    """--reuse-dataset values: "sqlite=PATH", "postgresql=DBNAME", or a bare PATH
    (an existing file or directory: SQLite) or DBNAME (PostgreSQL)."""
    out: dict[str, str] = {}
    for value in values:
        db, sep, where = value.partition("=")
        if sep and db in ("sqlite", "postgresql"):
            out[db] = where
        elif Path(value).exists():
            out["sqlite"] = value
        else:
            out["postgresql"] = value
    return out


def redis_ready(url: str) -> bool:
    try:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=2)
        client.flushdb()  # the bench's own database number only
        return True
    except Exception:
        return False


def base_env(var_dir: Path, db: str, use_redis: bool) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DATABASE_REPLICA_URL", "REDIS_URL")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        BANSHI_VAR_DIR=str(var_dir),
        DEBUG="0",
        SECRET_KEY="bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        LOG_LEVEL="ERROR",
        PYTHONPATH=str(ROOT),
        # The load comes from one address and a few phones: lift the per-IP and
        # per-phone limits (the limiter still runs, on Redis, as in production).
        CASES_RATE_SUBMIT_IP="100000000/h",
        CASES_RATE_SUBMIT_PHONE="100000000/h",
        # Production mode: the drain_submissions process makes the cases (bench/server.py).
        CASES_DRAIN_AFTER_RESPONSE="0",
    )
    if db == "postgresql":
        env["DATABASE_URL"] = PG_URL
        # The same database as a stand-in replica: the heavy pages go through the
        # replica router and its second connection, as in production mode.
        env["DATABASE_REPLICA_URL"] = PG_URL
    if use_redis:
        env["REDIS_URL"] = REDIS_URL
    return env


def stage(env: dict[str, str], step: str, args: dict | None = None, timeout: float = 7200) -> dict:
    payload = json.dumps(args or {}, ensure_ascii=False)
    argfile = None
    if len(payload) > 10_000:
        argfile = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)  # noqa: SIM115
        argfile.write(payload)
        argfile.close()
        payload = "@" + argfile.name
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "bench.stage", step, payload],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    finally:
        if argfile:
            os.unlink(argfile.name)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("BENCH_RESULT "):
            return json.loads(line[len("BENCH_RESULT ") :])
    raise RuntimeError(f"stage {step} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")


# --- throughput and no-loss ---------------------------------------------------


def throughput(server: Server, rounds: int, seconds: float, concurrency: int) -> dict:
    """Alternate /healthz and submission in short rounds so machine noise hits both alike."""
    health, subm = [], []

    def measured(job) -> dict:
        mark: list[float] = []
        r = load.saturate(
            server.port,
            job,
            concurrency=concurrency,
            seconds=seconds,
            on_start=lambda: mark.append(server.cpu_seconds()),
        )
        r["server_cpu_seconds"] = server.cpu_seconds() - mark[0]
        return r

    drains: list[dict] = []
    for _ in range(rounds):
        health.append(measured(lambda i: load.Healthz()))
        if submit.http_available(server.port):
            subm.append(measured(lambda i: submit.SubmitJob(i)))
            # The drain process files the round's submissions once they stop coming
            # (acknowledgements first); the next /healthz round starts on a quiet server.
            drains.append(stage(server.env, "drained"))
    out: dict = {
        "server": server.kind,
        "workers": server.workers,
        "threads": server.threads,
        "concurrency": concurrency,
        "rounds": rounds,
    }
    out["healthz"] = _merge(health)
    if subm:
        out["submit"] = _merge(subm)
        # What the drain process still had to make into cases when each round stopped,
        # and how long it took: acknowledged is not yet listed for staff.
        drain_seconds = round(sum(d["seconds"] for d in drains), 2)
        out["drain_after_load"] = {
            "pending": sum(d["pending"] for d in drains),
            "seconds": drain_seconds,
            "left": sum(d["left"] for d in drains),
        }
        out["ratio"] = round(out["submit"]["per_second"] / out["healthz"]["per_second"], 3)
        # Acknowledged and filed: the rounds' submissions over their time plus the drain's.
        filed = out["submit"]["ok"] / (out["submit"]["seconds"] + drain_seconds)
        out["filed_per_second"] = round(filed, 1)
        out["filed_ratio"] = round(filed / out["healthz"]["per_second"], 3)
    else:
        out["submit"] = {"skipped": "no public submission endpoint on this branch yet"}
        out["ratio"] = None
    return out


def _merge(runs: list[dict]) -> dict:
    ok = sum(r["ok"] for r in runs)
    secs = sum(r["seconds"] for r in runs)
    return {
        "ok": ok,
        "requests": sum(r["requests"] for r in runs),
        "seconds": round(secs, 2),
        "per_second": round(ok / secs, 1) if secs else None,
        "p50_ms": sorted(r["p50_ms"] or 0 for r in runs)[len(runs) // 2],
        "p95_ms": max(r["p95_ms"] or 0 for r in runs),
        "client_cpu_share": round(sum(r["client_cpu_share"] or 0 for r in runs) / len(runs), 2),
        # Server CPU per answered request: what the request costs, whatever the waits.
        "server_cpu_ms": round(1000 * sum(r.get("server_cpu_seconds", 0) for r in runs) / ok, 3)
        if ok
        else None,
        "errors": runs[-1]["errors"],
    }


def no_loss(server: Server, env: dict, count: int, concurrency: int) -> dict:
    """Submit `count` cases while two workers are SIGKILLed; every acknowledged code
    must be stored once."""
    if not submit.http_available(server.port):
        return {"skipped": "no public submission endpoint on this branch yet"}
    run_id = f"{int(time.time())}"
    killed: list[int] = []
    acknowledged_so_far = threading.Semaphore(0)
    done = threading.Event()
    # Two of the original workers (never one just started in a killed one's place:
    # granian stops a worker slot that dies twice within seconds).
    targets = server.worker_pids()[:2]

    def killer() -> None:
        # Killed while the submissions run, at a third and two thirds of them, so
        # some answers are cut on the way and resent, whatever the machine's speed.
        for target in targets:
            for _ in range(max(1, count // 3)):
                while not acknowledged_so_far.acquire(timeout=0.1):
                    if done.is_set():
                        return
            killed.append(server.kill_worker(target))

    class Counted(submit.SubmitJob):
        def check(self, status, headers, body):
            ok, code = super().check(status, headers, body)
            if ok:
                acknowledged_so_far.release()
            return ok, code

    t = threading.Thread(target=killer)
    result = load.run(
        server.port,
        lambda i: Counted(i, run_id=run_id),
        concurrency=concurrency,
        max_requests=count,
        max_seconds=120,
        warmup=0,
        retries=3,
        on_start=t.start,
    )
    done.set()
    t.join()
    server.wait_replaced()
    acknowledged = [[submit.marker(run_id, seq), code] for seq, code in result["results"]]
    markers = [submit.marker(run_id, seq) for seq in range(count)]
    drained = stage(env, "drained")
    check = stage(env, "verify", {"acknowledged": acknowledged, "markers": markers})
    check["drain_after_load"] = drained
    return {
        "sent": result["requests"],
        "acknowledged": len(acknowledged),
        "refused_or_cut": result["requests"] - result["ok"],
        "retried_after_cut": result["retried"],
        "errors": result["errors"],
        "workers_killed": len(killed),
        "workers_after": len(server.worker_pids()),
        **check,
    }


# --- one database -------------------------------------------------------------


def dataset_cases(scale: str) -> int:
    from .scales import SCALES

    return SCALES[scale].cases


SEPARATE_JOBS = ("textintel.jobs.refresh",)


def periodic_run(env: dict, day_cases: int, timeout: float) -> dict:
    """The nightly run = the other jobs (timed together, after a simulated day) +
    textintel's retraining, timed alone in a process stopped after `timeout`."""
    out = stage(env, "periodic", {"day_cases": day_cases, "exclude": list(SEPARATE_JOBS)})
    total = out["nightly_seconds"]
    for job in SEPARATE_JOBS:
        try:
            r = stage(env, "job", {"job": job}, timeout=timeout)
            out["per_job"][job] = r["seconds"]
            out.setdefault("separate_results", {})[job] = r["result"]
            total += r["seconds"]
        except subprocess.TimeoutExpired:
            out["per_job"][job] = f"stopped after {timeout:.0f} s"
            total += timeout
            out["seconds_is_lower_bound"] = True
    out["seconds"] = round(total, 3)
    if out.get("failed_jobs"):
        out["seconds_measured"] = out["seconds"]
        out["seconds"] = None  # not the nightly run's time: a job failed (see failed_jobs)
    return out


def _step(fig: dict, key: str, fn) -> None:
    """Run one measurement; a failure is recorded in the figures, not fatal to the run."""
    try:
        fig[key] = fn()
    except Exception as exc:  # noqa: BLE001 (any failure is a figure to report)
        log(f"{key} failed: {exc}")
        fig[key] = {"error": str(exc)[-2000:]}


def load_dataset(db: str, env: dict, var_dir: Path, *, reuse: str | None, scale: str) -> dict:
    """The run's data set: a copy of a kept one, migrated to this code (`reuse`), or
    one generated at `scale`. Returns the stage's figures."""
    if not reuse:
        if db == "postgresql":
            pg_recreate(PG_URL)
        return stage(env, "setup", {"scale": scale})
    t0 = time.perf_counter()
    if db == "postgresql":
        # "DBNAME" or "DBNAME:DIR", DIR the var dir it was generated with
        # (textintel keeps its trained models there).
        name, _, models_dir = reuse.partition(":")
        pg_clone(name, PG_URL)
        if models_dir and (Path(models_dir) / "models").is_dir():
            shutil.copytree(Path(models_dir) / "models", var_dir / "models")
    else:
        sqlite_copy(reuse, var_dir)
    copied = round(time.perf_counter() - t0, 1)
    figures = stage(env, "reuse")
    figures.update(reused_from=reuse, copy_seconds=copied)
    return figures


def bench_database(db: str, args, use_redis: bool) -> dict:
    var_dir = Path(tempfile.mkdtemp(prefix=f"banshi-bench-{db}-"))
    env = base_env(var_dir, db, use_redis)
    fig: dict = {}
    try:
        reuse = args.reuse.get(db)
        t0 = time.perf_counter()
        what = f"copying the kept data set {reuse}" if reuse else f"the {args.scale} data set"
        log(f"{db}: {what}")
        fig["dataset"] = load_dataset(db, env, var_dir, reuse=reuse, scale=args.scale)
        if reuse:
            day_cases = max(1, fig["dataset"]["counts"].get("cases", 0) // 730)
        else:
            day_cases = max(1, dataset_cases(args.scale) // 730)
        fig["dataset"]["seconds"] = round(time.perf_counter() - t0, 1)
        submit.PLACES[:] = fig["dataset"].pop("submit_places", [])
        log(f"{db}: data set ready in {fig['dataset']['seconds']} s")
        if not args.skip_http:
            with Server(
                env, workers=args.workers, threads=args.threads, kind=args.server
            ) as server:
                log(f"{db}: throughput, {args.workers} {args.server} workers")
                _step(
                    fig,
                    "throughput",
                    lambda: throughput(server, args.rounds, args.round_seconds, args.concurrency),
                )
                log(f"{db}: no-loss check (killing workers)")
                _step(
                    fig,
                    "no_loss",
                    lambda: no_loss(server, env, args.no_loss_count, args.concurrency),
                )
        # The periodic run first: it builds the rollups the dashboard reads, as the
        # nightly run would have before staff open their pages.
        log(f"{db}: periodic run")
        _step(fig, "periodic", lambda: periodic_run(env, day_cases, args.job_timeout))
        log(f"{db}: page timings")
        _step(fig, "pages", lambda: stage(env, "pages", {"samples": args.samples}))
        _step(fig, "suggest", lambda: stage(env, "suggest", {"samples": 100}))
    finally:
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)
        else:
            fig["var_dir"] = str(var_dir)
    return fig


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(prog="python -m bench", description="Banshi benchmark (DESIGN §10)")
    p.add_argument("--full", action="store_true", help="1,000,000 cases (default: quick, 100,000)")
    p.add_argument("--scale", choices=["quick", "full", "tiny"], default=None)
    p.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--workers", type=int, default=4)
    p.add_argument(
        "--server",
        choices=sorted(SERVERS),
        default="granian",
        help="the HTTP server in front of the app (deploy/serve.sh's SERVER)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads per worker (granian's blocking threads: 2, as make serve; "
        "gunicorn: 1 = sync workers, more = gthread)",
    )
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--round-seconds", type=float, default=4.0)
    p.add_argument("--samples", type=int, default=40)
    p.add_argument("--no-loss-count", type=int, default=300)
    p.add_argument("--skip-http", action="store_true")
    p.add_argument("--job-timeout", type=float, default=180, help="stop a separate job after N s")
    p.add_argument("--keep", action="store_true", help="keep the scratch SQLite directory")
    p.add_argument("--no-save", action="store_true")
    p.add_argument(
        "--reuse-dataset",
        action="append",
        default=[],
        metavar="[sqlite=]DIR | [postgresql=]DBNAME[:DIR]",
        help="benchmark a data set generated before (see bench/README.md) instead of "
        "generating one: copied, migrated to this code, then measured; repeatable",
    )
    args = p.parse_args(argv)
    args.reuse = parse_reuse(args.reuse_dataset)
    if args.threads is None:
        args.threads = 2 if args.server == "granian" else 1
    args.scale = args.scale or ("full" if args.full else "quick")

    started = time.perf_counter()
    use_redis = redis_ready(REDIS_URL)
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    figures: dict = {
        "run": {
            "scale": args.scale,
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {
                "cpus": os.cpu_count(),
                "memory_gib": _mem_gib(),
                "python": platform.python_version(),
            },
            "cache": "redis" if use_redis else "locmem (no Redis reachable)",
            "postgresql_replica": "the primary itself, as a stand-in (exercises the router)",
            "server": args.server,
            "workers": args.workers,
            "threads": args.threads,
        }
    }
    for db in dbs:
        if db == "postgresql" and not pg_available(PG_URL):
            figures[db] = {"skipped": f"PostgreSQL not reachable at {PG_URL}"}
            continue
        figures[db] = bench_database(db, args, use_redis)
    figures["run"]["seconds"] = round(time.perf_counter() - started, 1)
    result = {"figures": figures, "targets": targets.evaluate(figures)}
    publish(result, args.scale, save=not args.no_save)
    return result


def publish(result: dict, label: str, *, save: bool) -> None:
    """Prints the run's JSON object and keeps it as bench/results/<UTC time>-<label>.json."""
    text = json.dumps(result, ensure_ascii=False, indent=1, default=str)
    if save:
        RESULTS.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        (RESULTS / f"{stamp}-{label}.json").write_text(text + "\n")
    print(text)


def _mem_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None
