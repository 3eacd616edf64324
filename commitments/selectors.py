"""Shared reads: every query is scoped through orgs.access first."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from core.errors import NotFound
from orgs import access
from orgs.models import OrgNode, User

from .models import (
    OPEN_STATES,
    Commitment,
    Kind,
    ProblemLevel,
    Programme,
    RectificationProblem,
    ReportKind,
    ReportStatus,
)
from .services import reports_scope


def commitments_for(actor: User, programme: Programme | None = None) -> QuerySet[Commitment]:
    qs = access.scope_tracked(actor, Commitment.objects.all())
    if programme is not None:
        qs = qs.filter(programme=programme)
    return qs.select_related("owner_unit", "category__aspect", "programme", "problem")


def filtered_commitments(
    qs: QuerySet[Commitment],
    *,
    programme: int | None = None,
    state: str = "",
    kind: str = "",
    level: str = "",
    unit: int | str | None = None,
    category_code: str = "",
    q: str = "",
    flagship: bool = False,
) -> QuerySet[Commitment]:
    """The commitment filters the pages and the API share; unknown values are ignored."""
    if programme:
        qs = qs.filter(programme_id=programme)
    if state in Commitment.WORKFLOW.states:
        qs = qs.filter(state=state)
    if kind in Kind.values:
        qs = qs.filter(kind=kind)
    if level:
        qs = qs.filter(level=level)
    if unit is not None and str(unit).isdigit():
        qs = qs.filter(owner_unit_id=int(unit))
    if category_code:
        qs = qs.filter(category__code=category_code)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(tasks__icontains=q))
    if flagship:
        qs = qs.filter(is_flagship=True)
    return qs


def commitment_get(actor: User, pk) -> Commitment:
    return access.access_tracked(
        actor, Commitment.objects.select_related("owner_unit", "category", "programme"), pk
    )


def programme_get(pk) -> Programme:
    try:
        return Programme.objects.get(pk=pk)
    except (Programme.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def programmes_for(actor: User) -> list[dict]:
    access.require_staff(actor)
    rows = []
    visible = access.scope_tracked(actor, Commitment.objects.all())
    counts = {
        r["programme"]: r
        for r in visible.values("programme").annotate(
            n=Count("id"),
            done=Count("id", filter=Q(state__in=["accepted", "closed"])),
            flagship=Count("id", filter=Q(is_flagship=True)),
        )
    }
    for p in Programme.objects.all():
        c = counts.get(p.pk, {})
        rows.append(
            {
                "programme": p,
                "n": c.get("n", 0),
                "done": c.get("done", 0),
                "flagship": c.get("flagship", 0),
            }
        )
    return rows


def state_counts(qs: QuerySet[Commitment]) -> list[dict]:
    raw = dict(qs.values_list("state").annotate(n=Count("id")).order_by())
    return [
        {"state": s, "label": label, "n": raw.get(s, 0)}
        for s, label in Commitment.WORKFLOW.states.items()
    ]


@dataclass
class Group:
    label: str
    items: list = field(default_factory=list)
    children: OrderedDict = field(default_factory=OrderedDict)

    @property
    def count(self) -> int:
        return len(self.items) + sum(c.count for c in self.children.values())


def grouped_by_aspect(items: list[Commitment]) -> list[Group]:
    """Aspect → category → items, in the taxonomy's order; uncategorised last."""
    aspects: OrderedDict[str, Group] = OrderedDict()

    def key(c: Commitment):
        if c.category_id is None:
            return (9999, 9999, c.seq)
        return (c.category.aspect.order, c.category.aspect_id, c.category.order, c.seq)

    for c in sorted(items, key=key):
        a = c.category.aspect.name if c.category_id else "未分类"
        cat = c.category.name if c.category_id else "未分类"
        group = aspects.setdefault(a, Group(a))
        group.children.setdefault(cat, Group(cat)).items.append(c)
    return list(aspects.values())


def per_unit(qs: QuerySet[Commitment]) -> list[dict]:
    rows = (
        qs.values("owner_unit", "owner_unit__name")
        .annotate(
            n=Count("id"),
            open=Count("id", filter=Q(state__in=OPEN_STATES)),
            completed=Count("id", filter=Q(state="completed")),
            done=Count("id", filter=Q(state__in=["accepted", "closed"])),
            overdue=Count("id", filter=Q(supervision_status="overdue")),
            flagship=Count("id", filter=Q(is_flagship=True)),
        )
        .order_by("-n", "owner_unit__name")
    )
    return list(rows)


# --- rectification ----------------------------------------------------------------


