"""Reads the figures pages, the briefing and the exports share.

Case figures come from the CaseMonthly rollup (a few hundred rows per question);
commitment and activity figures are counted live (tens of thousands of rows at most,
on indexed columns). Every entry point takes a node the caller already got through
orgs.access (access_node), so scoping is decided before any figure is read.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import Count, Q, Sum, Value
from django.db.models.functions import Substr
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode

from orgs import access
from orgs.models import OrgNode, User
from taxonomy.models import Category

from .dbfuncs import LocalMonth
from .measures import FINISHED, MEASURES, RATES, composite, measure_q, rates, with_dates
from .models import (
    Activity,
    ActivityCase,
    ActivityKind,
    Axis,
    CaseMonthly,
    Highlight,
    ItemSnapshot,
    ReportMonthly,
    ScoreWeights,
)
from .periods import Period, last_months, next_month

SUM_FIELDS = list(MEASURES)


def axis_for(node: OrgNode) -> str:
    """A department's figures are the cases it owns; any other node's, those placed under it."""
    return Axis.UNIT if node.kind == OrgNode.Kind.DEPARTMENT else Axis.PLACE


def default_node(actor: User) -> OrgNode:
    if actor.node_id:
        return actor.node
    return access.visible_nodes(actor).filter(depth=1).first()


def _sum_rows(qs) -> dict[str, int]:
    agg = qs.aggregate(**{f: Sum(f) for f in SUM_FIELDS})
    return {k: v or 0 for k, v in agg.items()}


def _in_rollup(node: OrgNode, axis: str, by_category: bool) -> bool:
    """Does CaseMonthly hold this node's figures (see figures.jobs.TOTAL_KINDS)?"""
    from .jobs import CATEGORY_KINDS, TOTAL_KINDS

    if axis == Axis.UNIT:
        return True
    return node.kind in (CATEGORY_KINDS if by_category else TOTAL_KINDS)


def _rollup(node: OrgNode, period: Period, axis: str, category_id=None, *, by_category=False):
    qs = CaseMonthly.objects.filter(
        axis=axis, node=node, month__gte=period.start, month__lt=period.end
    )
    if category_id:
        return qs.filter(is_total=False, category_id=category_id)
    return qs.filter(is_total=not by_category)


def _live_cases(node: OrgNode, axis: str, start: dt.date, end: dt.date):
    """The cases a small node's figures are counted from, when the rollup does not keep it."""
    from cases.models import Case

    from .jobs import _local_start

    qs = Case.objects.filter(
        collected_at__gte=_local_start(start), collected_at__lt=_local_start(end)
    )
    if axis == Axis.UNIT:
        return qs.filter(owner_unit=node)
    return qs.filter(_place_in([node]))


def _place_in(nodes: list[OrgNode]) -> Q:
    """Cases placed in these subtrees. A small share of the tree (a village in a
    province): an id list, so the database walks the cases' place index; a big share
    (a town of a county): the subtree range, so it walks the collected-date index."""
    cond = Q()
    for n in nodes:
        cond |= access.subtree_q(n)
    ids = list(OrgNode.objects.filter(cond).values_list("id", flat=True)[:2001])
    if len(ids) <= 2000 and len(ids) * 20 < OrgNode.objects.count():
        return Q(place_id__in=ids)
    out = Q()
    for n in nodes:
        out |= access.subtree_q(n, "place")
    return out


def _live(qs, *group) -> list[dict]:
    from .jobs import case_aggregates

    rows = (
        with_dates(qs).values(*group).annotate(**case_aggregates(timezone.localdate())).order_by()
    )
    return [{**r, **{f: r[f] or 0 for f in SUM_FIELDS}} for r in rows]


def case_sums(node: OrgNode, period: Period, *, axis=None, category_id=None) -> dict[str, int]:
    axis = axis or axis_for(node)
    if _in_rollup(node, axis, bool(category_id)):
        return _sum_rows(_rollup(node, period, axis, category_id))
    qs = _live_cases(node, axis, period.start, period.end)
    if category_id:
        qs = qs.filter(category_id=category_id)
    rows = _live(qs.annotate(one=Value(1)), "one")
    return {f: rows[0][f] if rows else 0 for f in SUM_FIELDS}


