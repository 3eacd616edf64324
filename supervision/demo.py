"""Demo data for supervision: the default policy, two inspection groups, and — over
whatever tracked kinds are registered (cases, commitments) — items on every rung
of the ladder, an answered notice, a spot check and return visits.

Idempotent: deadlines are set relative to today, the jobs change nothing on a
second run, and checks/visits are only made when none exist yet.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from orgs.models import OrgNode, User
from tracking import registry, workdays
from tracking.models import SupervisionStatus, TimelineEntry

from . import hooks, jobs, selectors, services
from .models import InspectionGroup, LadderPolicy, Notice, ReturnVisit

# Working days overdue that put an item on each rung under the default policy;
# 0 means "due tomorrow" (at risk: a reminder).
RUNG_DEADLINES = {1: None, 2: 3, 3: 12, 4: 22, 5: 35}
PER_RUNG = 2

GROUPS = [
    ("第一巡回指导组", ["D05", "D07", "T01", "T02"]),
    ("第二巡回指导组", ["D01", "D02", "T04", "T05"]),
]


def _policy() -> LadderPolicy:
    policy, _ = LadderPolicy.objects.get_or_create(
        scope_key="", defaults={"name": "全县督办规则（默认）"}
    )
    return policy


def _groups() -> list[InspectionGroup]:
    out = []
    inspector = User.objects.filter(username="inspector").first()
    for name, codes in GROUPS:
        group, _ = InspectionGroup.objects.get_or_create(name=name)
        group.nodes.set(OrgNode.objects.filter(code__in=codes))
        if inspector and name == GROUPS[0][0]:
            group.members.add(inspector)
        out.append(group)
    return out


def _place_on_rungs(today) -> int:
    """Give a few open items of each kind deadlines that reach each rung."""
    moved = 0
    for kind in registry.kinds():
        model = kind.model
        ct = ContentType.objects.get_for_model(model)
        # Items reopened by the demo's own checks and visits stay out, so a second
        # run picks the same items.
        reopened = TimelineEntry.objects.filter(
            item_type=ct,
            item_id=OuterRef("pk"),
            action__in=["supervision.spot_check", "supervision.return_visit"],
        )
        candidates = list(
            model.objects.filter(state__in=kind.open_states, owner_unit__isnull=False)
            .exclude(Exists(reopened))
            .order_by("pk")
            .values_list("pk", flat=True)[: PER_RUNG * 5]
        )
        for i, pk in enumerate(candidates):
            level = 1 + i // PER_RUNG
            n = RUNG_DEADLINES[level]
            deadline = (
                workdays.add_working_days(today, 1)
                if n is None
                else workdays.add_working_days(today, -n)
            )
            moved += (
                model.objects.filter(pk=pk).exclude(deadline=deadline).update(deadline=deadline)
            )
    return moved


def _answer_one_notice() -> None:
    if Notice.objects.filter(status=Notice.Status.ANSWERED).exists():
        return
    for username in ("unit", "town", "town2"):
        handler = User.objects.filter(username=username).first()
        notice = (
            Notice.objects.filter(status=Notice.Status.OPEN, unit_id=handler.node_id)
            .order_by("pk")
            .first()
            if handler
            else None
        )
        if notice is not None:
            break
    else:
        return
    services.notice_answer(
        actor=handler,
        notice_id=notice.pk,
        answer="我局已召开专题推进会，明确专人负责，已落实施工队伍，预计10个工作日内完成整改，届时报送佐证材料。",
    )


def _checks_and_visits(group: InspectionGroup) -> None:
    inspector = User.objects.filter(username="inspector").first()
    if inspector is None or group.checks.exists():
        return
    if not any(selectors.spot_check_population(group).values()):
        return  # nothing finished yet to draw from
    check = services.spot_check_draw(
        actor=inspector, group_id=group.pk, per_unit=2, seed="2026-示范县-第一轮"
    )
    rows = list(check.items.order_by("pk"))
    if rows:
        services.spot_check_record(
            actor=inspector, check_item_id=rows[0].pk, result="passed", finding="现场核实，已完成"
        )
    if len(rows) > 1:
        services.spot_check_record(
            actor=inspector,
            check_item_id=rows[1].pk,
            result="failed",
            finding="现场核查发现整改不彻底，佐证照片与实际不符",
        )
    if ReturnVisit.objects.exists():
        return
    calls = selectors.call_list(inspector, group, limit=3)
    outcomes = [
        ("satisfied", "群众表示问题已解决，很满意"),
        ("unreachable", "连续两次拨打无人接听"),
        ("unsatisfied", "群众反映问题反弹，要求重新处理"),
    ]
    for row, (outcome, note) in zip(calls, outcomes, strict=False):
        services.return_visit_record(
            actor=inspector,
            kind_key=row["key"],
            item_id=row["item"].pk,
            outcome=outcome,
            note=note,
            group_id=group.pk,
        )


def _manual_step() -> None:
    office = User.objects.filter(username="office").first()
    if (
        office is None
        or TimelineEntry.objects.filter(action="supervision.escalate", actor=office).exists()
    ):
        return  # none, or done on an earlier run
    for kind in registry.kinds():
        item = (
            kind.model.objects.filter(
                state__in=kind.open_states,
                escalation_level=0,
                supervision_status=SupervisionStatus.ON_TRACK,
                owner_unit__isnull=False,
            )
            .order_by("-pk")
            .first()
        )
        if item is None:
            continue
        services.item_escalate(
            actor=office,
            kind_key=hooks.key(kind),
            item_id=item.pk,
            level=2,
            reason="群众多次来电反映，进展缓慢，经领导小组研究决定下发督办单",
        )


@transaction.atomic
def seed() -> str:
    today = timezone.localdate()
    _policy()
    groups = _groups()
    if not registry.kinds():
        return "督办规则与巡回指导组已建立（尚无跟踪事项类别）"
    moved = _place_on_rungs(today)
    jobs.run_all(today)
    _answer_one_notice()
    _manual_step()
    _checks_and_visits(groups[0])
    jobs.run_all(today)
    counts = []
    for kind in registry.kinds():
        levels = {lv: kind.model.objects.filter(escalation_level=lv).count() for lv in range(1, 6)}
        counts.append(f"{kind.label} " + "/".join(str(levels[lv]) for lv in range(1, 6)))
    return f"调整时限 {moved} 件；各级督办（提醒/督办单/通报/曝光/移送）：" + "；".join(counts)
