"""Figures pages: thin views (parse, call a selector or a service, render)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.errors import InvalidInput
from orgs import access
from orgs.models import OrgNode, Role

from . import briefing as briefing_doc
from . import exports, services
from . import selectors as sel
from .exports import xlsx_response
from .measures import MEASURES, RATES
from .models import Activity, ActivityKind, Axis, ScoreWeights
from .periods import parse_period

PAGE = 50


def _list_or_export(request, qs, template: str, export, **context):
    """A drill-down list: its Excel file with ?export=, else one page of it. `export`
    (and any callable in context) runs only on the branch that needs it."""
    if request.GET.get("export"):
        return xlsx_response(*export())
    rows, next_before = _page(request, qs)
    context = {k: v() if callable(v) else v for k, v in context.items()}
    return render(
        request,
        template,
        {**context, "rows": rows, "next_before": next_before, "query": request.GET.urlencode()},
    )


def _page(request, qs):
    """One keyset page by id descending (`?before=<id>`): (rows, the next page's mark)."""
    before = request.GET.get("before")
    qs = qs.order_by("-id")
    if before and before.isdigit():
        qs = qs.filter(id__lt=int(before))
    rows = list(qs[: PAGE + 1])
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return rows, (rows[-1].pk if more else None)


FIGURE_ROLES = services.FIGURE_ROLES


def _context(request):
    """The node (through access) and the period every figures page is asked for."""
    actor = access.require_staff(request.user)
    access.require_role(actor, *FIGURE_ROLES)
    node_id = request.GET.get("node") or request.POST.get("node")
    node = access.access_node(actor, node_id) if node_id else sel.default_node(actor)
    period = parse_period(request.GET.get("period") or request.POST.get("period"))
    return actor, node, period


def _period_choices():
    today = timezone.localdate()
    months = []
    y, m = today.year, today.month
    for _ in range(18):
        months.append(f"{y}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return [str(today.year), str(today.year - 1), *months]


def _breadcrumb(actor, node):
    chain = [*OrgNode.objects.get_ancestors(node), node]
    return [n for n in chain if access.covers(actor, n)]


DASHBOARD_CACHE_SECONDS = 600


def _dashboard_data(node, period) -> dict:
    """Per (node, period), cached: the key moves with every job run that changed a rollup
    and every activity recorded, so what is live (rectification lists) is at most
    DASHBOARD_CACHE_SECONDS old and the rest is exactly the rollup."""
    key = sel.dashboard_cache_key(node, period)
    data = cache.get(key) if key else None
    if data is None:
        data = sel.dashboard_data(node, period)
        if key:
            cache.set(key, data, DASHBOARD_CACHE_SECONDS)
    return data


def _rate(value) -> str:
    """A rate cell: "—" when there is nothing to rate, else two decimals and %."""
    return "—" if value is None else f"{floatformat(value, 2)}%"


def _place_rows(by_child, period, cases_url: str) -> list[dict]:
    """The per-place table's cells, computed once (each link and rate in the
    template cost more than the dashboard's queries)."""
    rows = []
    for c in by_child:
        here = f"?node={c['node'].pk}&period={period.key}"
        row = {"name": c["node"].name, "url": here}
        for m in ("received", "accepted", "resolved", "overdue"):
            row[m], row[f"{m}_url"] = c[m], f"{cases_url}{here}&measure={m}"
        for r in ("response", "resolution", "satisfaction", "on_time"):
            row[r] = _rate(c[r])
        rows.append(row)
    return rows


def _category_rows(by_category, node, period, cases_url: str) -> list[dict]:
    """The per-category table's cells (see _place_rows)."""
    rows = []
    for c in by_category:
        cat = f"&category={c['category_id']}" if c["category_id"] else ""
        url = f"{cases_url}?node={node.pk}&period={period.key}&measure={{}}{cat}"
        rows.append(
            {
                "name": c["name"],
                "received": c["received"],
                "received_url": url.format("received"),
                "resolved": c["resolved"],
                "resolved_url": url.format("resolved"),
                "overdue": c["overdue"],
                "resolution": _rate(c["resolution"]),
                "satisfaction": _rate(c["satisfaction"]),
            }
        )
    return rows


@login_required
def dashboard(request):
    actor, node, period = _context(request)
    d = _dashboard_data(node, period)
    trend, by_category, by_child = d["trend"], d["by_category"], d["by_child"]
    export = request.GET.get("export")
    if export:
        return xlsx_response(
            *exports.figure_table(export, node, period, trend, by_category, by_child)
        )
    # A unit sees only its own figures: no ranking of others to show it against.
    is_unit = d["axis"] == Axis.UNIT
    ranking = d["ranking"]
    figures, ladder, commitments = d["figures"], d["ladder"], d["commitments"]
    activities = d["activities"]
    chart = {
        "trend": {
            "months": [t["label"] for t in trend],
            "received": [t["received"] for t in trend],
            "resolved": [t["resolved"] for t in trend],
            "resolution": [t["resolution"] for t in trend],
            "satisfaction": [t["satisfaction"] for t in trend],
        },
        "category": [{"name": c["name"], "value": c["received"]} for c in by_category[:12]],
        "places": {
            "names": [c["node"].name for c in by_child],
            "received": [c["received"] for c in by_child],
            "resolved": [c["resolved"] for c in by_child],
        },
        "ranking": {
            "names": [r["node"].name for r in reversed(ranking[:15])],
            "scores": [r["score"] for r in reversed(ranking[:15])],
        },
        "ladder": {
            "names": ["提醒", "督办单", "通报批评", "媒体曝光", "移送纪委"],
            "values": [ladder.get(i, 0) for i in range(1, 6)],
        },
        "commitments": [
            {"name": "正常", "value": commitments["on_track"]},
            {"name": "预警", "value": commitments["at_risk"]},
            {"name": "超期", "value": commitments["overdue"]},
            {"name": "已完成", "value": commitments["finished"]},
        ],
    }
    u = lambda m: sel.case_list_url(node, period, m)  # noqa: E731
    stats = [
        ("收到诉求", figures["received"], u("received"), ""),
        ("已受理", figures["accepted"], u("accepted"), ""),
        ("不予受理", figures["declined"], u("declined"), ""),
        ("已办结", figures["resolved"], u("resolved"), ""),
        ("超期未办结", figures["overdue"], u("overdue"), "danger" if figures["overdue"] else ""),
        ("重办", figures["reopened"], u("reopened"), "warn" if figures["reopened"] else ""),
    ]
    rate_stats = [
        (label, figures.rates[key], u(num)) for key, (label, num, _den) in RATES.items()
    ] + [("综合得分", figures.score, "")]
    cases_url = reverse("figures:cases")
    return render(
        request,
        "figures/dashboard.html",
        {
            "node": node,
            "period": period,
            "periods": _period_choices(),
            "breadcrumb": _breadcrumb(actor, node),
            "children": d["children"] if by_child else [],
            "stats": stats,
            "rate_stats": rate_stats,
            "sentences": d["sentences"],
            "category_rows": _category_rows(by_category, node, period, cases_url),
            "place_rows": _place_rows(by_child, period, cases_url),
            "ranking": [] if is_unit else ranking,
            "rank_kind": "places",
            "commitments": commitments,
            "activities": activities,
            "activity_rows": [
                (k, label, activities["by_kind"][k]) for k, label in ActivityKind.choices
            ],
            "ladder": ladder,
            "chart": chart,
            "is_unit": is_unit,
            "can_brief": actor.is_superuser or actor.has_role(Role.OFFICE),
            "commitments_url": reverse("figures:commitments"),
        },
    )


@login_required
def ranking_page(request):
    actor, node, period = _context(request)
    if not period.is_month:
        raise InvalidInput("排名按月统计，请选择月份", fields={"period": ["请选择月份"]})
    kind = "units" if request.GET.get("kind") == "units" else "places"
    rows = sel.ranking(node, period, kind=kind)
    title = f"{node.name}{period.label}{'承办单位' if kind == 'units' else '属地'}综合排名"
    if request.GET.get("export"):
        return xlsx_response(*exports.ranking_table(title, rows))
    return render(
        request,
        "figures/ranking.html",
        {
            "node": node,
            "period": period,
            "periods": [p for p in _period_choices() if len(p) == 7],
            "rows": rows,
            "kind": kind,
            "title": title,
            "weights": ScoreWeights.current(),
        },
    )


@login_required
def weights_page(request):
    actor = access.require_staff(request.user)
    weights = ScoreWeights.current()
    errors = {}
    if request.method == "POST":
        try:
            services.score_weights_update(
                actor=actor,
                response=request.POST.get("response"),
                resolution=request.POST.get("resolution"),
                satisfaction=request.POST.get("satisfaction"),
                on_time=request.POST.get("on_time"),
            )
        except InvalidInput as e:
            errors = e.fields
            messages.error(request, e.message)
        else:
            messages.success(request, "综合得分权重已保存，排名按新权重计算")
            return redirect("figures:weights")
    fields = [
        ("response", "响应率", "按时签收 / 交办"),
        ("resolution", "解决率", "办结 / 受理"),
        ("satisfaction", "满意率", "满意评价 / 全部评价"),
        ("on_time", "按时办结率", "按时办结 / 有时限办结"),
    ]
    return render(
        request,
        "figures/weights.html",
        {
            "weights": weights,
            "fields": [
                (k, label, hint, getattr(weights, k), errors.get(k)) for k, label, hint in fields
            ],
            "can_edit": actor.is_superuser or actor.has_role(Role.OFFICE),
        },
    )


# --- activities ------------------------------------------------------------------------


@login_required
def activities(request):
    actor, node, period = _context(request)
    kind = request.GET.get("kind", "")
    if kind not in ActivityKind.values:
        kind = ""
    qs = sel.activities_in(node, period, kind).select_related("place", "recorded_by")
    return _list_or_export(
        request,
        qs,
        "figures/activities.html",
        lambda: exports.activities_table(node, period, qs),
        node=node,
        period=period,
        periods=_period_choices(),
        kind=kind,
        kinds=ActivityKind.choices,
        totals=lambda: sel.activity_figures(node, period, kind),
    )


def _place_choices(actor):
    nodes = access.visible_nodes(actor).exclude(kind=OrgNode.Kind.DEPARTMENT).order_by("path")
    return list(nodes.values_list("pk", "name", "depth")[:3000])


@login_required
def activity_new(request):
    actor = access.require_staff(request.user)
    access.require_role(actor, *services.RECORDERS)
    errors: dict = {}
    values = {"date": timezone.localdate().isoformat(), "kind": "visit", "place": actor.node_id}
    if request.method == "POST":
        values = request.POST.dict()
        try:
            a = services.activity_record(
                actor=actor,
                date=request.POST.get("date"),
                place_id=request.POST.get("place"),
                kind=request.POST.get("kind", ""),
                title=request.POST.get("title", ""),
                people_reached=request.POST.get("people_reached"),
                participants=request.POST.get("participants"),
                groups_visited=request.POST.get("groups_visited"),
                problems_collected=request.POST.get("problems_collected"),
                suggestions_collected=request.POST.get("suggestions_collected"),
                note=request.POST.get("note", ""),
            )
        except InvalidInput as e:
            errors = e.fields
            messages.error(request, e.message)
        else:
            messages.success(request, "活动已记录")
            return redirect("figures:activity", pk=a.pk)
    min_depth = min((d for _pk, _n, d in _place_choices(actor)), default=1)
    places = [(pk, "　" * (d - min_depth) + name) for pk, name, d in _place_choices(actor)]
    return render(
        request,
        "figures/activity_form.html",
        {
            "values": values,
            "errors": errors,
            "kinds": ActivityKind.choices,
            "places": places,
            "today": timezone.localdate().isoformat(),
        },
    )


@login_required
def activity_detail(request, pk: int):
    actor = access.require_staff(request.user)
    access.require_role(actor, *FIGURE_ROLES)
    activity = services.access_activity(actor, pk)
    errors = {}
    if request.method == "POST":
        codes = request.POST.get("codes", "").replace("，", ",").replace("\n", ",").split(",")
        try:
            n = services.activity_link_cases(actor=actor, activity_id=pk, tracking_codes=codes)
        except InvalidInput as e:
            errors = e.fields
            messages.error(request, e.message)
        else:
            messages.success(request, f"已关联{n}件诉求")
            return redirect("figures:activity", pk=pk)
    from cases.models import Case

    cases = access.scope_tracked(
        actor, Case.objects.filter(pk__in=activity.case_links.values("case_id"))
    ).select_related("category", "owner_unit")[:200]
    return render(
        request,
        "figures/activity_detail.html",
        {"a": activity, "cases": cases, "errors": errors, "place": activity.place.place_label()},
    )


# --- drill-down lists -------------------------------------------------------------------


@login_required
def cases_list(request):
    actor, node, period = _context(request)
    measure = request.GET.get("measure", "received")
    if measure not in MEASURES:
        measure = "received"
    axis = request.GET.get("axis") or None
    if axis not in (None, Axis.PLACE, Axis.UNIT):
        axis = None
    category = request.GET.get("category") or None
    category = int(category) if category and category.isdigit() else None
    from_activity = request.GET.get("activity") == "1"
    qs = sel.drill_cases(
        actor,
        node,
        period,
        measure=measure,
        axis=axis,
        category_id=category,
        activity=from_activity,
    )
    title = f"{node.name}{period.label}{'活动收集的' if from_activity else ''}诉求：{MEASURES[measure].label}"
    return _list_or_export(
        request,
        qs,
        "figures/cases.html",
        lambda: exports.cases_table(actor, qs, title),
        title=title,
        node=node,
        period=period,
        measure=measure,
        rating=measure in ("rated", "satisfied"),
    )


@login_required
def commitments_list(request):
    actor, node, period = _context(request)
    state = request.GET.get("state", "")
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    level = request.GET.get("level", "")
    level = int(level) if level.isdigit() else 0
    qs = sel.drill_commitments(actor, node, state=state, status=status, level=level, kind=kind)
    title = f"{node.name}实事项目清单"
    return _list_or_export(
        request,
        qs,
        "figures/commitments.html",
        lambda: exports.commitments_table(title, qs),
        title=title,
        node=node,
    )


# --- briefing --------------------------------------------------------------------------


@login_required
def briefing_page(request):
    actor, node, period = _context(request)
    access.require_role(actor, Role.OFFICE)
    if not period.is_month:
        raise InvalidInput("通报按月编发，请选择月份", fields={"period": ["请选择月份"]})
    return render(
        request,
        "figures/briefing.html",
        {
            "node": node,
            "period": period,
            "periods": [p for p in _period_choices() if len(p) == 7],
            "picked": sel.highlights_for(node, period),
            "candidates": sel.highlight_candidates(node, period),
            "criticised": sel.criticised_units(node),
        },
    )


def _back_to_briefing(request, act, done: str):
    """The briefing page's two small forms: act(actor, period), a message, back."""
    actor, node, period = _context(request)
    act(actor, period)
    messages.success(request, done)
    return redirect(reverse("figures:briefing") + f"?node={node.pk}&period={period.key}")


@login_required
@require_POST
def highlight_pick(request):
    return _back_to_briefing(
        request,
        lambda actor, period: services.highlight_pick(
            actor=actor,
            report_id=request.POST.get("report"),
            period=period.key,
            text=request.POST.get("text", ""),
        ),
        "已选入本期通报的亮点做法",
    )


@login_required
@require_POST
def highlight_remove(request):
    return _back_to_briefing(
        request,
        lambda actor, _period: services.highlight_remove(
            actor=actor, highlight_id=request.POST.get("highlight")
        ),
        "已移出本期通报",
    )


@login_required
@require_POST
def briefing_download(request):
    actor, node, period = _context(request)
    b = services.briefing_issue(actor=actor, node_id=node.pk, period=period.key)
    data = briefing_doc.build(node=node, period=period, briefing=b)
    return exports.file_response(f"{node.name}{period.label}工作通报.docx", data, exports.DOCX)


__all__ = ["Activity", "dt"]
