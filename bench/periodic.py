"""Time the periodic run (core.periodic.run_all) and check it is idempotent."""

from __future__ import annotations

import time

from django.apps import apps
from django.conf import settings


def _fingerprint() -> dict[str, object]:
    """Row counts of every table (but the job lock), and the last update of every
    model with an `updated_at` (tracked items): inserts and updates both show."""
    from django.db.models import Max

    marks: dict[str, object] = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in ("core.joblock", "sessions.session"):
            continue
        marks[label] = model.objects.count()
        if any(f.name == "updated_at" for f in model._meta.concrete_fields):
            marks[label + ".updated_at"] = str(model.objects.aggregate(m=Max("updated_at"))["m"])
    return marks


def simulate_day(day_cases: int) -> dict:
    """One day of activity since the last run: a day's new cases, and staff touching
    a share of the open ones (as transitions would: updated_at moves)."""
    from django.apps import apps as django_apps
    from django.utils import timezone

    out: dict = {}
    if django_apps.is_installed("cases"):
        from cases.models import OPEN_STATES, Case

        from . import gen_cases

        out["new_cases"] = gen_cases.generate(day_cases, span_days=1, seed=int(time.time()))[
            "cases"
        ]
        open_ids = list(
            Case.objects.filter(state__in=OPEN_STATES)
            .order_by("?")
            .values_list("id", flat=True)[: max(1, day_cases // 2)]
        )
        out["touched_cases"] = Case.objects.filter(id__in=open_ids).update(
            updated_at=timezone.now()
        )
    return out


def measure(day_cases: int = 0, exclude: tuple[str, ...] = ()) -> dict:
    """Catch-up run, one simulated day, the nightly run, then a repeat (idempotence).

    `exclude`: jobs the orchestrator times on their own, in a process it can stop
    (textintel's retraining can run for many minutes at province scale)."""
    from core.periodic import run_all

    jobs = [j for j in settings.PERIODIC_JOBS if j not in exclude]
    settings.PERIODIC_JOBS = jobs
    out: dict = {"jobs": jobs, "excluded": list(exclude)}
    # 1. Catch-up: the first run over the freshly generated data set (it holds two
    #    years of records but no run has seen them: rollups, statuses, the ladder).
    t0 = time.perf_counter()
    first = run_all(owner="bench-1")
    out["catch_up_seconds"] = round(time.perf_counter() - t0, 3)
    out["catch_up_per_job"] = {k: v["seconds"] for k, v in first.items()}
    # 2. The nightly run: after one simulated day of activity.
    out["day"] = simulate_day(day_cases)
    t0 = time.perf_counter()
    nightly = run_all(owner="bench-2")
    out["nightly_seconds"] = round(time.perf_counter() - t0, 3)
    out["per_job"] = {k: v["seconds"] for k, v in nightly.items()}
    # 3. Idempotent: a run right after changes nothing.
    before = _fingerprint()
    t0 = time.perf_counter()
    again = run_all(owner="bench-3")
    out["repeat_seconds"] = round(time.perf_counter() - t0, 3)
    after = _fingerprint()
    changed = {k: (before[k], after.get(k)) for k in before if before[k] != after.get(k)}
    out["idempotent"] = not changed
    out["changed_by_repeat"] = changed
    out["repeat_results"] = {k: v["result"] for k, v in again.items()}
    return out


def run_job(dotted: str) -> dict:
    from importlib import import_module

    module, name = dotted.rsplit(".", 1)
    t0 = time.perf_counter()
    result = getattr(import_module(module), name)()
    return {"seconds": round(time.perf_counter() - t0, 3), "result": result}
