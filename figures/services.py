"""Figures' use cases: record activities, link them to cases, set score weights,
pick highlights, issue a numbered briefing. Keyword-only, typed, one transaction each."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core.errors import InvalidInput, NotFound, PermissionDenied
from orgs import access
from orgs.models import OrgNode, Role, User

from .jobs import bump_generation
from .models import (
    COLLECTING_KINDS,
    Activity,
    ActivityCase,
    ActivityKind,
    Briefing,
    Highlight,
    ScoreWeights,
)
from .periods import parse_period

RECORDERS = (Role.GRID_WORKER, Role.OFFICE, Role.UNIT_HANDLER, Role.UNIT_HEAD)
# Who reads figures: the working roles. Volunteers have a light account and the
# discipline inspection reads referrals only (supervision).
FIGURE_ROLES = (
    Role.OFFICE,
    Role.UNIT_HANDLER,
    Role.UNIT_HEAD,
    Role.GRID_WORKER,
    Role.INSPECTOR,
)
MAX_COUNT = 1_000_000


def _int(errors: dict, name: str, value, label: str) -> int:
    if value in (None, ""):
        return 0
    try:
        n = int(value)
    except (TypeError, ValueError):
        errors[name] = [f"{label}须为整数"]
        return 0
    if n < 0 or n > MAX_COUNT:
        errors[name] = [f"{label}应在0到{MAX_COUNT}之间"]
        return 0
    return n


def activity_record(
    *,
    actor: User,
    date: dt.date | str | None,
    place_id,
    kind: str,
    title: str,
    people_reached=0,
    participants=0,
    groups_visited=0,
    problems_collected=0,
    suggestions_collected=0,
    note: str = "",
) -> Activity:
    """Record one session (学习/宣讲/培训/走访/座谈会) held in the actor's subtree."""
    access.require_staff(actor)
    access.require_role(actor, *RECORDERS)
    errors: dict[str, list[str]] = {}
    if isinstance(date, str):
        try:
            date = dt.date.fromisoformat(date.strip())
        except ValueError:
            date = None
            errors["date"] = ["日期格式应为2026-10-08"]
    if date is None and "date" not in errors:
        errors["date"] = ["请填写活动日期"]
    elif date is not None and date > timezone.localdate():
        errors["date"] = ["活动日期不能晚于今天"]
    if kind not in ActivityKind.values:
        errors["kind"] = ["请选择活动类型"]
    title = (title or "").strip()
    if not title:
        errors["title"] = ["请填写活动主题"]
    elif len(title) > 200:
        errors["title"] = ["活动主题不超过200字"]
    place = None
    try:
        place = access.access_node(actor, place_id)
    except NotFound:
        errors["place"] = ["请选择本辖区内的活动地点"]
    counts = {
        "people_reached": _int(errors, "people_reached", people_reached, "覆盖群众人次"),
        "participants": _int(errors, "participants", participants, "参与党员干部人数"),
        "groups_visited": _int(errors, "groups_visited", groups_visited, "走访居民小组数"),
        "problems_collected": _int(errors, "problems_collected", problems_collected, "收集问题数"),
        "suggestions_collected": _int(
            errors, "suggestions_collected", suggestions_collected, "收集意见建议数"
        ),
    }
    if kind in ActivityKind.values and kind not in COLLECTING_KINDS:
        for name in ("problems_collected", "suggestions_collected"):
            if counts[name]:
                errors[name] = ["只有走访和座谈会登记收集的问题和意见建议"]
    if kind != ActivityKind.VISIT and counts["groups_visited"]:
        errors["groups_visited"] = ["只有走访登记走访居民小组数"]
    if len(note or "") > 5000:
        errors["note"] = ["情况说明不超过5000字"]
    if errors:
        raise InvalidInput("活动记录有误，请检查标红的项目", fields=errors)
    with transaction.atomic():
        activity = Activity.objects.create(
            date=date,
            place=place,
            kind=kind,
            title=title,
            note=(note or "").strip(),
            recorded_by=actor,
            **counts,
        )
        bump_generation()  # the dashboards' cached figures include activities
    return activity


