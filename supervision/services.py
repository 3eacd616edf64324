"""Supervision's use cases: manual escalation, notices, notifications, spot checks,
return visits. Keyword-only, typed, taking the actor, one transaction each."""

from __future__ import annotations

import random
import secrets

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from core.errors import InvalidInput, NotFound, PermissionDenied, WorkflowError
from orgs import access
from orgs.models import Role, User
from tracking import registry
from tracking.models import EscalationLevel, TrackedItem
from tracking.registry import TrackedKind
from tracking.services import item_transition, personal_data_access_log, timeline_append

from . import engine, hooks, rules, selectors
from .models import (
    InspectionGroup,
    Notice,
    Notification,
    ReturnVisit,
    SpotCheck,
    SpotCheckItem,
)

ESCALATORS = (Role.OFFICE, Role.INSPECTOR)


def _need_text(value: str, field: str, message: str, minimum: int = 1) -> str:
    text = (value or "").strip()
    if len(text) < minimum:
        raise InvalidInput(message, fields={field: [message]})
    return text


def item_for(actor: User, kind_key: str, item_id) -> tuple[TrackedKind, TrackedItem]:
    """A tracked item of any kind, through the access module (NotFound if not yours)."""
    access.require_staff(actor)
    kind = hooks.kind_by_key(kind_key)
    return kind, access.access_tracked(actor, kind.model.objects.all(), item_id)


# --- the ladder by hand -----------------------------------------------------------


def item_escalate(
    *, actor: User, kind_key: str, item_id: int, level: int | str, reason: str
) -> TrackedItem:
    """Escalate one item by hand to a higher rung, with a reason, on its timeline."""
    access.require_staff(actor)
    access.require_role(actor, *ESCALATORS)
    try:
        level = int(level)
    except (TypeError, ValueError):
        level = -1
    if level not in range(1, 6):
        raise InvalidInput("请选择督办级别", fields={"level": ["请选择督办级别"]})
    reason = _need_text(reason, "reason", "请填写督办理由（不少于5个字）", 5)
    kind, item = item_for(actor, kind_key, item_id)
    with transaction.atomic():
        item = type(item).objects.select_for_update().get(pk=item.pk)
        if item.state not in kind.open_states:
            raise WorkflowError(f"事项当前为“{item.state_label}”，不在办理中，不能督办")
        if level <= item.escalation_level:
            raise WorkflowError(
                f"事项已处于“{EscalationLevel(item.escalation_level).label}”，只能向上升级"
            )
        engine.escalate(
            kind=kind,
            rows=[(item.pk, item.escalation_level, item.owner_unit_id)],
            level=level,
            policy=rules.policy_for_item(kind, item),
            today=timezone.localdate(),
            actor=actor,
            reason=reason,
        )
    item.refresh_from_db()
    return item


def item_deescalate(
    *, actor: User, kind_key: str, item_id: int, reason: str, level: int | str = 0
) -> TrackedItem:
    """Lower an item's rung by hand (the office), with a reason, on its timeline."""
    access.require_staff(actor)
    access.require_role(actor, Role.OFFICE)
    try:
        level = int(level)
    except (TypeError, ValueError):
        level = -1
    if level not in range(0, 5):
        raise InvalidInput("请选择督办级别", fields={"level": ["请选择督办级别"]})
    reason = _need_text(reason, "reason", "请填写解除或降级理由（不少于5个字）", 5)
    kind, item = item_for(actor, kind_key, item_id)
    with transaction.atomic():
        item = type(item).objects.select_for_update().get(pk=item.pk)
        if level >= item.escalation_level:
            raise WorkflowError("只能降低督办级别")
        engine.deescalate(
            kind=kind,
            rows=[(item.pk, item.escalation_level)],
            reason=reason,
            actor=actor,
            to_level=level,
        )
    item.refresh_from_db()
    return item


# --- notices ------------------------------------------------------------------------