@dataclass
class Figures:
    sums: dict[str, int]
    rates: dict[str, float | None]
    score: float | None = None
    extra: dict = field(default_factory=dict)

    def __getitem__(self, key):
        if key in self.sums:
            return self.sums[key]
        return self.rates.get(key)


def case_figures(node: OrgNode, period: Period, *, category_id=None, axis=None) -> Figures:
    sums = case_sums(node, period, axis=axis, category_id=category_id)
    r = rates(sums)
    return Figures(sums, r, composite(r, ScoreWeights.current().as_dict()))


def case_trend(node: OrgNode, months: list[dt.date], *, axis=None) -> list[dict]:
    axis = axis or axis_for(node)
    end = next_month(months[-1])
    if _in_rollup(node, axis, False):
        rows = (
            CaseMonthly.objects.filter(
                axis=axis, node=node, is_total=True, month__gte=months[0], month__lt=end
            )
            .values("month")
            .annotate(**{f: Sum(f) for f in SUM_FIELDS})
        )
        by_month = {r["month"]: r for r in rows}
    else:
        qs = _live_cases(node, axis, months[0], end).annotate(month=LocalMonth("collected_at"))
        by_month = {r["month"]: r for r in _live(qs, "month")}
    out = []
    for m in months:
        sums = {f: (by_month.get(m) or {}).get(f) or 0 for f in SUM_FIELDS}
        out.append({"month": m, "label": f"{m.year}年{m.month}月", **sums, **rates(sums)})
    return out


def case_by_category(node: OrgNode, period: Period, *, axis=None) -> list[dict]:
    axis = axis or axis_for(node)
    if _in_rollup(node, axis, True):
        rows = (
            _rollup(node, period, axis, by_category=True)
            .values("category_id")
            .annotate(**{f: Sum(f) for f in SUM_FIELDS})
        )
        rows = [{**r, **{f: r[f] or 0 for f in SUM_FIELDS}} for r in rows]
    else:
        rows = _live(_live_cases(node, axis, period.start, period.end), "category_id")
    names = dict(Category.objects.values_list("id", "name"))
    out = []
    for r in sorted(rows, key=lambda r: -r["received"]):
        sums = {f: r[f] for f in SUM_FIELDS}
        out.append(
            {
                "category_id": r["category_id"],
                "name": names.get(r["category_id"], "未分类"),
                **sums,
                **rates(sums),
            }
        )
    return out


def child_places(node: OrgNode):
    """The places one level down (towns under a county, villages under a town)."""
    return OrgNode.objects.get_children(node).exclude(kind=OrgNode.Kind.DEPARTMENT)


def units_under(node: OrgNode):
    """Units whose own figures rank: departments in the subtree."""
    return OrgNode.objects.filter(access.subtree_q(node), kind=OrgNode.Kind.DEPARTMENT)


def _figures_for_nodes(
    nodes: list[OrgNode], axis: str, period: Period, *, with_previous: bool = False
) -> tuple[dict[int, dict], dict[int, dict]]:
    """Sums per node for the period (and the period before, in the same query):
    (now, before), node id -> sums. Rollup rows for the nodes it keeps; grids live."""
    kept_ids = {n.pk for n in nodes if _in_rollup(n, axis, False)}
    start = period.previous().start if with_previous else period.start
    aggs = {f"now_{f}": Sum(f, filter=Q(month__gte=period.start)) for f in SUM_FIELDS}
    if with_previous:
        aggs |= {f"prev_{f}": Sum(f, filter=Q(month__lt=period.start)) for f in SUM_FIELDS}
    rows = (
        CaseMonthly.objects.filter(
            axis=axis, node__in=kept_ids, is_total=True, month__gte=start, month__lt=period.end
        )
        .values("node_id")
        .annotate(**aggs)
        .order_by()
    )
    now: dict[int, dict] = {}
    before: dict[int, dict] = {}
    for r in rows:
        now[r["node_id"]] = {f: r[f"now_{f}"] or 0 for f in SUM_FIELDS}
        if with_previous:
            before[r["node_id"]] = {f: r[f"prev_{f}"] or 0 for f in SUM_FIELDS}
    live = [n for n in nodes if n.pk not in kept_ids]
    if live:
        _live_children(live, period, now)
        if with_previous:
            _live_children(live, period.previous(), before)
    return now, before


