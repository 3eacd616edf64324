"""The periodic rollup job (settings.PERIODIC_JOBS): keeps CaseMonthly current.

Incremental. A run finds the cases changed since the last one — ids above the last
counted id (new cases), `updated_at` after the watermark (transitions, ratings,
edits) and, once a day, working cases whose deadline passed since the last day
computed ("overdue" moves with the calendar) — and marks their groups dirty: (month,
town) on the place axis and (month, unit) on the unit axis, for the group each case
is in now and the one it was counted in before (CaseKey: a redispatched case leaves
its old unit). Each dirty group is re-counted with one set-based GROUP BY per month
and axis over just its cases (CaseKey's indexes), town rows and village totals are
replaced, and the difference is added to the county, city and province rows above.
Only rows whose numbers change are written: a second run changes nothing.

The first run (or `full=True`) counts every month from the cases, one GROUP BY a month.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter, defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Max, Q, Sum
from django.utils import timezone

from core.bulk import insert_many
from orgs.models import OrgNode
from tracking import workdays

from .dbfuncs import LocalMonth, MonthOf
from .measures import MEASURES, WORKING, measure_q, with_dates
from .models import Axis, CaseKey, CaseMonthly, RollupState, SignLimit
from .periods import next_month

STEP = OrgNode.steplen
COUNT_FIELDS = [k for k in MEASURES if k not in ("rated", "satisfied")]
FIELDS = [*COUNT_FIELDS, "rated", "satisfied"]
CHUNK = 900  # ids per IN (...) list: under SQLite's variable limit everywhere
WATERMARK_MARGIN = dt.timedelta(minutes=10)


def _case_model():
    from cases.models import Case

    return Case


def _local_start(day: dt.date) -> dt.datetime:
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return dt.datetime(day.year, day.month, day.day, tzinfo=tz)


def _chunks(items, size: int = CHUNK):
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _insert(model, fields: list[str], rows) -> int:
    """Plain rows into a rollup table: COPY on PostgreSQL (executemany there costs a
    round of parameter adaptation per row: 50 s for 400,000 rows), else insert_many."""
    from django.db import connections, router

    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        return insert_many(model, fields, rows)
    meta = model._meta
    cols = ", ".join(connection.ops.quote_name(meta.get_field(f).column) for f in fields)
    n = 0
    with connection.cursor() as c:
        with c.cursor.copy(
            f"COPY {connection.ops.quote_name(meta.db_table)} ({cols}) FROM STDIN"
        ) as cp:
            for row in rows:
                # TextChoices members (Axis) are str subclasses: plain str for the dumper.
                cp.write_row([str(v) if isinstance(v, str) else v for v in row])
                n += 1
    return n


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


# Which place nodes the rollup keeps: totals down to villages, the split by category
# down to towns. Below that (a village's categories, its grids) a page counts the
# village's own few cases live. Units: total and per category.
TOTAL_KINDS = frozenset({"province", "city", "county", "town", "village"})
CATEGORY_KINDS = frozenset({"province", "city", "county", "town"})
ABOVE_TOWN = frozenset({"province", "city", "county"})


class Tree:
    """The org tree as the job needs it: for each place, its town (the group a case is
    counted in), its village, and the county/city/province rows above the town."""

    def __init__(self) -> None:
        rows = list(OrgNode.objects.values_list("id", "path", "kind"))
        self.kind = {i: k for i, _p, k in rows}
        by_path = {p: (i, k) for i, p, k in rows}
        self.town: dict[int, int] = {}
        self.village: dict[int, int | None] = {}
        self.above: dict[int, list[int]] = {}
        for i, p, _k in rows:
            chain = [by_path[p[:n]] for n in range(STEP, len(p) + 1, STEP) if p[:n] in by_path]
            towns = [c for c in chain if c[1] == "town"]
            villages = [c for c in chain if c[1] == "village"]
            self.town[i] = towns[-1][0] if towns else i
            self.village[i] = villages[-1][0] if villages else None
        for i, p, _k in rows:
            if self.town.get(i) == i:
                self.above[i] = [
                    by_path[p[:n]][0]
                    for n in range(STEP, len(p), STEP)
                    if p[:n] in by_path and by_path[p[:n]][1] in ABOVE_TOWN
                ]
        self.villages_of: dict[int, list[int]] = defaultdict(list)
        for i, k in self.kind.items():
            if k == "village":
                self.villages_of[self.town[i]].append(i)


def case_aggregates(today: dt.date) -> dict:
    """Count(filter=…) per measure, and the rating sums: shared by the job and live reads."""
    aggregates = {k: Count("id", filter=measure_q(k, today)) for k in COUNT_FIELDS}
    aggregates["rated"] = (
        Sum("rating_satisfied") + Sum("rating_neutral") + Sum("rating_unsatisfied")
    )
    aggregates["satisfied"] = Sum("rating_satisfied")
    return aggregates


def _grouped(cases, today: dt.date, *group: str):
    """One GROUP BY over these cases: (group values, [numbers in FIELDS order])."""
    rows = with_dates(cases).values(*group).annotate(**case_aggregates(today)).order_by()
    for row in rows:
        yield tuple(row[g] for g in group), [row[f] or 0 for f in FIELDS]


def _add(table: dict, key, vals) -> None:
    acc = table.get(key)
    if acc is None:
        table[key] = list(vals)
    else:
        for i, v in enumerate(vals):
            acc[i] += v


def _place_rows(grouped, tree: Tree, *, with_above: bool) -> dict:
    """Fold (place, category) rows into the place-axis rollup keys (node, is_total, cat)."""
    out: dict[tuple, list[int]] = {}
    for (place_id, cat), vals in grouped:
        town = tree.town.get(place_id, place_id)
        nodes = [town, *tree.above.get(town, [])] if with_above else [town]
        for node_id in nodes:
            _add(out, (node_id, True, None), vals)
            _add(out, (node_id, False, cat), vals)
        village = tree.village.get(place_id)
        if village is not None and village != town:
            _add(out, (village, True, None), vals)
    return out


def _unit_rows(grouped) -> dict:
    out: dict[tuple, list[int]] = {}
    for (unit_id, cat), vals in grouped:
        if unit_id is not None:
            _add(out, (unit_id, True, None), vals)
            _add(out, (unit_id, False, cat), vals)
    return out


COLUMNS = ["month", "axis", "node_id", "is_total", "category_id", *FIELDS]


def _current(month: dt.date, axis: str, node_ids) -> dict[tuple, tuple[int, list[int]]]:
    """The stored rows of these nodes: key -> (row id, numbers)."""
    out = {}
    for part in _chunks(node_ids):
        for r in CaseMonthly.objects.filter(month=month, axis=axis, node_id__in=part).values_list(
            "id", "node_id", "is_total", "category_id", *FIELDS
        ):
            out[(r[1], r[2], r[3])] = (r[0], list(r[4:]))
    return out


def _sync(month: dt.date, axis: str, current: dict, wanted: dict) -> int:
    """Make the rows in `current` (the whole scope) equal `wanted`: delete what differs
    or is gone, insert what differs or is new; all-zero rows are not kept."""
    wanted = {k: v for k, v in wanted.items() if any(v)}
    stale = [pk for key, (pk, vals) in current.items() if wanted.get(key) != vals]
    new = [
        (month, axis, *key, *vals)
        for key, vals in wanted.items()
        if key not in current or current[key][1] != vals
    ]
    for part in _chunks(stale):
        CaseMonthly.objects.filter(pk__in=part).delete()
    if new:
        _insert(CaseMonthly, COLUMNS, new)
    return len(stale) + len(new)


def _month_cases(month: dt.date):
    return _case_model().objects.filter(
        collected_at__gte=_local_start(month), collected_at__lt=_local_start(next_month(month))
    )


def rebuild_month(month: dt.date, *, today: dt.date, tree: Tree | None = None) -> int:
    """Count one month from its cases and replace its rows. Returns the rows written."""
    tree = tree or Tree()
    cases = _month_cases(month)
    by_place: dict[tuple, list[int]] = {}
    by_unit: dict[tuple, list[int]] = {}
    # One pass: (place, unit, category) groups, folded to both axes in memory.
    for (place_id, unit_id, cat), vals in _grouped(
        cases, today, "place_id", "owner_unit_id", "category_id"
    ):
        _add(by_place, (place_id, cat), vals)
        _add(by_unit, (unit_id, cat), vals)
    place = _place_rows(by_place.items(), tree, with_above=True)
    unit = _unit_rows(by_unit.items())
    rows_out = [(month, Axis.PLACE, *k, *v) for k, v in place.items()]
    rows_out += [(month, Axis.UNIT, *k, *v) for k, v in unit.items()]
    with transaction.atomic():
        CaseMonthly.objects.filter(month=month).delete()
        _insert(CaseMonthly, COLUMNS, rows_out)
    return len(rows_out)


def _key_rows(cases, tree: Tree):
    """(case id, month, town, unit) for CaseKey."""
    for pk, month, place_id, unit_id in cases.annotate(m=LocalMonth("collected_at")).values_list(
        "id", "m", "place_id", "owner_unit_id"
    ):
        yield pk, month, tree.town.get(place_id, place_id), unit_id


def _all_months(Case) -> set[dt.date]:
    """Every month from the first to the last collected case (two index lookups)."""
    from django.db.models import Min

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


def _full(Case, today: dt.date, tree: Tree) -> tuple[list[dt.date], int]:
    months = _all_months(Case)
    stale = set(CaseMonthly.objects.values_list("month", flat=True).distinct()) - months
    CaseMonthly.objects.filter(month__in=stale).delete()
    if months:
        ensure_sign_limits(min(months), today + dt.timedelta(days=31))
    CaseKey.objects.all().delete()
    rows = 0
    for month in sorted(months):
        rows += rebuild_month(month, today=today, tree=tree)
        # Read before writing: a COPY holds the connection until it ends.
        keys = list(_key_rows(_month_cases(month).order_by(), tree))
        _insert(CaseKey, ["case_id", "month", "town_id", "unit_id"], keys)
    return sorted(months), rows


def _changed(Case, state: RollupState, top_id: int, today: dt.date):
    """Cases to re-count: new ones, updated ones, and (once a day) newly overdue ones."""
    # The margin: a write whose transaction began before the last run but committed after
    # it carries an older updated_at; re-counting a few minutes twice costs nothing
    # (unchanged rows are not written).
    since = state.watermark - WATERMARK_MARGIN
    cond = Q(id__gt=state.max_id or 0, id__lte=top_id) | Q(updated_at__gte=since)
    if state.last_day != today:
        cond |= Q(
            state__in=WORKING,
            deadline__gte=(state.last_day or today) - dt.timedelta(days=1),
            deadline__lt=today,
        )
    return Case.objects.filter(cond).order_by()


def _recount_places(month, towns, today, tree: Tree) -> int:
    """Re-count the dirty towns of a month; add the difference to the rows above them."""
    Case = _case_model()
    new: dict[tuple, list[int]] = {}
    for part in _chunks(towns):
        ids = CaseKey.objects.filter(month=month, town_id__in=part).values("case_id")
        grouped = _grouped(Case.objects.filter(id__in=ids), today, "place_id", "category_id")
        for key, vals in _place_rows(grouped, tree, with_above=False).items():
            _add(new, key, vals)
    villages = [v for t in towns for v in tree.villages_of.get(t, ())]
    current = _current(month, Axis.PLACE, [*towns, *villages])
    # The difference per (is_total, category), for every county/city/province above.
    delta: dict[tuple, list[int]] = {}
    zero = [0] * len(FIELDS)
    town_set = set(towns)
    for key in set(new) | set(current):
        if key[0] not in town_set:
            continue  # a village row: replaced, nothing above it to correct
        was = current[key][1] if key in current else zero
        now = new.get(key, zero)
        if was != now:
            diff = [a - b for a, b in zip(now, was, strict=True)]
            for above in tree.above.get(key[0], ()):
                _add(delta, (above, key[1], key[2]), diff)
    written = _sync(month, Axis.PLACE, current, new)
    if delta:
        above_now = _current(month, Axis.PLACE, {k[0] for k in delta})
        wanted = {k: list(v) for k, (_pk, v) in above_now.items()}
        for key, diff in delta.items():
            _add(wanted, key, diff)
        written += _sync(month, Axis.PLACE, above_now, wanted)
    return written


def _recount_units(month, units, today) -> int:
    Case = _case_model()
    new: dict[tuple, list[int]] = {}
    for part in _chunks(units):
        ids = CaseKey.objects.filter(month=month, unit_id__in=part).values("case_id")
        grouped = _grouped(Case.objects.filter(id__in=ids), today, "owner_unit_id", "category_id")
        for key, vals in _unit_rows(grouped).items():
            _add(new, key, vals)
    return _sync(month, Axis.UNIT, _current(month, Axis.UNIT, units), new)


def _incremental(Case, state, top_id, today, tree_factory) -> tuple[list[dt.date], int]:
    changed = list(
        _changed(Case, state, top_id, today)
        .annotate(m=LocalMonth("collected_at"))
        .values_list("id", "m", "place_id", "owner_unit_id")
    )
    if not changed:
        return [], 0
    tree = tree_factory()
    old = {}
    for part in _chunks([c[0] for c in changed]):
        for k in CaseKey.objects.filter(case_id__in=part).values_list(
            "case_id", "month", "town_id", "unit_id"
        ):
            old[k[0]] = k
    towns: dict[dt.date, set[int]] = defaultdict(set)
    units: dict[dt.date, set[int]] = defaultdict(set)
    moved = []
    for pk, month, place_id, unit_id in changed:
        now = (pk, month, tree.town.get(place_id, place_id), unit_id)
        for key in (now, old.get(pk)):
            if key is not None:
                towns[key[1]].add(key[2])
                if key[3] is not None:
                    units[key[1]].add(key[3])
        if old.get(pk) != now:
            moved.append(now)
    months = sorted(set(towns) | set(units))
    ensure_sign_limits(min(months), today + dt.timedelta(days=31))
    written = 0
    changed_months = []
    with transaction.atomic():
        for part in _chunks([m[0] for m in moved]):
            CaseKey.objects.filter(case_id__in=part).delete()
        _insert(CaseKey, ["case_id", "month", "town_id", "unit_id"], moved)
        for month in months:
            before = written
            dirty_towns = sorted(towns.get(month, ()))
            if any(tree.kind.get(t) in ABOVE_TOWN for t in dirty_towns):
                # A case placed above town level (never by intake): count the month afresh.
                written += rebuild_month(month, today=today, tree=tree)
            else:
                if dirty_towns:
                    written += _recount_places(month, dirty_towns, today, tree)
                if units.get(month):
                    written += _recount_units(month, sorted(units[month]), today)
            if written > before:
                changed_months.append(month)
    return changed_months, written


def rollup_refresh(*, full: bool = False, today: dt.date | None = None) -> dict:
    """The periodic job: bring CaseMonthly up to date. Idempotent. Returns the months
    whose rows changed and the number of rows written."""
    Case = _case_model()
    started = timezone.now()
    today = today or timezone.localdate()
    state, _ = RollupState.objects.get_or_create(name="cases")
    top_id = Case.objects.aggregate(m=Max("id"))["m"] or 0
    if full or state.watermark is None:
        months, rows = _full(Case, today, Tree())
    else:
        months, rows = _incremental(Case, state, top_id, today, Tree)
    RollupState.objects.filter(pk=state.pk).update(
        watermark=started,
        max_id=top_id,
        last_day=today,
        generation=F("generation") + (1 if rows else 0),
    )
    return {"months": [m.isoformat()[:7] for m in months], "rows": rows}


def bump_generation() -> None:
    """Something the dashboard shows changed outside the jobs (an activity recorded)."""
    RollupState.objects.get_or_create(name="cases")
    RollupState.objects.filter(name="cases").update(generation=F("generation") + 1)


# --- state snapshots: commitments, escalated items, report punctuality ---------------

# Kinds counted in full; for the others (a million cases) only the escalated ones,
# which is all the ladder needs.
FULL_SNAPSHOT = {"commitments.commitment"}


def _ancestor_ids(path: str | None, paths: dict[str, int]) -> set[int]:
    if not path:
        return set()
    return {paths[path[:i]] for i in range(STEP, len(path) + 1, STEP) if path[:i] in paths}


class _Ancestors:
    """node id -> the ids of the node and all its ancestors (memoised; no join per row)."""

    def __init__(self) -> None:
        self.paths = dict(OrgNode.objects.values_list("path", "id"))
        self.path_of = {i: p for p, i in self.paths.items()}
        self.memo: dict[int | None, frozenset[int]] = {None: frozenset()}

    def __call__(self, node_id: int | None) -> frozenset[int]:
        hit = self.memo.get(node_id)
        if hit is None:
            hit = frozenset(_ancestor_ids(self.path_of.get(node_id), self.paths))
            self.memo[node_id] = hit
        return hit


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

    up = _Ancestors()
    changed = 0
    for kind in registry.kinds():
        label = kind.model._meta.label_lower
        qs = kind.model.objects.all()
        if label not in FULL_SNAPSHOT:
            # Only open items stay escalated (supervision's status job, which runs before
            # this one, de-escalates finished ones): the state index, not a table scan.
            qs = qs.filter(state__in=kind.open_states, escalation_level__gt=0)
        has_kind = any(f.name == "kind" for f in kind.model._meta.fields)
        has_problem = any(f.name == "problem" for f in kind.model._meta.fields)
        fields = [
            "place_id",
            "owner_unit_id",
            "state",
            "supervision_status",
            "escalation_level",
        ]
        if has_kind:
            fields.append("kind")
        if has_problem:
            fields.append("problem__level")
        rows: dict[tuple, int] = defaultdict(int)
        if label in FULL_SNAPSHOT:
            grouped = qs.values(*fields).annotate(n=Count("id")).order_by()
        else:
            # A few thousand rows: fetched plainly and counted here, so the database
            # walks the state index instead of choosing a full scan for the GROUP BY.
            counted = Counter(qs.values_list(*fields).order_by())
            grouped = [{**dict(zip(fields, k, strict=True)), "n": n} for k, n in counted.items()]
        for r in grouped:
            nodes = up(r["place_id"]) | up(r["owner_unit_id"])
            key = (
                r.get("kind", "") if has_kind else "",
                r["state"],
                r["supervision_status"],
                r["escalation_level"],
                (r.get("problem__level") or "") if has_problem else "",
            )
            for node_id in nodes:
                rows[(node_id, *key)] += r["n"]
        changed += _write_diff(
            ItemSnapshot,
            rows,
            ["node_id", "kind", "state", "supervision_status", "escalation_level", "level"],
            {"model": label},
        )
    try:
        report_model = django_apps.get_model("commitments", "ProgressReport")
    except LookupError:
        report_model = None
    if report_model is not None:
        rows = defaultdict(int)
        grouped = (
            report_model.objects.annotate(m=MonthOf("due_date"))
            .values("m", "unit_id", "status", "is_late")
            .annotate(n=Count("id"))
            .order_by()
        )
        for r in grouped:
            month = r["m"] if isinstance(r["m"], dt.date) else r["m"].date()
            for node_id in up(r["unit_id"]):
                rows[(month.replace(day=1), node_id, r["status"], r["is_late"])] += r["n"]
        changed += _write_diff(ReportMonthly, rows, ["month", "node_id", "status", "is_late"], {})
    if changed:
        bump_generation()
    return {"changed_rows": changed}