def notice_answer(*, actor: User, notice_id: int, answer: str) -> Notice:
    """The unit answers a supervision notice in writing."""
    access.require_staff(actor)
    access.require_role(actor, Role.UNIT_HANDLER, Role.UNIT_HEAD)
    answer = _need_text(answer, "answer", "请填写书面答复（不少于10个字）", 10)
    if len(answer) > 5000:
        raise InvalidInput("书面答复不能超过5000字", fields={"answer": ["书面答复不能超过5000字"]})
    with transaction.atomic():
        try:
            notice = (
                selectors.notices_for(actor)
                .select_related(None)
                .select_for_update(of=("self",))
                .get(pk=notice_id)
            )
        except (Notice.DoesNotExist, ValueError, TypeError):
            raise NotFound() from None
        if not access.covers(actor, notice.unit):
            raise PermissionDenied("只有责任单位可以答复督办单")
        if notice.status != Notice.Status.OPEN:
            raise WorkflowError(f"督办单当前为“{notice.get_status_display()}”，不能答复")
        notice.status = Notice.Status.ANSWERED
        notice.answer = answer
        notice.answered_at = timezone.now()
        notice.answered_by = actor
        notice.save(update_fields=["status", "answer", "answered_at", "answered_by"])
        item = notice.item
        if item is not None:
            timeline_append(
                item=item,
                actor=actor,
                action="supervision.notice_answer",
                action_label="答复督办单",
                note=answer,
                data={"notice": notice.number},
            )
    return notice


def notification_read(*, actor: User, notification_id: int | None = None) -> int:
    """Mark one notification (or all of the actor's) read. Returns how many changed."""
    access.require_staff(actor)
    qs = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if notification_id is not None:
        if not Notification.objects.filter(recipient=actor, pk=notification_id).exists():
            raise NotFound()
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())


# --- reopening (the generic contract) --------------------------------------------------


def item_reopen(*, actor: User, kind: TrackedKind, item: TrackedItem, note: str) -> TrackedItem:
    """Reopen finished work through the kind's contract: TrackedKind.extra["reopen"]
    names a workflow transition (taken by the actor) or is a callable."""
    how = hooks.get(kind, "reopen")
    if how is None:
        raise WorkflowError(f"{kind.label}不支持重新办理")
    if callable(how):
        return how(actor=actor, item=item, note=note)
    return item_transition(actor=actor, item=item, name=how, note=note)


# --- inspection groups: spot checks ------------------------------------------------------