def _live_children(live: list[OrgNode], period: Period, out: dict[int, dict]) -> None:
    """Grids (below the rollup): one grouped count over the village's few cases."""
    from cases.models import Case

    from .jobs import _local_start

    width = max(len(n.path) for n in live)
    by_path = {n.path: n.pk for n in live}
    qs = Case.objects.filter(
        _place_in(live),
        collected_at__gte=_local_start(period.start),
        collected_at__lt=_local_start(period.end),
    ).annotate(prefix=Substr("place__path", 1, width))
    for r in _live(qs, "prefix"):
        node_id = by_path.get(r["prefix"])
        if node_id is not None:
            acc = out.setdefault(node_id, dict.fromkeys(SUM_FIELDS, 0))
            for f in SUM_FIELDS:
                acc[f] += r[f]


def _by_child(children: list[OrgNode], now: dict[int, dict]) -> list[dict]:
    out = []
    for c in children:
        s = now.get(c.pk) or dict.fromkeys(SUM_FIELDS, 0)
        out.append({"node": c, **s, **rates(s)})
    return out


def case_by_child(node: OrgNode, period: Period) -> list[dict]:
    children = list(child_places(node))
    return _by_child(children, _figures_for_nodes(children, Axis.PLACE, period)[0])


def _scored(nodes: list[OrgNode], sums: dict[int, dict], weights: dict) -> list[dict]:
    rows = []
    for n in nodes:
        s = sums.get(n.pk)
        if not s or not s["received"]:
            continue
        r = rates(s)
        rows.append(
            {"node": n, **s, **r, "rate_list": list(r.values()), "score": composite(r, weights)}
        )
    rows.sort(key=lambda x: (x["score"] is None, -(x["score"] or 0), x["node"].code))
    for i, row in enumerate(rows, 1):
        row["rank"] = i
    return rows


def _ranked(nodes, now, before, weights) -> list[dict]:
    rows = _scored(nodes, now, weights)
    prev_rank = {r["node"].pk: r["rank"] for r in _scored(nodes, before, weights)}
    for row in rows:
        prev = prev_rank.get(row["node"].pk)
        row["prev_rank"] = prev
        row["change"] = None if prev is None else prev - row["rank"]
    return rows


def ranking(node: OrgNode, period: Period, *, kind: str, weights: dict | None = None) -> list[dict]:
    """Monthly ranking by composite score with the change from the period before.

    kind="units": departments in the subtree, by the cases they own;
    kind="places": the places one level down (towns, villages), by the cases placed there.
    change > 0 means the node moved up. One rollup query for both periods.
    """
    if kind == "units":
        nodes, axis = list(units_under(node)), Axis.UNIT
    else:
        nodes, axis = list(child_places(node)), Axis.PLACE
    weights = weights or ScoreWeights.current().as_dict()
    now, before = _figures_for_nodes(nodes, axis, period, with_previous=True)
    return _ranked(nodes, now, before, weights)


def dashboard_data(node: OrgNode, period: Period) -> dict:
    """Everything the dashboard shows for (node, period), each source read once:
    about a dozen small queries, on rollup tables but for activities and rectification."""
    axis = axis_for(node)
    weights = ScoreWeights.current().as_dict()
    trend = case_trend(node, months_for_trend(period), axis=axis)
    # The trend ends with the period (a month, or the 12 months of a year): its sums.
    sums = {
        f: sum(t[f] for t in trend if period.start <= t["month"] < period.end) for f in SUM_FIELDS
    }
    r = rates(sums)
    figures = Figures(sums, r, composite(r, weights))
    children = list(child_places(node)) if axis == Axis.PLACE else []
    by_child: list[dict] = []
    ranking_rows: list[dict] = []
    if children:
        now, before = _figures_for_nodes(
            children, Axis.PLACE, period, with_previous=period.is_month
        )
        by_child = _by_child(children, now)
        if period.is_month:
            ranking_rows = _ranked(children, now, before, weights)
    snapshot = _snapshot(node)
    commitments = commitment_figures(node, period, snapshot=snapshot)
    activities = activity_figures(node, period)
    from .sentences import all_sentences

    return {
        "axis": axis,
        "figures": figures,
        "trend": trend,
        "by_category": case_by_category(node, period, axis=axis),
        "children": children,
        "by_child": by_child,
        "ranking": ranking_rows,
        "commitments": commitments,
        "ladder": ladder_figures(node, snapshot=snapshot),
        "activities": activities,
        "sentences": all_sentences(
            node, period, figures=figures, activities=activities, commitments=commitments
        ),
    }


