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


def measure() -> dict:
    from core.periodic import run_all

    t0 = time.perf_counter()
    first = run_all(owner="bench-1")
    seconds = time.perf_counter() - t0
    before = _fingerprint()
    t1 = time.perf_counter()
    second = run_all(owner="bench-2")
    second_seconds = time.perf_counter() - t1
    after = _fingerprint()
    changed = {k: (before[k], after.get(k)) for k in before if before[k] != after.get(k)}
    return {
        "jobs": list(settings.PERIODIC_JOBS),
        "seconds": round(seconds, 3),
        "per_job": {k: v["seconds"] for k, v in first.items()},
        "second_run_seconds": round(second_seconds, 3),
        "second_run_results": {k: v["result"] for k, v in second.items()},
        # Idempotent: the second run over the same data adds or updates no row.
        "idempotent": not changed,
        "changed_by_second_run": changed,
    }
