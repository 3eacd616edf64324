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
from django.db.models.functions import TruncMonth
from django.utils import timezone

from core.bulk import insert_many
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


def ensure_sign_limits(first: dt.date, last: dt.date) -> None:
    """Fill SignLimit for every day in [first, last] not yet known (working days by the
    calendar table). A day range, not the cases' dispatch days: no scan of the cases."""
    days = {first + dt.timedelta(days=i) for i in range((last - first).days + 1)}
    if not days:
        return
    known = set(
        SignLimit.objects.filter(day__gte=first, day__lte=last).values_list("day", flat=True)
    )
    n = sign_limit_days()
    SignLimit.objects.bulk_create(
        [SignLimit(day=d, limit_day=workdays.add_working_days(d, n)) for d in days - known],
        ignore_conflicts=True,
    )


# Which nodes the rollup keeps. Totals for towns and above; per category for
# counties and above; every owner unit in total and per category. Villages, grids, and a town's or a unit's
# split by category are counted live from the cases (a few hundred rows at most),
# so the rollup stays at (towns + units) × months rows however many villages there are.
TOTAL_KINDS = frozenset({"province", "city", "county", "town"})
CATEGORY_KINDS = frozenset({"province", "city", "county"})
FIELDS = [*COUNT_FIELDS, "rated", "satisfied"]


class Tree:
    """The org tree as the fold needs it: path -> (id, kind), and the prefix length
    that cuts every place down to its town (or the place itself when shallower)."""

    def __init__(self) -> None:
        self.nodes = {p: (i, k) for p, i, k in OrgNode.objects.values_list("path", "id", "kind")}
        town_lengths = [len(p) for p, (_i, k) in self.nodes.items() if k == "town"]
        self.cut = max(town_lengths or [len(p) for p in self.nodes] or [STEP])

    def ancestors(self, prefix: str):
        for i in range(STEP, len(prefix) + 1, STEP):
            hit = self.nodes.get(prefix[:i])
            if hit and hit[1] in TOTAL_KINDS:
                yield hit


def case_aggregates(today: dt.date) -> dict:
    """Count(filter=…) per measure, and the rating sums: shared by the job and live reads."""
    aggregates = {k: Count("id", filter=measure_q(k, today)) for k in COUNT_FIELDS}
    aggregates["rated"] = (
        Sum("rating_satisfied") + Sum("rating_neutral") + Sum("rating_unsatisfied")
    )
    aggregates["satisfied"] = Sum("rating_satisfied")
    return aggregates


def rebuild_month(month: dt.date, *, today: dt.date, tree: Tree | None = None) -> int:
    """Replace the rollup rows of one month. Returns the number of rows written."""
    from django.db.models.functions import Substr

    Case = _case_model()
    tree = tree or Tree()
    cases = Case.objects.filter(
        collected_at__gte=_local_start(month), collected_at__lt=_local_start(next_month(month))
    )
    # One pass over the month's cases, grouped by town (path cut), owner unit and category.
    grouped = (
        with_dates(cases)
        .annotate(prefix=Substr("place__path", 1, tree.cut))
        .values("prefix", "owner_unit_id", "category_id")
        .annotate(**case_aggregates(today))
        .order_by()
    )
    n = len(FIELDS)
    by_place: dict[tuple, list[int]] = {}
    by_unit: dict[int, list[int]] = {}
    for row in grouped:
        vals = [row[f] or 0 for f in FIELDS]
        for key, table in (
            ((row["prefix"], row["category_id"]), by_place),
            ((row["owner_unit_id"], row["category_id"]), by_unit),
        ):
            if key[0] is None:
                continue
            acc = table.get(key)
            if acc is None:
                table[key] = list(vals)
            else:
                for i in range(n):
                    acc[i] += vals[i]
    totals: dict[tuple, list[int]] = {}

    def add(key, vals):
        acc = totals.get(key)
        if acc is None:
            totals[key] = list(vals)
        else:
            for i in range(n):
                acc[i] += vals[i]

    for (prefix, cat), vals in by_place.items():
        for node_id, kind in tree.ancestors(prefix):
            add((Axis.PLACE, node_id, True, None), vals)
            if kind in CATEGORY_KINDS:
                add((Axis.PLACE, node_id, False, cat), vals)
    for (unit_id, cat), vals in by_unit.items():
        add((Axis.UNIT, unit_id, True, None), vals)
        add((Axis.UNIT, unit_id, False, cat), vals)
    columns = ["month", "axis", "node_id", "is_total", "category_id", *FIELDS]
    rows_out = [(month, *key, *vals) for key, vals in totals.items()]
    with transaction.atomic():
        CaseMonthly.objects.filter(month=month).delete()
        # Plain rows: core.bulk's executemany, not bulk_create.
        insert_many(CaseMonthly, columns, rows_out)
    return len(rows_out)


def _months_of(qs) -> set[dt.date]:
    return {d.date().replace(day=1) for d in qs.datetimes("collected_at", "month")}


def _all_months(Case) -> set[dt.date]:
    """Every month from the first to the last collected case (two index lookups)."""
    from django.db.models import Max, Min

    span = Case.objects.aggregate(first=Min("collected_at"), last=Max("collected_at"))
    if span["first"] is None:
        return set()
    m = timezone.localtime(span["first"]).date().replace(day=1)
    last = timezone.localtime(span["last"]).date().replace(day=1)
    out = set()
    while m <= last:
        out.add(m)
        m = next_month(m)
    return out


def rollup_refresh(*, full: bool = False, today: dt.date | None = None) -> dict:
    """The periodic job: bring CaseMonthly up to date. Idempotent."""
    Case = _case_model()
    started = timezone.now()
    today = today or timezone.localdate()
    state, _ = RollupState.objects.get_or_create(name="cases")
    if full or state.watermark is None:
        months = _all_months(Case)
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
    tree = Tree() if months else None
    if months:
        # Dispatch days run from the first dirty month to today (and a little past:
        # clocks of imported rows).
        ensure_sign_limits(min(months), today + dt.timedelta(days=31))
    rows = 0
    for month in sorted(months):
        rows += rebuild_month(month, today=today, tree=tree)
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