def dashboard_cache_key(node: OrgNode, period: Period) -> str | None:
    """A key that changes whenever what the page shows may have: the rollup job's run
    and generation (bumped by both jobs and by activity records) and the weights.
    None before the first job run: nothing to cache."""
    from .models import RollupState

    state = RollupState.objects.filter(name="cases").values_list("watermark", "generation").first()
    if not state or state[0] is None:
        return None
    weights = ScoreWeights.objects.filter(pk=1).values_list("updated_at", flat=True).first()
    stamp = f"{state[0].timestamp()}:{state[1]}:{weights.timestamp() if weights else 0}"
    return f"figures:dash:{node.pk}:{period.key}:{stamp}"


# --- activities ------------------------------------------------------------------


def activities_in(node: OrgNode, period: Period | None = None, kind: str = ""):
    qs = Activity.objects.filter(access.subtree_q(node, "place"))
    if period:
        qs = qs.filter(date__gte=period.start, date__lt=period.end)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def activity_figures(node: OrgNode, period: Period, kind: str = "") -> dict:
    qs = activities_in(node, period, kind)
    fields = ("sessions", "people", "participants", "groups", "problems", "suggestions")
    by_kind = {
        r["kind"]: r
        for r in qs.values("kind")
        .annotate(
            sessions=Count("id"),
            people=Sum("people_reached"),
            participants=Sum("participants"),
            groups=Sum("groups_visited"),
            problems=Sum("problems_collected"),
            suggestions=Sum("suggestions_collected"),
        )
        .order_by()
    }
    # The totals are the kinds' sums: no second pass over the activities.
    totals = {f: sum((r[f] or 0) for r in by_kind.values()) for f in fields}
    linked = ActivityCase.objects.filter(activity__in=qs).values("case_id")
    resolved = 0
    if has_model("cases.Case"):
        from cases.models import Case

        resolved = Case.objects.filter(pk__in=linked, state__in=FINISHED).count()
    return {
        "by_kind": {
            k: {f: (by_kind.get(k) or {}).get(f) or 0 for f in fields} for k in ActivityKind.values
        },
        "totals": totals,
        "cases_linked": linked.distinct().count(),
        "cases_resolved": resolved,
    }


# --- commitments (live counts) -------------------------------------------------------


def _commitments(node: OrgNode):
    from commitments.models import Commitment

    return Commitment.objects.filter(
        access.subtree_q(node, "place") | access.subtree_q(node, "owner_unit")
    )


def has_model(label: str) -> bool:
    """Figures reads apps built beside it; a deployment without one shows zeros."""
    try:
        apps.get_model(label)
    except LookupError:
        return False
    return True


EMPTY_COMMITMENTS = {
    "total": 0,
    "projects": 0,
    "by_state": {},
    "open": 0,
    "on_track": 0,
    "at_risk": 0,
    "overdue": 0,
    "completed": 0,
    "accepted": 0,
    "closed": 0,
    "finished": 0,
    "ladder": dict.fromkeys(range(1, 6), 0),
    "reports": {"due": 0, "on_time": 0, "late": 0, "missing": 0, "punctuality": None},
    "rectification": [],
}


def _snapshot(node: OrgNode) -> list[dict]:
    """The node's ItemSnapshot rows (commitments by state; escalated items): one query."""
    return list(
        ItemSnapshot.objects.filter(node=node).values(
            "model", "kind", "state", "supervision_status", "escalation_level", "level", "n"
        )
    )


