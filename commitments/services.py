"""Commitments use cases: one function each, keyword-only, taking the actor, in one transaction.

State changes go through tracking.services.item_transition; this module adds the
app's own checks (evidence, the claimer, cadences) and the progress reports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core.errors import InvalidInput, NotFound, PermissionDenied, WorkflowError
from orgs import access
from orgs.models import OrgNode, Role, User
from tracking import services as kernel

from . import cadence
from .models import (
    OPEN_STATES,
    Commitment,
    CommitmentSourceCase,
    HolidayRule,
    Kind,
    Level,
    ProblemLevel,
    Programme,
    ProgressReport,
    RectificationProblem,
    ReportKind,
    ReportPhoto,
    ReportStatus,
)

# --- programmes -----------------------------------------------------------------


def _programme_check(
    *,
    name: str,
    year: int,
    monthly_due_day: int,
    weekly_due_weekday: int,
    holiday_rule: str,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = ["请填写清单名称"]
    if not 2000 <= int(year) <= 2100:
        errors["year"] = ["年度应在2000至2100之间"]
    if not 1 <= int(monthly_due_day) <= 31:
        errors["monthly_due_day"] = ["月报截止日应为1至31日"]
    if not 0 <= int(weekly_due_weekday) <= 6:
        errors["weekly_due_weekday"] = ["请选择周一至周日"]
    if holiday_rule not in HolidayRule.values:
        errors["holiday_rule"] = ["请选择节假日处理方式"]
    return errors


def programme_create(
    *,
    actor: User,
    name: str,
    year: int,
    description: str = "",
    monthly_due_day: int = 25,
    weekly_due_weekday: int = 3,
    holiday_rule: str = HolidayRule.NEXT,
    monthly_enabled: bool = True,
    weekly_enabled: bool = True,
) -> Programme:
    access.require_staff(actor)
    access.require_role(actor, Role.OFFICE)
    errors = _programme_check(
        name=name,
        year=year,
        monthly_due_day=monthly_due_day,
        weekly_due_weekday=weekly_due_weekday,
        holiday_rule=holiday_rule,
    )
    if Programme.objects.filter(name=name.strip()).exists():
        errors.setdefault("name", []).append("已有同名清单")
    if errors:
        raise InvalidInput(next(iter(errors.values()))[0], fields=errors)
    return Programme.objects.create(
        name=name.strip(),
        year=year,
        description=description.strip(),
        monthly_due_day=monthly_due_day,
        weekly_due_weekday=weekly_due_weekday,
        holiday_rule=holiday_rule,
        monthly_enabled=monthly_enabled,
        weekly_enabled=weekly_enabled,
    )


def programme_set_cadence(
    *,
    actor: User,
    programme: Programme,
    monthly_due_day: int,
    weekly_due_weekday: int,
    holiday_rule: str,
    monthly_enabled: bool,
    weekly_enabled: bool,
) -> Programme:
    """Change the report cadences; slots already generated keep their due dates."""
    access.require_staff(actor)
    access.require_role(actor, Role.OFFICE)
    errors = _programme_check(
        name=programme.name,
        year=programme.year,
        monthly_due_day=monthly_due_day,
        weekly_due_weekday=weekly_due_weekday,
        holiday_rule=holiday_rule,
    )
    if errors:
        raise InvalidInput(next(iter(errors.values()))[0], fields=errors)
    programme.monthly_due_day = monthly_due_day
    programme.weekly_due_weekday = weekly_due_weekday
    programme.holiday_rule = holiday_rule
    programme.monthly_enabled = monthly_enabled
    programme.weekly_enabled = weekly_enabled
    programme.save()
    return programme


# --- commitments -----------------------------------------------------------------

FIELDS = [
    "kind",
    "title",
    "tasks",
    "lead_official",
    "owner_unit",
    "co_units",
    "deadline",
    "target_quantity",
    "target_unit",
    "budget",
    "category",
    "is_flagship",
    "problem",
    "is_immediate",
    "responsible_person",
]


def county_of(node: OrgNode) -> OrgNode:
    if node.kind == OrgNode.Kind.COUNTY:
        return node
    step = OrgNode.steplen
    prefixes = [node.path[:i] for i in range(step, len(node.path), step)]
    found = OrgNode.objects.filter(path__in=prefixes, kind=OrgNode.Kind.COUNTY).first()
    return found or node


def place_for(unit: OrgNode) -> tuple[OrgNode, str]:
    """Where a commitment owned by `unit` sits, and its level (县级/乡镇级/村级)."""
    if unit.kind == OrgNode.Kind.TOWN:
        return unit, Level.TOWN
    if unit.kind in (OrgNode.Kind.VILLAGE, OrgNode.Kind.GRID):
        return unit, Level.VILLAGE
    return county_of(unit), Level.COUNTY


def commitment_validate(data: dict[str, Any], *, actor: User) -> dict[str, list[str]]:
    """Field rules shared by the form, the ledger import and the converter."""
    errors: dict[str, list[str]] = {}

    def err(field: str, msg: str) -> None:
        errors.setdefault(field, []).append(msg)

    kind = data.get("kind") or Kind.PROJECT
    if kind not in Kind.values:
        err("kind", "类型应为民生实事项目、重点任务或整改措施")
    title = (data.get("title") or "").strip()
    if not title:
        err("title", "请填写项目名称")
    elif len(title) > 200:
        err("title", "项目名称不能超过200字")
    unit = data.get("owner_unit")
    if unit is None:
        err("owner_unit", "请选择责任单位")
    elif not unit.is_unit:
        err("owner_unit", f"“{unit.name}”不是可承办的单位")
    elif not access.covers(actor, unit):
        err("owner_unit", f"责任单位“{unit.name}”不在您的管辖范围内")
    for co in data.get("co_units") or []:
        if unit is not None and co.pk == unit.pk:
            err("co_units", "配合单位不能与责任单位相同")
        elif not co.is_unit:
            err("co_units", f"“{co.name}”不是可承办的单位")
    q = data.get("target_quantity")
    if q is not None and q < 0:
        err("target_quantity", "目标数量不能为负数")
    if q is not None and not (data.get("target_unit") or "").strip():
        err("target_unit", "请填写目标的计量单位，如“户”“个小区”")
    b = data.get("budget")
    if b is not None and b < 0:
        err("budget", "预算不能为负数")
    deadline = data.get("deadline")
    if kind == Kind.RECTIFICATION:
        if data.get("problem") is None:
            err("problem", "整改措施须对应一条检视问题")
        if not data.get("is_immediate"):
            if deadline is None:
                err("deadline", "非立行立改的整改措施须明确整改时限")
            if not (data.get("responsible_person") or "").strip():
                err("responsible_person", "非立行立改的整改措施须明确责任人")
    elif deadline is None:
        err("deadline", "请填写完成时限")
    return errors


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        first = next(iter(errors.values()))[0]
        raise InvalidInput(first, fields=errors)


def _apply(item: Commitment, data: dict[str, Any]) -> None:
    for f in FIELDS:
        if f in data and f != "co_units":
            value = data[f]
            if isinstance(value, str):
                value = value.strip()
            setattr(item, f, value)
    if item.kind != Kind.RECTIFICATION:
        item.problem = None
        item.is_immediate = False


def commitment_create(
    *,
    actor: User,
    programme: Programme,
    data: dict[str, Any],
    state: str | None = None,
    note: str = "新建项目",
) -> Commitment:
    """Create a commitment (draft by default). `state` is for ledger imports of older items."""
    access.require_staff(actor)
    access.require_role(actor, Role.OFFICE)
    _raise(commitment_validate(data, actor=actor))
    state = state or Commitment.WORKFLOW.initial
    if state not in Commitment.WORKFLOW.states:
        raise InvalidInput("未知状态", fields={"state": ["未知状态"]})
    with transaction.atomic():
        item = Commitment(programme=programme, state=state)
        _apply(item, data)
        item.place, item.level = place_for(item.owner_unit)
        item.seq = data.get("seq") or (
            (Commitment.objects.filter(programme=programme).aggregate(m=Max("seq"))["m"] or 0) + 1
        )
        if data.get("progress_percent") is not None:
            item.progress_percent = data["progress_percent"]
        if data.get("done_quantity") is not None:
            item.done_quantity = data["done_quantity"]
        if state in ("completed", "accepted", "closed"):
            item.progress_percent = 100
        item.save()
        item.co_units.set(data.get("co_units") or [])
        kernel.timeline_append(
            item=item,
            actor=actor,
            action="commitment.create",
            action_label="立项",
            note=note,
            to_state=state,
        )
    return item


def commitment_update(*, actor: User, commitment: Commitment, data: dict[str, Any]) -> Commitment:
    """Edit the fields of an unfinished commitment; the timeline lists what changed."""
    item = access.access_tracked(actor, Commitment.objects.all(), commitment.pk)
    access.require_role(actor, Role.OFFICE)
    if not access.actor_relation_ok(actor, item, "place"):
        raise PermissionDenied("只有项目所在地的办公室可以修改项目")
    if item.state in ("accepted", "closed"):
        raise WorkflowError(f"项目已{item.state_label}，不能再修改")
    merged = {f: getattr(item, f) for f in FIELDS if f != "co_units"}
    merged["co_units"] = list(item.co_units.all())
    merged.update(data)
    _raise(commitment_validate(merged, actor=actor))
    with transaction.atomic():
        locked = Commitment.objects.select_for_update().get(pk=item.pk)
        before = {f: getattr(locked, f) for f in FIELDS if f != "co_units"}
        before_co = sorted(locked.co_units.values_list("pk", flat=True))
        _apply(locked, merged)
        locked.place, locked.level = place_for(locked.owner_unit)
        if "seq" in data and data["seq"]:
            locked.seq = data["seq"]
        progress_before = (locked.progress_percent, locked.done_quantity)
        if data.get("progress_percent") is not None:
            locked.progress_percent = data["progress_percent"]
        if "done_quantity" in data:
            locked.done_quantity = data["done_quantity"]
        changed = (
            ["完成进度"]
            if progress_before
            != (
                locked.progress_percent,
                locked.done_quantity,
            )
            else []
        )
        changed += [
            Commitment._meta.get_field(f).verbose_name
            for f in before
            if before[f] != getattr(locked, f)
        ]
        new_co = sorted(c.pk for c in merged["co_units"])
        if new_co != before_co:
            changed.append("配合单位")
        locked.save()
        locked.co_units.set(merged["co_units"])
        if changed:
            kernel.timeline_append(
                item=locked,
                actor=actor,
                action="commitment.update",
                action_label="修改项目",
                note="修改了：" + "、".join(str(c) for c in changed),
            )
    return locked


def commitment_publish(*, actor: User, commitment: Commitment, note: str = "") -> Commitment:
    """公布: the item becomes public (晒清单) and owes progress reports from now on."""
    return kernel.item_transition(
        actor=actor, item=commitment, name="publish", note=note, changes={"is_public": True}
    )


def commitment_start(*, actor: User, commitment: Commitment, note: str = "") -> Commitment:
    return kernel.item_transition(actor=actor, item=commitment, name="start", note=note)


def commitment_complete(
    *,
    actor: User,
    commitment: Commitment,
    note: str,
    evidence: Sequence[UploadedFile] = (),
    done_quantity: Decimal | None = None,
) -> Commitment:
    """申报完成: the unit claims completion with evidence; the claimer is remembered."""
    if not note.strip():
        raise InvalidInput("请填写完成情况说明", fields={"note": ["请填写完成情况说明"]})
    _check_files(evidence, field="evidence")
    changes: dict[str, Any] = {
        "claimed_by": actor,
        "completed_at": timezone.now(),
        "progress_percent": 100,
    }
    if done_quantity is not None:
        changes["done_quantity"] = done_quantity
    elif commitment.target_quantity is not None:
        changes["done_quantity"] = commitment.target_quantity
    return kernel.item_transition(
        actor=actor,
        item=commitment,
        name="complete",
        note=note,
        changes=changes,
        data={"evidence_count": len(evidence)},
        evidence=evidence,
    )


def commitment_accept(*, actor: User, commitment: Commitment, note: str = "") -> Commitment:
    """验收: by the office or an inspection group, never by the one who claimed completion."""
    with transaction.atomic():
        item = kernel.item_transition(
            actor=actor,
            item=commitment,
            name="accept",
            note=note,
            changes={"accepted_at": timezone.now()},
        )
        _drop_open_slots(item)
    return item


def commitment_reject(*, actor: User, commitment: Commitment, note: str) -> Commitment:
    """验收退回: back to in progress with the reason."""
    return kernel.item_transition(
        actor=actor,
        item=commitment,
        name="reject",
        note=note,
        data={"reason": note},
        changes={"claimed_by": None, "completed_at": None},
        require_note=True,
    )


def commitment_close(*, actor: User, commitment: Commitment, note: str = "") -> Commitment:
    """销号."""
    with transaction.atomic():
        item = kernel.item_transition(
            actor=actor,
            item=commitment,
            name="close",
            note=note,
            changes={"closed_at": timezone.now()},
        )
        _drop_open_slots(item)
    return item


def commitment_reopen(*, actor: User, commitment: Commitment, note: str) -> Commitment:
    """督查重办: finished work found wanting goes back to the unit, with the finding."""
    return kernel.item_transition(
        actor=actor,
        item=commitment,
        name="supervision_reopen",
        note=note,
        changes={"claimed_by": None, "completed_at": None, "accepted_at": None, "closed_at": None},
        require_note=True,
    )


def _drop_open_slots(item: Commitment) -> None:
    # Finished items owe no more reports: future slots go; past missing ones stay counted.
    ProgressReport.objects.filter(
        commitment=item, status=ReportStatus.DUE, due_date__gte=timezone.localdate()
    ).delete()


def commitment_create_from_case(*, actor: User, case, **options: Any) -> Commitment:
    """立项: turn a case into a draft commitment in the newest active programme.

    The responsible unit is the case's, else its category's default unit; an office
    that does not cover that unit (a town converting a case) owns the item itself.
    Registered with cases.services.register_converter("commitment", …) in AppConfig.ready().
    """
    access.require_staff(actor)
    programme = Programme.objects.filter(is_active=True).order_by("-year", "-id").first()
    if programme is None:
        raise InvalidInput("尚无进行中的项目清单，请先建立项目清单")
    category = case.category if getattr(case, "category_id", None) else None
    unit = case.owner_unit or (category.default_unit if category else None)
    if (unit is None or not access.covers(actor, unit)) and actor.node_id and actor.node.is_unit:
        unit = actor.node
    if unit is None:
        raise InvalidInput(
            "该诉求尚未确定责任单位或类别，请先分类或交办后再立项",
            fields={"owner_unit": ["请先确定责任单位"]},
        )
    text = (getattr(case, "text", "") or "").strip()
    title = (getattr(case, "title", "") or "").strip() or text[:40] or "群众诉求立项"
    data = {
        "kind": Kind.PROJECT,
        "title": title[:200],
        "tasks": text,
        "owner_unit": unit,
        "category": category,
        "deadline": case.deadline or programme_year_end(programme),
    }
    with transaction.atomic():
        item = commitment_create(
            actor=actor,
            programme=programme,
            data=data,
            note=f"由群众诉求{getattr(case, 'tracking_code', case.pk)}立项",
        )
        CommitmentSourceCase.objects.get_or_create(commitment=item, case_id=case.pk)
    return item


def programme_year_end(programme: Programme) -> dt.date:
    return dt.date(programme.year, 12, 31)


def commitment_link_case(*, actor: User, commitment: Commitment, case_id: int) -> None:
    item = access.access_tracked(actor, Commitment.objects.all(), commitment.pk)
    access.require_role(actor, Role.OFFICE)
    CommitmentSourceCase.objects.get_or_create(commitment=item, case_id=case_id)


# --- rectification -----------------------------------------------------------


def problem_create(
    *, actor: User, programme: Programme, level: str, text: str, unit: OrgNode
) -> RectificationProblem:
    access.require_staff(actor)
    access.require_role(actor, Role.OFFICE)
    errors: dict[str, list[str]] = {}
    if level not in ProblemLevel.values:
        errors["level"] = ["层级应为领导班子、领导干部、基层党组织或党员个人"]
    if not text.strip():
        errors["text"] = ["请填写检视问题"]
    if unit is None or not access.covers(actor, unit):
        errors["unit"] = ["请选择管辖范围内的单位"]
    _raise(errors)
    problem, _ = RectificationProblem.objects.get_or_create(
        programme=programme, level=level, text=text.strip()[:300], defaults={"unit": unit}
    )
    return problem


# --- progress reports ------------------------------------------------------------

MAX_PHOTOS = 9
MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_TYPES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".heic", ".pdf"}


def _check_files(files: Sequence[UploadedFile], *, field: str) -> None:
    if len(files) > MAX_PHOTOS:
        raise InvalidInput(
            f"最多上传{MAX_PHOTOS}个文件", fields={field: [f"最多上传{MAX_PHOTOS}个文件"]}
        )
    for f in files:
        name = (getattr(f, "name", "") or "").lower()
        ext = name[name.rfind(".") :] if "." in name else ""
        if ext not in PHOTO_TYPES:
            msg = f"“{f.name}”不是照片或PDF文件（支持jpg、png、webp、gif、heic、pdf）"
            raise InvalidInput(msg, fields={field: [msg]})
        if (getattr(f, "size", 0) or 0) > MAX_PHOTO_BYTES:
            msg = f"“{f.name}”超过5MB"
            raise InvalidInput(msg, fields={field: [msg]})


def reports_scope(actor: User):
    """Progress reports the actor may see: their units' slots and those of visible items."""
    from django.db.models import Q

    access.require_staff(actor)
    qs = ProgressReport.objects.all()
    if access.sees_everything(actor):
        return qs
    visible = access.scope_tracked(actor, Commitment.objects.all()).values("pk")
    return qs.filter(access.subtree_q(actor.node, "unit") | Q(commitment__in=visible))


