"""Commitments (民生实事项目, 重点任务, 整改措施) and their progress reports over the API:
reads through commitments.selectors / orgs.access, writes through commitments.services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import File, Form, Path, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import Field

from commitments import selectors, services
from commitments.models import (
    Commitment,
    Kind,
    Level,
    Programme,
    ProgressReport,
    RectificationProblem,
    ReportKind,
    ReportStatus,
)
from core.errors import InvalidInput
from orgs.models import OrgNode
from taxonomy.models import Category
from tracking import services as kernel

from ..auth import actor_of
from ..schemas import Day, Id, NodeRef, Text
from .cases import CategoryRef
from .common import READ_ERRORS, WRITE_ERRORS, TimelineOut, timeline_rows

router = Router(tags=["民生实事项目"])

StateCode = Literal[tuple(Commitment.WORKFLOW.states)]  # type: ignore[valid-type]
KindCode = Literal[tuple(Kind.values)]  # type: ignore[valid-type]
LevelCode = Literal[tuple(Level.values)]  # type: ignore[valid-type]
Amount = Annotated[Decimal, Field(ge=0, le=Decimal("999999999999"), decimal_places=2)]


class ProgrammeOut(Schema):
    id: int
    name: str
    year: int
    is_active: bool
    monthly_enabled: bool
    monthly_due_day: int
    weekly_enabled: bool
    weekly_due_weekday: int


class CommitmentRow(Schema):
    id: int
    programme: int
    seq: int
    kind: str
    title: str
    state: str
    state_label: str
    level: str
    owner_unit: NodeRef | None
    deadline: dt.date | None
    progress_percent: int
    supervision_status: str
    is_flagship: bool


class CommitmentOut(CommitmentRow):
    kind_label: str
    tasks: str
    lead_official: str
    responsible_person: str
    category: CategoryRef | None
    co_units: list[NodeRef]
    place: NodeRef
    target_quantity: Decimal | None
    target_unit: str
    done_quantity: Decimal | None
    budget: Decimal | None
    problem: int | None
    is_immediate: bool
    is_public: bool
    escalation_level: int
    completed_at: dt.datetime | None
    accepted_at: dt.datetime | None
    closed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    actions: list[str]


class CommitmentPage(Schema):
    items: list[CommitmentRow]
    next_cursor: str | None = None


class CommitmentFilters(Schema):
    programme: Id | None = None
    state: StateCode | None = None
    kind: KindCode | None = None
    level: LevelCode | None = None
    unit: Id | None = Field(None, description="责任单位节点 id")
    category: Annotated[Text, Field(max_length=20)] | None = Field(None, description="分类编码")
    q: Annotated[Text, Field(max_length=100)] | None = None
    cursor: Id | None = Field(None, description="上一页返回的 next_cursor")
    limit: Annotated[int, Field(ge=1, le=200)] = 50


class CommitmentIn(Schema):
    programme: Id
    kind: KindCode = "project"
    title: Annotated[Text, Field(max_length=200)]
    tasks: Annotated[Text, Field(max_length=5000)] = ""
    lead_official: Annotated[Text, Field(max_length=60)] = ""
    owner_unit: Annotated[Text, Field(max_length=32)] = Field(description="责任单位 id 或编码")
    co_units: list[Annotated[Text, Field(max_length=32)]] = Field(
        default_factory=list, max_length=50
    )
    deadline: Day | None = None
    target_quantity: Amount | None = None
    target_unit: Annotated[Text, Field(max_length=12)] = ""
    budget: Amount | None = Field(None, description="万元")
    category: Annotated[Text, Field(max_length=20)] | None = None
    is_flagship: bool = False
    problem: Id | None = Field(None, description="整改措施对应的检视问题 id")
    is_immediate: bool = False
    responsible_person: Annotated[Text, Field(max_length=60)] = ""


class NoteIn(Schema):
    note: Annotated[Text, Field(max_length=2000)] = ""


class ReasonIn(Schema):
    note: Annotated[Text, Field(max_length=2000)]


class ReportOut(Schema):
    id: int
    programme: int
    kind: str
    kind_label: str
    commitment: int | None
    unit: NodeRef
    period: str
    period_label: str
    due_date: dt.date
    status: str
    status_label: str
    is_late: bool
    percent: int | None
    done_quantity: Decimal | None
    narrative: str
    highlights: str
    problems: str
    next_steps: str
    submitted_at: dt.datetime | None
    approved_at: dt.datetime | None
    return_note: str


class ReportPage(Schema):
    count: int
    items: list[ReportOut]


class ReportFilters(Schema):
    programme: Id | None = None
    commitment: Id | None = None
    unit: Id | None = None
    kind: Literal[tuple(ReportKind.values)] | None = None  # type: ignore[valid-type]
    status: Literal[tuple(ReportStatus.values)] | None = None  # type: ignore[valid-type]
    period: Annotated[Text, Field(max_length=10)] | None = Field(
        None, description="2026-05 或 2026-W19"
    )
    limit: Annotated[int, Field(ge=1, le=500)] = 50
    offset: Annotated[int, Field(ge=0, le=10**7)] = 0


class ReportIn(Schema):
    narrative: Annotated[Text, Field(max_length=5000)]
    percent: Annotated[int, Field(ge=0, le=100)] | None = None
    done_quantity: Amount | None = None
    highlights: Annotated[Text, Field(max_length=5000)] = ""
    problems: Annotated[Text, Field(max_length=5000)] = ""
    next_steps: Annotated[Text, Field(max_length=5000)] = ""


# --- rendering ----------------------------------------------------------------------


def _ref(n) -> dict | None:
    return {"id": n.pk, "code": n.code, "name": n.name} if n is not None else None


def commitment_row(c: Commitment) -> dict:
    return {
        "id": c.pk,
        "programme": c.programme_id,
        "seq": c.seq,
        "kind": c.kind,
        "title": c.title,
        "state": c.state,
        "state_label": c.state_label,
        "level": c.level,
        "owner_unit": _ref(c.owner_unit),
        "deadline": c.deadline,
        "progress_percent": c.progress_percent,
        "supervision_status": c.supervision_status,
        "is_flagship": c.is_flagship,
    }


def commitment_out(actor, c: Commitment) -> dict:
    return {
        **commitment_row(c),
        "kind_label": c.get_kind_display(),
        "tasks": c.tasks,
        "lead_official": c.lead_official,
        "responsible_person": c.responsible_person,
        "category": _ref(c.category),
        "co_units": [_ref(u) for u in c.co_units.all()],
        "place": _ref(c.place),
        "target_quantity": c.target_quantity,
        "target_unit": c.target_unit,
        "done_quantity": c.done_quantity,
        "budget": c.budget,
        "problem": c.problem_id,
        "is_immediate": c.is_immediate,
        "is_public": c.is_public,
        "escalation_level": c.escalation_level,
        "completed_at": c.completed_at,
        "accepted_at": c.accepted_at,
        "closed_at": c.closed_at,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "actions": [t.name for t in kernel.allowed_transitions(actor, c)],
    }


def report_out(r: ProgressReport) -> dict:
    return {
        "id": r.pk,
        "programme": r.programme_id,
        "kind": r.kind,
        "kind_label": r.get_kind_display(),
        "commitment": r.commitment_id,
        "unit": _ref(r.unit),
        "period": r.period,
        "period_label": r.period_label,
        "due_date": r.due_date,
        "status": r.status,
        "status_label": r.get_status_display(),
        "is_late": r.is_late,
        "percent": r.percent,
        "done_quantity": r.done_quantity,
        "narrative": r.narrative,
        "highlights": r.highlights,
        "problems": r.problems,
        "next_steps": r.next_steps,
        "submitted_at": r.submitted_at,
        "approved_at": r.approved_at,
        "return_note": r.return_note,
    }


def _node(value: str, field: str, label: str) -> OrgNode:
    value = (value or "").strip()
    node = OrgNode.objects.filter(code=value).first()
    if node is None and value.isdigit() and len(value) < 16:
        node = OrgNode.objects.filter(pk=int(value)).first()
    if node is None:
        raise InvalidInput(f"{label}不存在", fields={field: [f"{label}不存在"]})
    return node


CommitmentId = Annotated[Id, Path(description="项目 id")]
ReportId = Annotated[Id, Path(description="报送 id")]


# --- endpoints ------------------------------------------------------------------------


@router.get("/programmes", response={200: list[ProgrammeOut], **READ_ERRORS}, summary="项目清单")
def programme_list(request: HttpRequest):
    from orgs import access

    access.require_staff(actor_of(request))
    return list(Programme.objects.all())


@router.get("/commitments", response={200: CommitmentPage, **READ_ERRORS}, summary="项目列表")
def commitment_list(request: HttpRequest, f: Query[CommitmentFilters]):
    actor = actor_of(request)
    qs = selectors.filtered_commitments(
        selectors.commitments_for(actor),
        programme=f.programme,
        state=f.state or "",
        kind=f.kind or "",
        level=f.level or "",
        unit=f.unit,
        category_code=f.category or "",
        q=f.q or "",
    )
    if f.cursor:
        qs = qs.filter(pk__lt=f.cursor)
    rows = list(qs.order_by("-id")[: f.limit + 1])
    more = len(rows) > f.limit
    rows = rows[: f.limit]
    return {
        "items": [commitment_row(c) for c in rows],
        "next_cursor": str(rows[-1].pk) if more and rows else None,
    }


@router.post(
    "/commitments", response={201: CommitmentOut, **WRITE_ERRORS}, summary="新建项目（草稿）"
)
def commitment_create(request: HttpRequest, payload: CommitmentIn):
    actor = actor_of(request)
    programme = Programme.objects.filter(pk=payload.programme).first()
    if programme is None:
        raise InvalidInput("项目清单不存在", fields={"programme": ["项目清单不存在"]})
    category = None
    if payload.category:
        category = Category.objects.filter(code=payload.category).first()
        if category is None:
            raise InvalidInput("分类不存在", fields={"category": ["分类不存在"]})
    problem = None
    if payload.problem:
        problem = RectificationProblem.objects.filter(
            pk=payload.problem, programme=programme
        ).first()
        if problem is None:
            raise InvalidInput("检视问题不存在", fields={"problem": ["检视问题不存在"]})
    data = payload.dict(exclude={"programme", "owner_unit", "co_units", "category", "problem"})
    data.update(
        owner_unit=_node(payload.owner_unit, "owner_unit", "责任单位"),
        co_units=[_node(c, "co_units", "配合单位") for c in payload.co_units],
        category=category,
        problem=problem,
    )
    item = services.commitment_create(actor=actor, programme=programme, data=data)
    return Status(201, commitment_out(actor, selectors.commitment_get(actor, item.pk)))


@router.get(
    "/commitments/{commitment_id}", response={200: CommitmentOut, **READ_ERRORS}, summary="项目详情"
)
def commitment_detail(request: HttpRequest, commitment_id: CommitmentId):
    actor = actor_of(request)
    return commitment_out(actor, selectors.commitment_get(actor, commitment_id))


@router.get(
    "/commitments/{commitment_id}/timeline",
    response={200: list[TimelineOut], **READ_ERRORS},
    summary="项目纪实",
)
def commitment_timeline(request: HttpRequest, commitment_id: CommitmentId):
    actor = actor_of(request)
    item = selectors.commitment_get(actor, commitment_id)
    return timeline_rows(item)


def _act(request, commitment_id, fn, **kwargs):
    actor = actor_of(request)
    item = selectors.commitment_get(actor, commitment_id)
    fn(actor=actor, commitment=item, **kwargs)
    return commitment_out(actor, selectors.commitment_get(actor, commitment_id))


@router.post(
    "/commitments/{commitment_id}/publish",
    response={200: CommitmentOut, **WRITE_ERRORS},
    summary="公布",
)
def commitment_publish(request: HttpRequest, commitment_id: CommitmentId, payload: NoteIn):
    return _act(request, commitment_id, services.commitment_publish, note=payload.note)


@router.post(
    "/commitments/{commitment_id}/start",
    response={200: CommitmentOut, **WRITE_ERRORS},
    summary="启动推进",
)
def commitment_start(request: HttpRequest, commitment_id: CommitmentId, payload: NoteIn):
    return _act(request, commitment_id, services.commitment_start, note=payload.note)


@router.post(
    "/commitments/{commitment_id}/complete",
    response={200: CommitmentOut, **WRITE_ERRORS},
    summary="申报完成（multipart，附佐证材料）",
)
def commitment_complete(
    request: HttpRequest,
    commitment_id: CommitmentId,
    note: Annotated[Text, Form(max_length=5000)],
    done_quantity: Annotated[Amount | None, Form(None)] = None,
    evidence: File[list[UploadedFile]] = None,
):
    return _act(
        request,
        commitment_id,
        services.commitment_complete,
        note=note,
        done_quantity=done_quantity,
        evidence=list(evidence or []),
    )


@router.post(
    "/commitments/{commitment_id}/accept",
    response={200: CommitmentOut, **WRITE_ERRORS},
    summary="验收通过",
)
def commitment_accept(request: HttpRequest, commitment_id: CommitmentId, payload: NoteIn):
    return _act(request, commitment_id, services.commitment_accept, note=payload.note)


@router.post(
    "/commitments/{commitment_id}/reject",
    response={200: CommitmentOut, **WRITE_ERRORS},
    summary="验收退回",
)
def commitment_reject(request: HttpRequest, commitment_id: CommitmentId, payload: ReasonIn):
    return _act(request, commitment_id, services.commitment_reject, note=payload.note)


@router.post(
    "/commitments/{commitment_id}/close",
    response={200: CommitmentOut, **WRITE_ERRORS},
    summary="销号",
)
def commitment_close(request: HttpRequest, commitment_id: CommitmentId, payload: NoteIn):
    return _act(request, commitment_id, services.commitment_close, note=payload.note)


# --- progress reports -----------------------------------------------------------------


@router.get(
    "/reports", response={200: ReportPage, **READ_ERRORS}, summary="进度报送列表", tags=["进度报送"]
)
def report_list(request: HttpRequest, f: Query[ReportFilters]):
    qs = services.reports_scope(actor_of(request)).select_related("unit")
    for name in ("programme", "commitment", "unit"):
        value = getattr(f, name)
        if value:
            qs = qs.filter(**{f"{name}_id": value})
    for name in ("kind", "status", "period"):
        value = getattr(f, name)
        if value:
            qs = qs.filter(**{name: value})
    qs = qs.order_by("-due_date", "-id")
    return {
        "count": qs.count(),
        "items": [report_out(r) for r in qs[f.offset : f.offset + f.limit]],
    }


@router.get(
    "/reports/{report_id}",
    response={200: ReportOut, **READ_ERRORS},
    summary="进度报送",
    tags=["进度报送"],
)
def report_detail(request: HttpRequest, report_id: ReportId):
    return report_out(services.report_access(actor_of(request), report_id))


@router.post(
    "/reports/{report_id}/submit",
    response={200: ReportOut, **WRITE_ERRORS},
    summary="报送",
    tags=["进度报送"],
)
def report_submit(request: HttpRequest, report_id: ReportId, payload: ReportIn):
    actor = actor_of(request)
    report = services.report_access(actor, report_id)
    done = services.report_submit(actor=actor, report=report, **payload.dict())
    return report_out(services.report_access(actor, done.pk))


@router.post(
    "/reports/{report_id}/approve",
    response={200: ReportOut, **WRITE_ERRORS},
    summary="审核通过",
    tags=["进度报送"],
)
def report_approve(request: HttpRequest, report_id: ReportId, payload: NoteIn):
    actor = actor_of(request)
    report = services.report_access(actor, report_id)
    services.report_approve(actor=actor, report=report, note=payload.note)
    return report_out(services.report_access(actor, report_id))


@router.post(
    "/reports/{report_id}/return",
    response={200: ReportOut, **WRITE_ERRORS},
    summary="退回",
    tags=["进度报送"],
)
def report_return(request: HttpRequest, report_id: ReportId, payload: ReasonIn):
    actor = actor_of(request)
    report = services.report_access(actor, report_id)
    services.report_return(actor=actor, report=report, note=payload.note)
    return report_out(services.report_access(actor, report_id))