def commitment_figures(
    node: OrgNode, period: Period | None = None, *, snapshot: list[dict] | None = None
) -> dict:
    """Commitments by state and supervision status, the ladder, report punctuality and
    rectification per level — from the ItemSnapshot/ReportMonthly rollups."""
    if not has_model("commitments.Commitment"):
        return EMPTY_COMMITMENTS
    from commitments.models import ProblemLevel, RectificationProblem

    if snapshot is None:
        snapshot = _snapshot(node)
    by_state: dict[str, int] = defaultdict(int)
    by_status: dict[str, int] = defaultdict(int)
    ladder = dict.fromkeys(range(1, 6), 0)
    total = projects = 0
    for r in snapshot:
        if r["model"] != "commitments.commitment" or r["state"] == "draft":
            continue
        total += r["n"]
        by_state[r["state"]] += r["n"]
        if r["kind"] == "project":
            projects += r["n"]
        if r["state"] in ("published", "in_progress"):
            by_status[r["supervision_status"]] += r["n"]
        if r["escalation_level"]:
            ladder[r["escalation_level"]] += r["n"]
    reports = ReportMonthly.objects.filter(node=node)
    if period:
        reports = reports.filter(month__gte=period.start, month__lt=period.end)
    rep = {"on_time": 0, "late": 0, "missing": 0, "pending": 0}
    for r in reports.values("status", "is_late", "n"):
        if r["status"] == "due":
            rep["pending"] += r["n"]
        elif r["status"] == "missing":
            rep["missing"] += r["n"]
        elif r["is_late"] or r["status"] == "late":
            rep["late"] += r["n"]
        else:
            rep["on_time"] += r["n"]
    rep["due"] = rep["on_time"] + rep["late"] + rep["missing"]
    rep["punctuality"] = round(100.0 * rep["on_time"] / rep["due"], 2) if rep["due"] else None
    # Problems (a short list) counted live; their measures from the snapshot.
    problems = RectificationProblem.objects.filter(access.subtree_q(node, "unit"))
    prob_counts = dict(problems.values_list("level").annotate(n=Count("id")).order_by())
    measure_counts: dict[str, int] = defaultdict(int)
    done_counts: dict[str, int] = defaultdict(int)
    for r in snapshot:
        if r["model"] == "commitments.commitment" and r["kind"] == "rectification" and r["level"]:
            measure_counts[r["level"]] += r["n"]
            if r["state"] in ("completed", "accepted", "closed"):
                done_counts[r["level"]] += r["n"]
    rect = [
        {
            "level": lv,
            "label": label,
            "problems": prob_counts.get(lv, 0),
            "measures": measure_counts.get(lv, 0),
            "done": done_counts.get(lv, 0),
        }
        for lv, label in ProblemLevel.choices
    ]
    return {
        "total": total,
        "projects": projects,
        "by_state": dict(by_state),
        "open": sum(by_status.values()),
        "on_track": by_status.get("on_track", 0),
        "at_risk": by_status.get("at_risk", 0),
        "overdue": by_status.get("overdue", 0),
        "completed": by_state.get("completed", 0),
        "accepted": by_state.get("accepted", 0),
        "closed": by_state.get("closed", 0),
        "finished": sum(by_state.get(s, 0) for s in ("completed", "accepted", "closed")),
        "ladder": ladder,
        "reports": rep,
        "rectification": rect,
    }


def ladder_figures(node: OrgNode, *, snapshot: list[dict] | None = None) -> dict[int, int]:
    """Items (cases and commitments) on each rung of the escalation ladder (rollup)."""
    out = dict.fromkeys(range(1, 6), 0)
    for r in _snapshot(node) if snapshot is None else snapshot:
        if r["escalation_level"]:
            out[r["escalation_level"]] += r["n"]
    return out