def report_access(actor: User, pk) -> ProgressReport:
    try:
        return reports_scope(actor).select_related("commitment", "unit", "programme").get(pk=pk)
    except (ProgressReport.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def report_submit(
    *,
    actor: User,
    report: ProgressReport,
    narrative: str,
    percent: int | None = None,
    done_quantity: Decimal | None = None,
    highlights: str = "",
    problems: str = "",
    next_steps: str = "",
    photos: Sequence[UploadedFile] = (),
    today: dt.date | None = None,
) -> ProgressReport:
    """A unit files its monthly report or weekly summary; late if after the due date."""
    report = report_access(actor, report.pk)
    if not actor.has_role(Role.UNIT_HANDLER, Role.UNIT_HEAD) and not access.sees_everything(actor):
        raise PermissionDenied("只有承办单位的经办人或负责人可以报送")
    if not access.covers(actor, report.unit):
        raise PermissionDenied("只有报送单位的人员可以报送")
    item = report.commitment
    if item is not None and item.state not in (*OPEN_STATES, "completed"):
        raise WorkflowError(f"项目当前状态为“{item.state_label}”，不能报送进度")
    if report.status not in (ReportStatus.DUE, ReportStatus.MISSING):
        raise WorkflowError(f"本期已{report.get_status_display()}，不能重复报送")
    errors: dict[str, list[str]] = {}
    if not narrative.strip():
        errors["narrative"] = ["请填写进展情况"]
    if percent is not None and not 0 <= percent <= 100:
        errors["percent"] = ["完成进度应在0至100之间"]
    if done_quantity is not None and done_quantity < 0:
        errors["done_quantity"] = ["已完成数量不能为负数"]
    if item is not None and percent is None and done_quantity is None:
        errors["percent"] = ["请填写完成进度或已完成数量"]
    if report.kind == ReportKind.WEEKLY and not highlights.strip():
        errors["highlights"] = ["周报请填写亮点做法"]
    _raise(errors)
    _check_files(photos, field="photos")
    if item is not None and percent is None and done_quantity is not None:
        if item.target_quantity:
            percent = min(100, int(done_quantity * 100 / item.target_quantity))
    today = today or timezone.localdate()
    late = today > report.due_date
    with transaction.atomic():
        locked = ProgressReport.objects.select_for_update().get(pk=report.pk)
        if locked.status not in (ReportStatus.DUE, ReportStatus.MISSING):
            raise WorkflowError("本期已报送，不能重复报送")
        locked.narrative = narrative.strip()
        locked.percent = percent
        locked.done_quantity = done_quantity
        locked.highlights = highlights.strip()
        locked.problems = problems.strip()
        locked.next_steps = next_steps.strip()
        locked.status = ReportStatus.LATE if late else ReportStatus.SUBMITTED
        locked.is_late = late
        locked.submitted_at = timezone.now()
        locked.submitted_by = actor
        locked.return_note = ""
        locked.save()
        for f in photos:
            ReportPhoto.objects.create(report=locked, file=f, original_name=f.name[:200])
        if item is not None:
            kernel.timeline_append(
                item=item,
                actor=actor,
                action="commitment.report",
                action_label="报送进度" + ("（迟报）" if late else ""),
                note=f"{locked.period_label}：{locked.narrative}",
                data={"report": locked.pk, "percent": percent},
            )
    return locked


def report_approve(*, actor: User, report: ProgressReport, note: str = "") -> ProgressReport:
    """The unit head approves; the commitment's percent and quantity follow the report."""
    report = report_access(actor, report.pk)
    if not actor.has_role(Role.UNIT_HEAD) and not access.sees_everything(actor):
        raise PermissionDenied("只有单位负责人可以审核报送")
    if not access.covers(actor, report.unit):
        raise PermissionDenied("只有报送单位的负责人可以审核")
    if report.status not in (ReportStatus.SUBMITTED, ReportStatus.LATE):
        raise WorkflowError(f"本期状态为“{report.get_status_display()}”，不能审核")
    with transaction.atomic():
        locked = ProgressReport.objects.select_for_update().get(pk=report.pk)
        locked.status = ReportStatus.APPROVED
        locked.approved_at = timezone.now()
        locked.approved_by = actor
        locked.save(update_fields=["status", "approved_at", "approved_by"])
        item = locked.commitment
        if item is not None and item.state in OPEN_STATES:
            changes: dict[str, Any] = {}
            if locked.percent is not None:
                changes["progress_percent"] = locked.percent
            if locked.done_quantity is not None:
                changes["done_quantity"] = locked.done_quantity
            if changes:
                kernel.item_transition(
                    actor=actor,
                    item=item,
                    name="progress",
                    note=f"审核通过{locked.period_label}进度报送" + (f"：{note}" if note else ""),
                    changes=changes,
                    data={"report": locked.pk},
                )
    return locked


def report_return(*, actor: User, report: ProgressReport, note: str) -> ProgressReport:
    """The unit head sends a report back; the slot is open again (missing if past due)."""
    report = report_access(actor, report.pk)
    if not actor.has_role(Role.UNIT_HEAD) and not access.sees_everything(actor):
        raise PermissionDenied("只有单位负责人可以退回报送")
    if not access.covers(actor, report.unit):
        raise PermissionDenied("只有报送单位的负责人可以退回")
    if report.status not in (ReportStatus.SUBMITTED, ReportStatus.LATE):
        raise WorkflowError(f"本期状态为“{report.get_status_display()}”，不能退回")
    if not note.strip():
        raise InvalidInput("请填写退回意见", fields={"note": ["请填写退回意见"]})
    past = timezone.localdate() > report.due_date
    ProgressReport.objects.filter(pk=report.pk).update(
        status=ReportStatus.MISSING if past else ReportStatus.DUE,
        return_note=note.strip()[:300],
        is_late=False,
    )
    report.refresh_from_db()
    return report


def report_slots_generate(*, today: dt.date | None = None) -> dict[str, int]:
    """Create this month's and this week's due slots and mark overdue ones missing.

    Set-based: one INSERT … SELECT per cadence and due date (programmes sharing a due
    date share the statement), skipping items that already hold the period's slot,
    then one UPDATE over the slots still due after their due date (a partial index
    holds only those). Idempotent: NOT EXISTS and ON CONFLICT DO NOTHING add nothing
    on a second run; missing is only set on slots still due after their due date.
    """
    today = today or timezone.localdate()
    month, month_start = cadence.month_period(today)
    week, week_start, iso_year, iso_week = cadence.week_period(today)
    monthly: dict[dt.date, list[int]] = {}
    weekly: dict[dt.date, list[int]] = {}
    # A slot is owed only while its due date is still ahead: an item opened after
    # the 25th, or a unit that became a lead unit after Thursday, owes nothing yet.
    for programme in Programme.objects.filter(is_active=True):
        if programme.monthly_enabled:
            due = cadence.monthly_due(programme, today.year, today.month)
            if due >= today:
                monthly.setdefault(due, []).append(programme.pk)
        if programme.weekly_enabled:
            due = cadence.weekly_due(programme, iso_year, iso_week)
            if due >= today:
                weekly.setdefault(due, []).append(programme.pk)
    created = 0
    with transaction.atomic():
        for due, ids in monthly.items():
            created += _insert_slots(ReportKind.MONTHLY, ids, month, month_start, due)
        for due, ids in weekly.items():
            created += _insert_slots(ReportKind.WEEKLY, ids, week, week_start, due)
        missing = ProgressReport.objects.filter(status=ReportStatus.DUE, due_date__lt=today).update(
            status=ReportStatus.MISSING
        )
    return {"created": created, "missing": missing}


def _insert_slots(
    kind: str, programme_ids: list[int], period: str, period_start: dt.date, due: dt.date
) -> int:
    """INSERT … SELECT the missing slots of one period for the open items of these
    programmes: monthly one per item, weekly one per (programme, lead unit)."""
    from django.db import connection

    q = connection.ops.quote_name
    report, item = ProgressReport._meta.db_table, Commitment._meta.db_table
    states = sorted(OPEN_STATES)
    if kind == ReportKind.MONTHLY:
        select, column, value = "SELECT", " commitment_id,", " c.id,"
        owned = "r.commitment_id = c.id"
    else:  # a lead unit's slot: no commitment (the column stays NULL)
        select, column, value = "SELECT DISTINCT", "", ""
        owned = "r.programme_id = c.programme_id AND r.unit_id = c.owner_unit_id"
    sql = (
        f"INSERT INTO {q(report)} (programme_id, kind,{column} unit_id, period,"
        " period_start, due_date, status, is_late, narrative, highlights, problems,"
        " next_steps, return_note, created_at) "
        f"{select} c.programme_id, %s,{value} c.owner_unit_id, %s, %s, %s, %s, %s,"
        " '', '', '', '', '', %s "
        f"FROM {q(item)} c "
        f"WHERE c.programme_id IN ({', '.join(['%s'] * len(programme_ids))})"
        f" AND c.state IN ({', '.join(['%s'] * len(states))})"
        " AND c.owner_unit_id IS NOT NULL"
        f" AND NOT EXISTS (SELECT 1 FROM {q(report)} r WHERE {owned}"
        " AND r.kind = %s AND r.period = %s) "
        "ON CONFLICT DO NOTHING"
    )
    ops = connection.ops
    params = [
        ReportKind(kind).value,
        period,
        ops.adapt_datefield_value(period_start),
        ops.adapt_datefield_value(due),
        ReportStatus.DUE.value,
        False,
        ops.adapt_datetimefield_value(timezone.now()),
        *programme_ids,
        *states,
        ReportKind(kind).value,
        period,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)
