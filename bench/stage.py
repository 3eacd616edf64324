"""Steps that run inside Django against the scratch database the orchestrator set up.

`python -m bench.stage STEP '{json args}'` prints one line `BENCH_RESULT {json}`.
Each step runs in its own process so one benchmark run can cover SQLite and
PostgreSQL (the settings pick the database from the environment at start-up).
"""

from __future__ import annotations

import json
import sys
import time


def step_setup(args: dict) -> dict:
    from django.core.management import call_command

    from . import dataset

    out: dict = {}
    t0 = time.perf_counter()
    # run_syncdb: an app whose migrations are not on this branch yet still gets its tables.
    call_command("migrate", verbosity=0, interactive=False, run_syncdb=True)
    out["migrate_seconds"] = round(time.perf_counter() - t0, 2)
    from orgs import demo as orgs_demo
    from taxonomy import demo as taxonomy_demo

    orgs_demo.seed()
    taxonomy_demo.seed()
    scale = dataset.SCALES[args["scale"]]
    out["tree"] = dataset.build_tree(scale)
    out["users"] = dataset.make_users()
    out.update(dataset.generate_items(scale))
    out["submit_places"] = dataset.submit_places()
    return out


def step_reuse(args: dict) -> dict:
    """A data set generated before (copied into this run's database): bring its schema
    up to this code's migrations, and read what the other steps need from it."""
    from django.core.management import call_command

    from . import dataset

    out: dict = {}
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False, run_syncdb=True)
    out["migrate_seconds"] = round(time.perf_counter() - t0, 2)
    out["counts"] = dataset.counts()
    out["submit_places"] = dataset.submit_places()
    return out


def step_pages(args: dict) -> dict:
    from . import pages

    return pages.measure(samples=args.get("samples", 40))


def step_suggest(args: dict) -> dict:
    from . import pages

    return pages.measure_suggest(samples=args.get("samples", 100))


def step_periodic(args: dict) -> dict:
    from . import periodic

    return periodic.measure(
        day_cases=args.get("day_cases", 0), exclude=tuple(args.get("exclude", ()))
    )


def step_job(args: dict) -> dict:
    from . import periodic

    return periodic.run_job(args["job"])


def step_verify(args: dict) -> dict:
    from . import submit

    return submit.verify(args["acknowledged"], args["markers"])


def step_drained(args: dict) -> dict:
    """Wait until every acknowledged submission is a case (the drain process's work)."""
    from cases.models import PendingSubmission

    pending = PendingSubmission.objects.filter(case__isnull=True, error="")
    first = pending.count()
    t0 = time.perf_counter()
    left = first
    while left and time.perf_counter() - t0 < args.get("timeout", 300):
        time.sleep(0.1)
        left = pending.count()
    return {"pending": first, "seconds": round(time.perf_counter() - t0, 2), "left": left}


def step_queue_total(args: dict) -> dict:
    """Rows the intake queue ever took (filed or not, until the weekly clean-up)."""
    from cases.models import PendingSubmission

    return {"rows": PendingSubmission.objects.count()}


STEPS = {
    "drained": step_drained,
    "queue_total": step_queue_total,
    "setup": step_setup,
    "reuse": step_reuse,
    "pages": step_pages,
    "suggest": step_suggest,
    "periodic": step_periodic,
    "verify": step_verify,
    "job": step_job,
}


def main() -> None:
    import django

    step = sys.argv[1]
    raw = sys.argv[2] if len(sys.argv) > 2 else "{}"
    if raw.startswith("@"):  # a file, for long arguments
        with open(raw[1:]) as f:
            raw = f.read()
    args = json.loads(raw)
    django.setup()
    result = STEPS[step](args)
    sys.stdout.write("BENCH_RESULT " + json.dumps(result, ensure_ascii=False, default=str) + "\n")


if __name__ == "__main__":
    main()