def criticised_units(node: OrgNode) -> list[dict]:
    """Units under circulated criticism (rung 3 通报批评 and above) with their items."""
    from tracking import registry

    by_unit: dict[int, list] = defaultdict(list)
    for kind in registry.kinds():
        qs = (
            kind.model.objects.filter(
                access.subtree_q(node, "place") | access.subtree_q(node, "owner_unit"),
                escalation_level__gte=3,
                owner_unit__isnull=False,
            )
            .select_related("owner_unit")
            .order_by("owner_unit_id", "deadline", "pk")
        )
        for item in qs[:500]:
            by_unit[item.owner_unit_id].append({"item": item, "kind": kind.label})
    units = OrgNode.objects.in_bulk(list(by_unit))
    return [
        {"unit": units[uid], "items": items}
        for uid, items in sorted(by_unit.items(), key=lambda kv: (-len(kv[1]), units[kv[0]].code))
    ]


def highlights_for(node: OrgNode, period: Period) -> list[Highlight]:
    return list(
        Highlight.objects.filter(access.subtree_q(node, "unit"), period=period.key).select_related(
            "unit"
        )
    )


def highlight_candidates(node: OrgNode, period: Period):
    """Progress reports with a 亮点做法 the office may pick (submitted in the period)."""
    if not has_model("commitments.ProgressReport"):
        return []
    from commitments.models import ProgressReport

    picked = set(Highlight.objects.values_list("report_id", flat=True))
    qs = (
        ProgressReport.objects.filter(access.subtree_q(node, "unit"))
        .exclude(highlights="")
        .filter(submitted_at__date__gte=period.start, submitted_at__date__lt=period.end)
        .select_related("unit", "commitment")
        .order_by("-submitted_at")[:40]
    )
    return [(r, r.pk in picked) for r in qs]


# --- drill-down lists ----------------------------------------------------------------


def drill_cases(
    actor: User,
    node: OrgNode,
    period: Period,
    *,
    measure: str,
    axis: str | None = None,
    category_id=None,
    activity: bool = False,
):
    """The cases behind a number: the same condition the rollup counted, live and scoped."""
    from cases.models import Case

    if measure not in MEASURES:
        measure = "received"
    axis = axis or axis_for(node)
    qs = Case.objects.all()
    if activity:
        linked = ActivityCase.objects.filter(activity__in=activities_in(node, period))
        qs = qs.filter(pk__in=linked.values("case_id"))
    else:
        qs = qs.filter(
            access.subtree_q(node, "place") if axis == Axis.PLACE else Q(owner_unit=node)
        )
        from .jobs import _local_start

        qs = qs.filter(
            collected_at__gte=_local_start(period.start), collected_at__lt=_local_start(period.end)
        )
    if category_id:
        qs = qs.filter(category_id=category_id)
    qs = with_dates(qs).filter(measure_q(measure, timezone.localdate()))
    return access.scope_tracked(actor, qs).select_related("place", "owner_unit", "category")


def drill_commitments(
    actor: User, node: OrgNode, *, state: str = "", status: str = "", level: int = 0, kind: str = ""
):
    qs = _commitments(node).exclude(state="draft")
    if state == "finished":
        qs = qs.filter(state__in=("completed", "accepted", "closed"))
    elif state == "open":
        qs = qs.filter(state__in=("published", "in_progress"))
    elif state:
        qs = qs.filter(state=state)
    if status:
        qs = qs.filter(state__in=("published", "in_progress"), supervision_status=status)
    if level:
        qs = qs.filter(escalation_level=level)
    if kind:
        qs = qs.filter(kind=kind)
    return access.scope_tracked(actor, qs).select_related("owner_unit", "place", "category")


# --- links -----------------------------------------------------------------------------


def url_or_empty(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def case_list_url(node: OrgNode, period: Period, measure: str, **extra) -> str:
    params = {"node": node.pk, "period": period.key, "measure": measure, **extra}
    return reverse("figures:cases") + "?" + urlencode({k: v for k, v in params.items() if v})


def activity_list_url(node: OrgNode, period: Period, kind: str = "") -> str:
    params = {"node": node.pk, "period": period.key, "kind": kind}
    return reverse("figures:activities") + "?" + urlencode({k: v for k, v in params.items() if v})


def commitment_list_url(node: OrgNode, **filters) -> str:
    params = {"node": node.pk, **filters}
    return reverse("figures:commitments") + "?" + urlencode({k: v for k, v in params.items() if v})


def months_for_trend(period: Period) -> list[dt.date]:
    return last_months(12, period.last_day)


__all__ = ["RATES"]