def group_for(actor: User, group_id) -> InspectionGroup:
    access.require_staff(actor)
    try:
        return selectors.groups_for(actor).get(pk=group_id)
    except (InspectionGroup.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def draw(seed: str, node_code: str, population: list[list], n: int) -> list[list]:
    """The sample of one unit: the same seed and population always give the same draw."""
    rng = random.Random(f"{seed}:{node_code}")
    ordered = sorted(population)
    return rng.sample(ordered, min(n, len(ordered)))


def spot_check_draw(
    *, actor: User, group_id: int, per_unit: int | str, seed: str = ""
) -> SpotCheck:
    """随机抽查: draw `per_unit` finished items for each unit of the group, seed recorded."""
    access.require_role(actor, Role.INSPECTOR, Role.OFFICE)
    group = group_for(actor, group_id)
    try:
        n = int(per_unit)
    except (TypeError, ValueError):
        n = 0
    if not 1 <= n <= 50:
        raise InvalidInput("每单位抽取数应为1至50", fields={"per_unit": ["每单位抽取数应为1至50"]})
    seed = (seed or "").strip() or secrets.token_hex(6)
    if len(seed) > 64:
        raise InvalidInput(
            "随机种子不能超过64个字符", fields={"seed": ["随机种子不能超过64个字符"]}
        )
    population = selectors.spot_check_population(group)
    with transaction.atomic():
        check = SpotCheck.objects.create(
            group=group, seed=seed, per_unit=n, drawn_by=actor, population=population
        )
        rows = []
        cts = {hooks.key(k): ContentType.objects.get_for_model(k.model) for k in registry.kinds()}
        nodes = {str(node.pk): node for node in group.nodes.all()}
        for node_id, pop in population.items():
            for pos, (kind_key, pk) in enumerate(draw(seed, nodes[node_id].code, pop, n)):
                rows.append(
                    SpotCheckItem(
                        spot_check=check,
                        item_type=cts[kind_key],
                        item_id=pk,
                        unit=nodes[node_id],
                        position=pos,
                    )
                )
        SpotCheckItem.objects.bulk_create(rows)
    return check


def spot_check_replay(check: SpotCheck) -> dict[int, list[list]]:
    """Draw again from the recorded seed and population (shows the draw is reproducible)."""
    codes = dict(check.group.nodes.values_list("pk", "code"))
    return {
        int(node_id): draw(check.seed, codes.get(int(node_id), ""), pop, check.per_unit)
        for node_id, pop in check.population.items()
    }


def spot_check_record(
    *, actor: User, check_item_id: int, result: str, finding: str = ""
) -> SpotCheckItem:
    """Record a spot check's finding; a failed check reopens the item."""
    access.require_role(actor, Role.INSPECTOR, Role.OFFICE)
    if result not in (SpotCheckItem.Result.PASSED, SpotCheckItem.Result.FAILED):
        raise InvalidInput("请选择核查结果", fields={"result": ["请选择核查结果"]})
    finding = (finding or "").strip()
    if result == SpotCheckItem.Result.FAILED and len(finding) < 5:
        raise InvalidInput(
            "不合格须写明发现的问题（不少于5个字）",
            fields={"finding": ["不合格须写明发现的问题（不少于5个字）"]},
        )
    with transaction.atomic():
        try:
            row = (
                SpotCheckItem.objects.select_for_update()
                .select_related("spot_check")
                .get(pk=check_item_id, spot_check__group__in=selectors.groups_for(actor))
            )
        except (SpotCheckItem.DoesNotExist, ValueError, TypeError):
            raise NotFound() from None
        if row.result != SpotCheckItem.Result.PENDING:
            raise WorkflowError("该事项已核查，不能重复记录")
        kind = registry.kind_for(row.item_type.model_class())
        item = row.item
        if item is None:
            raise NotFound()
        row.result, row.finding = result, finding
        row.checked_by, row.checked_at = actor, timezone.now()
        row.save(update_fields=["result", "finding", "checked_by", "checked_at"])
        passed = result == SpotCheckItem.Result.PASSED
        timeline_append(
            item=item,
            actor=actor,
            action="supervision.spot_check",
            action_label="随机抽查：合格" if passed else "随机抽查：发现问题",
            note=finding,
            data={"check": row.spot_check_id, "seed": row.spot_check.seed, "result": result},
        )
        if not passed:
            item_reopen(actor=actor, kind=kind, item=item, note=f"随机抽查发现问题：{finding}")
    return row


# --- return visits ---------------------------------------------------------------------


def return_visit_contact(*, actor: User, kind_key: str, item_id: int) -> dict:
    """The requester's name and phone for the call (logged as a personal-data read)."""
    access.require_role(actor, Role.INSPECTOR, Role.OFFICE)
    kind, item = item_for(actor, kind_key, item_id)
    contacts = hooks.get(kind, "contacts")
    if not hooks.get(kind, "return_visits") or contacts is None:
        raise NotFound()
    contact = contacts([item]).get(item.pk)
    if contact:
        personal_data_access_log(
            actor=actor, item=item, fields=["name", "phone"], reason="回访群众"
        )
    return contact or {}


def return_visit_record(
    *, actor: User, kind_key: str, item_id: int, outcome: str, note: str = "", group_id=None
) -> ReturnVisit:
    """回访: record the outcome; a visit whose requester is not satisfied reopens the case."""
    access.require_role(actor, Role.INSPECTOR, Role.OFFICE)
    if outcome not in ReturnVisit.Outcome.values:
        raise InvalidInput("请选择回访结果", fields={"outcome": ["请选择回访结果"]})
    note = (note or "").strip()
    unsatisfied = outcome == ReturnVisit.Outcome.UNSATISFIED
    if unsatisfied and len(note) < 5:
        raise InvalidInput(
            "不满意须记录群众反映的问题（不少于5个字）",
            fields={"note": ["不满意须记录群众反映的问题（不少于5个字）"]},
        )
    group = group_for(actor, group_id) if group_id else None
    kind, item = item_for(actor, kind_key, item_id)
    if not hooks.get(kind, "return_visits"):
        raise WorkflowError(f"{kind.label}不需要回访")
    with transaction.atomic():
        item = type(item).objects.select_for_update().get(pk=item.pk)
        if item.state not in kind.finished_states:
            raise WorkflowError(f"事项当前为“{item.state_label}”，尚未办结，不能回访")
        visit = ReturnVisit.objects.create(
            item_type=ContentType.objects.get_for_model(type(item)),
            item_id=item.pk,
            unit_id=item.owner_unit_id,
            group=group,
            outcome=outcome,
            note=note,
            visited_by=actor,
        )
        label = ReturnVisit.Outcome(outcome).label
        timeline_append(
            item=item,
            actor=actor,
            action="supervision.return_visit",
            action_label=f"回访：{label}",
            note=note,
            data={"visit": visit.pk, "outcome": outcome},
        )
        if unsatisfied:
            item_reopen(actor=actor, kind=kind, item=item, note=f"回访群众不满意：{note}")
    return visit