def rectification_for(actor: User, programme: Programme) -> dict:
    """问题清单, 责任清单, 整改清单 and the counts per level as seed 003 prints them."""
    measures = list(
        commitments_for(actor, programme)
        .filter(kind=Kind.RECTIFICATION)
        .select_related("problem__unit")
        .order_by("problem__level", "problem_id", "seq")
    )
    problem_ids = {m.problem_id for m in measures}
    problems_qs = RectificationProblem.objects.filter(programme=programme).select_related("unit")
    if not access.sees_everything(actor):
        problems_qs = problems_qs.filter(
            Q(pk__in=problem_ids) | access.subtree_q(actor.node, "unit")
        )
    problems = list(problems_qs.order_by("level", "id"))
    by_problem: dict[int, list[Commitment]] = defaultdict(list)
    for m in measures:
        by_problem[m.problem_id].append(m)
    order = {code: i for i, code in enumerate(ProblemLevel.values)}
    problems.sort(key=lambda p: (order[p.level], p.pk))
    levels = []
    for code, label in ProblemLevel.choices:
        ps = [p for p in problems if p.level == code]
        ms = [m for p in ps for m in by_problem.get(p.pk, [])]
        levels.append(
            {
                "code": code,
                "label": label,
                "problems": len(ps),
                "measures": len(ms),
                "immediate": sum(1 for m in ms if m.is_immediate),
                "done": sum(1 for m in ms if m.state in ("accepted", "closed")),
            }
        )
    for p in problems:
        p.measure_list = by_problem.get(p.pk, [])
        p.measures_done = sum(1 for m in p.measure_list if m.state in ("accepted", "closed"))
    responsibility: OrderedDict[str, list] = OrderedDict()
    for m in sorted(measures, key=lambda m: (m.owner_unit.name if m.owner_unit_id else "", m.seq)):
        responsibility.setdefault(m.owner_unit.name if m.owner_unit_id else "未明确", []).append(m)
    return {
        "problems": problems,
        "measures": measures,
        "levels": levels,
        "responsibility": responsibility,
        "summary": summary_sentence(levels),
    }


def summary_sentence(levels: list[dict]) -> str:
    """检视问题39条…制定整改措施140条, per level as seed 003 writes it."""
    found = "，".join(f"{lv['label']}检视问题{lv['problems']}条" for lv in levels)
    fixed = "，".join(f"针对{lv['label']}的问题制定整改措施{lv['measures']}条" for lv in levels)
    return f"{found}。{fixed}。"


# --- reports ----------------------------------------------------------------------


CLOSED_FOR_REPORTS = ["draft", "accepted", "closed"]


def reports_due_for(actor: User) -> dict:
    """A unit's "reports due" page: open slots, and those awaiting the head's approval."""
    qs = reports_scope(actor).select_related("commitment", "unit", "programme")
    if not access.sees_everything(actor):
        qs = qs.filter(access.subtree_q(actor.node, "unit"))
    today = timezone.localdate()
    # Finished items owe nothing more; their missing slots still count in punctuality.
    owed = qs.exclude(commitment__state__in=CLOSED_FOR_REPORTS)
    open_ = list(owed.filter(status=ReportStatus.DUE).order_by("due_date", "id")[:200]) + list(
        owed.filter(status=ReportStatus.MISSING).order_by("-due_date", "id")[:200]
    )
    waiting = list(
        qs.filter(status__in=[ReportStatus.SUBMITTED, ReportStatus.LATE]).order_by("-submitted_at")[
            :200
        ]
    )
    recent = list(qs.filter(status=ReportStatus.APPROVED).order_by("-approved_at")[:10])
    return {"open": open_, "waiting": waiting, "recent": recent, "today": today}


def punctuality(
    actor: User, programme: Programme | None = None, *, today: dt.date | None = None
) -> list[dict]:
    """Per unit: slots that fell due, on time, late, missing, and the punctuality rate."""
    today = today or timezone.localdate()
    qs = reports_scope(actor).filter(due_date__lte=today)
    if programme is not None:
        qs = qs.filter(programme=programme)
    rows = (
        qs.values("unit", "unit__name")
        .annotate(
            due=Count("id"),
            monthly=Count("id", filter=Q(kind=ReportKind.MONTHLY)),
            weekly=Count("id", filter=Q(kind=ReportKind.WEEKLY)),
            on_time=Count(
                "id",
                filter=Q(status__in=[ReportStatus.SUBMITTED, ReportStatus.APPROVED], is_late=False),
            ),
            late=Count("id", filter=Q(is_late=True)),
            missing=Count("id", filter=Q(status=ReportStatus.MISSING)),
            pending=Count("id", filter=Q(status=ReportStatus.DUE)),
        )
        .order_by("unit__name")
    )
    out = []
    for r in rows:
        # Slots due today and not yet in are still open: they count neither way.
        settled = r["due"] - r["pending"]
        r["rate"] = round(r["on_time"] * 100 / settled, 1) if settled else None
        out.append(r)
    out.sort(key=lambda r: (r["rate"] if r["rate"] is not None else 101, r["unit__name"]))
    return out


def unit_choices(actor: User) -> QuerySet[OrgNode]:
    return access.visible_nodes(actor).filter(
        kind__in=[OrgNode.Kind.DEPARTMENT, OrgNode.Kind.TOWN, OrgNode.Kind.VILLAGE]
    )


def recent_highlights(actor: User, programme: Programme | None = None, limit: int = 12) -> list:
    """亮点做法 from the lead units' latest weekly summaries."""
    qs = reports_scope(actor).filter(
        kind=ReportKind.WEEKLY,
        status__in=[ReportStatus.SUBMITTED, ReportStatus.LATE, ReportStatus.APPROVED],
    )
    if programme is not None:
        qs = qs.filter(programme=programme)
    return list(
        qs.exclude(highlights="").select_related("unit").order_by("-period_start", "id")[:limit]
    )
