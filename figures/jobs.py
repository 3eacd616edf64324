"""The periodic rollup job (settings.PERIODIC_JOBS): keeps CaseMonthly current.

Each run re-aggregates only the months that changed: months of cases updated since the
last run, and — once per day — months holding cases that became overdue since the
last day computed. One set-based GROUP BY per month over the cases collected in it
(the leaf: place × owner unit × category), then the leaf rows are folded up the org
tree in memory (a few thousand aggregated rows, never the cases). A month is
replaced in one transaction. Running twice changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from orgs.models import OrgNode
from tracking import workdays

from .measures import MEASURES, WORKING, measure_q, with_dates
from .models import Axis, CaseMonthly, RollupState, SignLimit
from .periods import next_month

STEP = OrgNode.steplen
COUNT_FIELDS = [k for k in MEASURES if k not in ("rated", "satisfied")]


def _case_model():
    from cases.models import Case

    return Case


def _local_start(day: dt.date) -> dt.datetime:
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return dt.datetime(day.year, day.month, day.day, tzinfo=tz)


def sign_limit_days() -> int:
    return int(getattr(settings, "FIGURES_SIGN_WITHIN_WORKDAYS", 1))


def ensure_sign_limits(days) -> None:
    """Fill SignLimit for dispatch days not yet known (working days by the calendar table)."""
    days = set(days)
    if not days:
        return
    known = set(SignLimit.objects.filter(day__in=days).values_list("day", flat=True))
    n = sign_limit_days()
    SignLimit.objects.bulk_create(
        [SignLimit(day=d, limit_day=workdays.add_working_days(d, n)) for d in days - known],
        ignore_conflicts=True,
    )


def rebuild_month(month: dt.date, *, today: dt.date, paths: dict[str, int] | None = None) -> int:
    """Replace the rollup rows of one month. Returns the number of rows written."""
    Case = _case_model()
    cases = Case.objects.filter(
        collected_at__gte=_local_start(month), collected_at__lt=_local_start(next_month(month))
    )
    ensure_sign_limits(
        cases.filter(dispatched_at__isnull=False)
        .annotate(d=TruncDate("dispatched_at"))
        .values_list("d", flat=True)
        .distinct()
    )
    aggregates = {k: Count("id", filter=measure_q(k, today)) for k in COUNT_FIELDS}
    aggregates["rated"] = (
        Sum("rating_satisfied") + Sum("rating_neutral") + Sum("rating_unsatisfied")
    )
    aggregates["satisfied"] = Sum("rating_satisfied")
    leaf = (
        with_dates(cases)
        .values("place__path", "owner_unit_id", "category_id")
        .annotate(**aggregates)
        .order_by()
    )
    if paths is None:
        paths = dict(OrgNode.objects.values_list("path", "id"))
    fields = [*COUNT_FIELDS, "rated", "satisfied"]
    place_rows: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(fields, 0))
    unit_rows: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(fields, 0))
    for row in leaf:
        path = row["place__path"]
        ancestors = [paths.get(path[:i]) for i in range(STEP, len(path) + 1, STEP)]
        for node_id in ancestors:
            if node_id is None:
                continue
            acc = place_rows[(node_id, row["category_id"])]
            for f in fields:
                acc[f] += row[f] or 0
        if row["owner_unit_id"]:
            acc = unit_rows[(row["owner_unit_id"], row["category_id"])]
            for f in fields:
                acc[f] += row[f] or 0
    objs = [
        CaseMonthly(month=month, axis=axis, node_id=node_id, category_id=cat, **vals)
        for axis, rows in ((Axis.PLACE, place_rows), (Axis.UNIT, unit_rows))
        for (node_id, cat), vals in rows.items()
    ]
    with transaction.atomic():
        CaseMonthly.objects.filter(month=month).delete()
        CaseMonthly.objects.bulk_create(objs, batch_size=2000)
    return len(objs)


def _months_of(qs) -> set[dt.date]:
    return {d.date().replace(day=1) for d in qs.datetimes("collected_at", "month")}


def rollup_refresh(*, full: bool = False, today: dt.date | None = None) -> dict:
    """The periodic job: bring CaseMonthly up to date. Idempotent."""
    Case = _case_model()
    started = timezone.now()
    today = today or timezone.localdate()
    state, _ = RollupState.objects.get_or_create(name="cases")
    if full or state.watermark is None:
        months = _months_of(Case.objects.all())
        stale = set(CaseMonthly.objects.values_list("month", flat=True).distinct()) - months
        CaseMonthly.objects.filter(month__in=stale).delete()
    else:
        months = _months_of(Case.objects.filter(updated_at__gte=state.watermark))
        if state.last_day != today:
            # Cases crossing their deadline since the last day computed change "overdue".
            months |= _months_of(
                Case.objects.filter(
                    state__in=WORKING,
                    deadline__gte=(state.last_day or today) - dt.timedelta(days=1),
                    deadline__lt=today,
                )
            )
    paths = dict(OrgNode.objects.values_list("path", "id")) if months else {}
    rows = 0
    for month in sorted(months):
        rows += rebuild_month(month, today=today, paths=paths)
    RollupState.objects.filter(pk=state.pk).update(watermark=started, last_day=today)
    return {"months": [m.isoformat()[:7] for m in sorted(months)], "rows": rows}


# --- state snapshots: commitments, escalated items, report punctuality ---------------

# Kinds counted in full; for the others (a million cases) only the escalated ones,
# which is all the ladder needs.
FULL_SNAPSHOT = {"commitments.commitment"}


def _ancestor_ids(path: str | None, paths: dict[str, int]) -> set[int]:
    if not path:
        return set()
    return {paths[path[:i]] for i in range(STEP, len(path) + 1, STEP) if path[:i] in paths}


def _write_diff(model, rows: dict[tuple, int], key_fields: list[str], scope: dict) -> int:
    """Make the table hold exactly `rows` (key -> n), touching only what changed."""
    current = {
        tuple(r[f] for f in key_fields): (r["id"], r["n"])
        for r in model.objects.filter(**scope).values("id", "n", *key_fields)
    }
    stale = [pk for key, (pk, n) in current.items() if rows.get(key) != n]
    new = [
        model(**dict(zip(key_fields, key, strict=True)), n=n, **scope)
        for key, n in rows.items()
        if current.get(key, (None, None))[1] != n
    ]
    if stale or new:
        with transaction.atomic():
            model.objects.filter(pk__in=stale).delete()
            model.objects.bulk_create(new, batch_size=2000)
    return len(stale) + len(new)


def snapshot_refresh() -> dict:
    """The periodic job: ItemSnapshot and ReportMonthly from one GROUP BY each. Idempotent."""
    from django.apps import apps as django_apps

    from tracking import registry

    from .models import ItemSnapshot, ReportMonthly

    paths = dict(OrgNode.objects.values_list("path", "id"))
    changed = 0
    for kind in registry.kinds():
        label = kind.model._meta.label_lower
        qs = kind.model.objects.all()
        if label not in FULL_SNAPSHOT:
            qs = qs.filter(escalation_level__gt=0)
        has_kind = any(f.name == "kind" for f in kind.model._meta.fields)
        fields = [
            "place__path",
            "owner_unit__path",
            "state",
            "supervision_status",
            "escalation_level",
        ]
        if has_kind:
            fields.append("kind")
        rows: dict[tuple, int] = defaultdict(int)
        for r in qs.values(*fields).annotate(n=Count("id")).order_by():
            nodes = _ancestor_ids(r["place__path"], paths) | _ancestor_ids(
                r["owner_unit__path"], paths
            )
            for node_id in nodes:
                key = (
                    node_id,
                    r.get("kind", "") if has_kind else "",
                    r["state"],
                    r["supervision_status"],
                    r["escalation_level"],
                )
                rows[key] += r["n"]
        changed += _write_diff(
            ItemSnapshot,
            rows,
            ["node_id", "kind", "state", "supervision_status", "escalation_level"],
            {"model": label},
        )
    try:
        report_model = django_apps.get_model("commitments", "ProgressReport")
    except LookupError:
        report_model = None
    if report_model is not None:
        rows = defaultdict(int)
        grouped = (
            report_model.objects.annotate(m=TruncMonth("due_date"))
            .values("m", "unit__path", "status", "is_late")
            .annotate(n=Count("id"))
            .order_by()
        )
        for r in grouped:
            month = r["m"] if isinstance(r["m"], dt.date) else r["m"].date()
            for node_id in _ancestor_ids(r["unit__path"], paths):
                rows[(month.replace(day=1), node_id, r["status"], r["is_late"])] += r["n"]
        changed += _write_diff(ReportMonthly, rows, ["month", "node_id", "status", "is_late"], {})
    return {"changed_rows": changed}
