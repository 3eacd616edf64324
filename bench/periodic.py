"""Time the periodic run (core.periodic.run_all) and check it is idempotent.

DESIGN §10: "the nightly periodic run over 1,000,000 cases and 100,000
commitments: under 60 s, and idempotent". The nightly run is the one that follows
a day of use: the catch-up run is taken as of yesterday (so time really moves
between it and the nightly run: deadlines and report dates pass overnight, as
they do in production), then one simulated day of work, then the nightly run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import time

from django.apps import apps
from django.conf import settings


@contextlib.contextmanager
def as_of(shift: dt.timedelta):
    """Run with the clock `shift` earlier (django.utils.timezone.now and localdate)."""
    from django.utils import timezone

    real = timezone.now
    timezone.now = lambda: real() - shift
    try:
        yield
    finally:
        timezone.now = real


def _fingerprint() -> dict[str, object]:
    """Row counts of every table (but the job lock), the last update of every model
    with an `updated_at`, and the spread of the nightly jobs' own columns (which
    their set-based updates change without touching `updated_at`)."""
    from django.db.models import Count, Max

    marks: dict[str, object] = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in ("core.joblock", "sessions.session"):
            continue
        marks[label] = model.objects.count()
        names = {f.name for f in model._meta.concrete_fields}
        if "updated_at" in names:
            marks[label + ".updated_at"] = str(model.objects.aggregate(m=Max("updated_at"))["m"])
        for cols in (("supervision_status", "escalation_level"), ("status",)):
            if set(cols) <= names:
                rows = model.objects.values_list(*cols).annotate(n=Count("pk")).order_by(*cols)
                marks[f"{label}.{'/'.join(cols)}"] = [list(r) for r in rows]
    return marks


def _entries(model, rows: list[tuple[int, str, str, str, str, bool]], now) -> None:
    """Timeline entries (item id, action, label, from, to, public), as transitions leave them."""
    from django.contrib.contenttypes.models import ContentType

    from tracking.models import TimelineEntry

    from . import fastinsert

    ct = ContentType.objects.get_for_model(model)
    fastinsert.insert(
        TimelineEntry,
        (
            {
                "item_type_id": ct.pk,
                "item_id": pk,
                "actor_id": None,
                "actor_label": "工作人员",
                "action": action,
                "action_label": label,
                "from_state": old,
                "to_state": new,
                "note": "",
                "data": {},
                "is_public": public,
                "created_at": now,
            }
            for pk, action, label, old, new, public in rows
        ),
    )


# A day's work on an open case: the next step of its workflow.
CASE_STEP = {
    "submitted": "accept",
    "accepted": "dispatch",
    "dispatched": "sign",
    "signed": "progress",
    "in_progress": "reply",
}


def _case_day(touch: int, rng: random.Random, now, today) -> dict:
    """Staff move `touch` open cases one step on (accept, dispatch with a unit and a
    deadline, sign, start, reply), each leaving its timeline entry."""
    from cases.models import OPEN_STATES, Case
    from orgs.models import OrgNode

    picked = list(
        Case.objects.filter(state__in=OPEN_STATES)
        .order_by("?")
        .values_list("pk", "state", "place__path")[:touch]
    )
    units: dict[str, list[int]] = {}
    for nid, path in OrgNode.objects.filter(
        kind=OrgNode.Kind.DEPARTMENT, code__startswith="P"
    ).values_list("id", "path"):
        units.setdefault(path[:20], []).append(nid)
    wf = Case.WORKFLOW
    entries, moved = [], {}
    for pk, state, path in picked:
        name = CASE_STEP[state]
        t = wf.transitions[name]
        fields = {"state": t.target, "state_changed_at": now, "updated_at": now}
        if name == "dispatch":
            choices = units.get((path or "")[:20]) or [None]
            fields.update(
                owner_unit_id=rng.choice(choices),
                dispatched_at=now,
                deadline=today + dt.timedelta(days=rng.randrange(5, 30)),
            )
        elif name == "sign":
            fields["signed_at"] = now
        elif name == "reply":
            fields.update(replied_at=now, result="已按要求办理完毕，并向群众反馈。")
        Case.objects.filter(pk=pk).update(**fields)
        entries.append((pk, f"case.{name}", t.label, state, t.target, t.public))
        moved[name] = moved.get(name, 0) + 1
    _entries(Case, entries, now)
    return moved


def _commitment_day(touch: int, rng: random.Random, now, today) -> dict:
    """Units report progress on `touch` open commitments (some finish), and file a
    share of the report slots now due."""
    from django.db.models import F
    from django.db.models.functions import Least

    from commitments.models import OPEN_STATES, Commitment, ProgressReport

    wf = Commitment.WORKFLOW
    picked = list(
        Commitment.objects.filter(state__in=OPEN_STATES)
        .order_by("?")
        .values_list("pk", "state", "progress_percent")[:touch]
    )
    entries, moved = [], {}
    for pk, state, percent in picked:
        if state == "published":
            name, fields = "start", {"state": "in_progress", "state_changed_at": now}
        elif percent >= 90 and rng.random() < 0.5:
            name = "complete"
            fields = {"state": "completed", "state_changed_at": now, "completed_at": now}
            fields["progress_percent"] = 100
        else:
            name, fields = "progress", {"progress_percent": Least(F("progress_percent") + 5, 100)}
        t = wf.transitions[name]
        Commitment.objects.filter(pk=pk).update(updated_at=now, **fields)
        entries.append((pk, f"commitment.{name}", t.label, state, t.target or state, t.public))
        moved[name] = moved.get(name, 0) + 1
    _entries(Commitment, entries, now)
    slots = list(
        ProgressReport.objects.filter(status__in=["due", "missing"])
        .order_by("?")
        .values_list("pk", "status")[:touch]
    )
    for status in ("due", "missing"):
        ids = [pk for pk, s in slots if s == status]
        ProgressReport.objects.filter(pk__in=ids).update(
            status="submitted" if status == "due" else "late",
            is_late=status == "missing",
            submitted_at=now,
            narrative="本月按计划推进。",
        )
    moved["reports_filed"] = len(slots)
    return moved


def simulate_day(
    day_cases: int, day_commitments: int | None = None, seed: int | None = None
) -> dict:
    """One day of activity since the last run: a day's new cases, staff moving a
    share of the open cases one step on (with their timeline entries), units
    reporting on open commitments and filing due reports."""
    from django.apps import apps as django_apps
    from django.utils import timezone

    rng = random.Random(int(time.time()) if seed is None else seed)
    now, today = timezone.now(), timezone.localdate()
    out: dict = {}
    if django_apps.is_installed("cases"):
        from . import gen_cases

        out["new_cases"] = gen_cases.generate(
            day_cases, span_days=1, seed=rng.randrange(1 << 30), analyze=False
        )["cases"]
        out["touched_cases"] = _case_day(max(1, day_cases // 2), rng, now, today)
    if django_apps.is_installed("commitments"):
        from commitments.models import Commitment

        n = day_commitments
        if n is None:  # a working day's share: each open item reports about monthly
            n = max(1, Commitment.objects.count() // 250)
        out["touched_commitments"] = _commitment_day(n, rng, now, today)
    return out


def measure(day_cases: int = 0, exclude: tuple[str, ...] = ()) -> dict:
    """Catch-up run (as of yesterday), one simulated day, the nightly run, then a
    repeat (idempotence).

    `exclude`: jobs the orchestrator times on their own, in a process it can stop
    (textintel's retraining can run for many minutes at province scale)."""
    from core.periodic import run_all

    jobs = [j for j in settings.PERIODIC_JOBS if j not in exclude]
    settings.PERIODIC_JOBS = jobs
    out: dict = {"jobs": jobs, "excluded": list(exclude)}
    # 1. Catch-up: the first run over the freshly generated data set (it holds two
    #    years of records but no run has seen them: rollups, statuses, the ladder),
    #    taken as of yesterday so that a night passes before the nightly run.
    t0 = time.perf_counter()
    with as_of(dt.timedelta(days=1)):
        first = run_all(owner="bench-1")
    out["catch_up_seconds"] = round(time.perf_counter() - t0, 3)
    out["catch_up_per_job"] = {k: v["seconds"] for k, v in first.items()}
    # 2. The nightly run: after one simulated day of activity.
    t0 = time.perf_counter()
    out["day"] = simulate_day(day_cases)
    out["day_seconds"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    nightly = run_all(owner="bench-2")
    out["nightly_seconds"] = round(time.perf_counter() - t0, 3)
    out["per_job"] = {k: v["seconds"] for k, v in nightly.items()}
    out["nightly_results"] = {k: v.get("result", v.get("error")) for k, v in nightly.items()}
    # A job that failed did not do its work: its time says nothing (run.periodic_run
    # then reports no total).
    out["failed_jobs"] = sorted(
        {k for run in (first, nightly) for k, v in run.items() if "error" in v}
    )
    # 3. Idempotent: a run right after changes nothing.
    before = _fingerprint()
    t0 = time.perf_counter()
    again = run_all(owner="bench-3")
    out["repeat_seconds"] = round(time.perf_counter() - t0, 3)
    after = _fingerprint()
    changed = {k: (before[k], after.get(k)) for k in before if before[k] != after.get(k)}
    out["idempotent"] = not changed
    out["changed_by_repeat"] = changed
    out["repeat_results"] = {k: v.get("result", v.get("error")) for k, v in again.items()}
    return out


def run_job(dotted: str) -> dict:
    from importlib import import_module

    module, name = dotted.rsplit(".", 1)
    t0 = time.perf_counter()
    result = getattr(import_module(module), name)()
    return {"seconds": round(time.perf_counter() - t0, 3), "result": result}