def access_activity(actor: User, activity_id) -> Activity:
    """An activity the actor may see: held in their subtree. "Not yours" = not found."""
    access.require_staff(actor)
    try:
        activity = Activity.objects.select_related("place").get(pk=activity_id)
    except (Activity.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if not access.covers(actor, activity.place):
        raise NotFound()
    return activity


def activity_link_cases(*, actor: User, activity_id, tracking_codes: list[str]) -> int:
    """Link the cases an activity produced (by tracking code); returns how many were new."""
    from cases.models import Case

    activity = access_activity(actor, activity_id)
    access.require_role(actor, *RECORDERS)
    codes = [c.strip().upper() for c in tracking_codes if c and c.strip()]
    if not codes:
        raise InvalidInput("请填写诉求查询码", fields={"codes": ["请填写至少一个查询码"]})
    if len(codes) > 500:
        raise InvalidInput("一次最多关联500件诉求", fields={"codes": ["一次最多关联500件"]})
    found = dict(
        access.scope_tracked(actor, Case.objects.filter(tracking_code__in=codes)).values_list(
            "tracking_code", "pk"
        )
    )
    missing = [c for c in codes if c not in found]
    if missing:
        raise InvalidInput(
            "以下查询码未找到或不在您的辖区：" + "、".join(missing[:20]),
            fields={"codes": ["部分查询码无效"]},
        )
    with transaction.atomic():
        existing = set(
            ActivityCase.objects.filter(activity=activity, case_id__in=found.values()).values_list(
                "case_id", flat=True
            )
        )
        new = [
            ActivityCase(activity=activity, case_id=pk)
            for pk in found.values()
            if pk not in existing
        ]
        ActivityCase.objects.bulk_create(new)
        if new:
            bump_generation()
    return len(new)


def score_weights_update(
    *, actor: User, response, resolution, satisfaction, on_time
) -> ScoreWeights:
    """The office sets the composite score's weights (综合得分 = Σ权重×比率 / Σ权重)."""
    access.require_staff(actor)
    access.require_role(actor, Role.OFFICE)
    if not actor.is_superuser and actor.node.kind not in (
        OrgNode.Kind.COUNTY,
        OrgNode.Kind.CITY,
        OrgNode.Kind.PROVINCE,
    ):
        raise PermissionDenied("综合得分权重由县级办公室设置")
    errors: dict[str, list[str]] = {}
    values = {}
    for name, value, label in (
        ("response", response, "响应率权重"),
        ("resolution", resolution, "解决率权重"),
        ("satisfaction", satisfaction, "满意率权重"),
        ("on_time", on_time, "按时办结率权重"),
    ):
        try:
            n = int(value)
        except (TypeError, ValueError):
            errors[name] = [f"{label}须为0到100的整数"]
            continue
        if not 0 <= n <= 100:
            errors[name] = [f"{label}须为0到100的整数"]
            continue
        values[name] = n
    if not errors and sum(values.values()) == 0:
        errors["response"] = ["权重不能全为0"]
    if errors:
        raise InvalidInput("权重设置有误", fields=errors)
    with transaction.atomic():
        weights = ScoreWeights.objects.select_for_update().filter(pk=1).first() or ScoreWeights(
            pk=1
        )
        for k, v in values.items():
            setattr(weights, k, v)
        weights.updated_by = actor
        weights.save()
    return weights


def highlight_pick(*, actor: User, report_id, period: str, text: str = "") -> Highlight:
    """The office picks a 亮点做法 from a progress report for the month's briefing."""
    from commitments.models import ProgressReport

    access.require_staff(actor)
    access.require_role(actor, Role.OFFICE)
    p = parse_period(period)
    if not p.is_month:
        raise InvalidInput("请选择通报月份", fields={"period": ["请选择月份"]})
    try:
        report = ProgressReport.objects.select_related("unit").get(pk=report_id)
    except (ProgressReport.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if not access.covers(actor, report.unit):
        raise NotFound()
    text = (text or report.highlights or "").strip()
    if not text:
        raise InvalidInput("该报送没有填写亮点做法", fields={"text": ["请填写亮点做法"]})
    with transaction.atomic():
        highlight, _ = Highlight.objects.update_or_create(
            report_id=report.pk,
            defaults={
                "unit": report.unit,
                "period": p.key,
                "text": text[:2000],
                "picked_by": actor,
            },
        )
    return highlight


def highlight_remove(*, actor: User, highlight_id) -> None:
    access.require_staff(actor)
    access.require_role(actor, Role.OFFICE)
    highlight = Highlight.objects.filter(pk=highlight_id).select_related("unit").first()
    if highlight is None or not access.covers(actor, highlight.unit):
        raise NotFound()
    highlight.delete()


def briefing_issue(*, actor: User | None, node_id, period: str) -> Briefing:
    """The numbered briefing for a node and month; asking again returns the same number."""
    p = parse_period(period)
    if not p.is_month:
        raise InvalidInput("通报按月编发，请选择月份", fields={"period": ["请选择月份"]})
    if actor is not None:
        access.require_staff(actor)
        access.require_role(actor, Role.OFFICE)
        node = access.access_node(actor, node_id)
    else:  # the management command acts as the system
        node = OrgNode.objects.filter(pk=node_id).first()
        if node is None:
            raise NotFound()
    with transaction.atomic():
        existing = Briefing.objects.filter(node=node, period=p.key).first()
        if existing:
            return existing
        last = (
            Briefing.objects.select_for_update()
            .filter(node=node, year=p.start.year)
            .aggregate(n=Max("number"))["n"]
        )
        return Briefing.objects.create(
            node=node, period=p.key, year=p.start.year, number=(last or 0) + 1, created_by=actor
        )
