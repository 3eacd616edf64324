"""Cases over the API: create, list (filters, scoped by orgs.access), read, and each
workflow step, all through cases.services and cases.selectors. Contact data only
through its own endpoint, which logs the read (cases.services.case_contact_view)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Header, Path, Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from cases import selectors, services
from cases.models import STAFF_CHANNELS, Case, Channel, Kind
from core.errors import InvalidInput
from orgs.models import OrgNode
from taxonomy.models import Category, Item
from tracking import services as kernel

from ..auth import actor_of
from ..schemas import Day, Id, NodeRef, Text, When
from .common import READ_ERRORS, WRITE_ERRORS, TimelineOut, timeline_rows

router = Router(tags=["群众诉求"])

StateCode = Literal[tuple(Case.WORKFLOW.states)]  # type: ignore[valid-type]
KindCode = Literal[tuple(Kind.values)]  # type: ignore[valid-type]
ChannelCode = Literal[tuple(Channel.values)]  # type: ignore[valid-type]
IntakeChannel = Literal[tuple([Channel.API.value, *[c.value for c in STAFF_CHANNELS]])]  # type: ignore[valid-type]


# --- shapes -----------------------------------------------------------------------


class CategoryRef(Schema):
    id: int
    code: str
    name: str


class Ratings(Schema):
    satisfied: int
    neutral: int
    unsatisfied: int


class CaseOut(Schema):
    id: int
    tracking_code: str
    kind: str
    kind_label: str
    channel: str
    channel_label: str
    state: str
    state_label: str
    title: str
    text: str
    category: CategoryRef | None
    item: CategoryRef | None
    place: NodeRef
    place_label: str
    owner_unit: NodeRef | None
    deadline: dt.date | None
    is_overdue: bool
    collected_at: dt.datetime
    created_at: dt.datetime
    updated_at: dt.datetime
    state_changed_at: dt.datetime
    dispatched_at: dt.datetime | None
    signed_at: dt.datetime | None
    replied_at: dt.datetime | None
    closed_at: dt.datetime | None
    result: str
    external_source: str
    external_ref: str
    merged_into: int | None
    reopen_count: int
    flagged_for_supervision: bool
    supervision_status: str
    escalation_level: int
    is_public: bool
    ratings: Ratings
    actions: list[str] = Field(description="调用者当前可执行的操作")


class CaseRow(Schema):
    id: int
    tracking_code: str
    kind: str
    channel: str
    state: str
    state_label: str
    title: str
    category: CategoryRef | None
    place: NodeRef
    owner_unit: NodeRef | None
    deadline: dt.date | None
    is_overdue: bool
    collected_at: dt.datetime
    external_ref: str


class CasePage(Schema):
    items: list[CaseRow]
    next_cursor: str | None = Field(None, description="下一页：把它作为 cursor 传回")


class ContactOut(Schema):
    name: str
    phone: str
    id_number: str
    address: str


class CaseFilterQuery(Schema):
    state: StateCode | None = None
    kind: KindCode | None = None
    channel: ChannelCode | None = None
    category: Annotated[Text, Field(max_length=20)] | None = Field(None, description="分类编码")
    place: Id | None = Field(None, description="所在地节点 id（含下级）")
    unit: Id | None = Field(None, description="责任单位节点 id")
    date_from: Day | None = Field(None, description="收集日期起")
    date_to: Day | None = Field(None, description="收集日期止")
    overdue: bool = False
    flagged: bool = False
    q: Annotated[Text, Field(max_length=100)] | None = Field(None, description="文字或查询码")
    external_source: Annotated[Text, Field(max_length=32)] | None = None
    external_ref: Annotated[Text, Field(max_length=64)] | None = None
    sort: Literal["new", "old", "deadline"] = "new"
    cursor: Annotated[Text, Field(max_length=40)] | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50


class CaseIn(Schema):
    text: Annotated[Text, Field(max_length=5000)]
    title: Annotated[Text, Field(max_length=200)] = ""
    kind: KindCode = "request"
    channel: IntakeChannel = "api"
    place: Annotated[Text, Field(max_length=32)] = Field(
        description="所在地：乡镇、村（社区）或网格的 id 或编码"
    )
    category: Annotated[Text, Field(max_length=20)] | None = Field(None, description="分类编码")
    item: Annotated[Text, Field(max_length=24)] | None = Field(None, description="小项编码")
    address: Annotated[Text, Field(max_length=200)] = ""
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None
    name: Annotated[Text, Field(max_length=50)] = ""
    phone: Annotated[Text, Field(max_length=20)] = ""
    collected_at: When | None = None
    external_source: Annotated[Text, Field(max_length=32)] = ""
    external_ref: Annotated[Text, Field(max_length=64)] = ""


class NoteIn(Schema):
    note: Annotated[Text, Field(max_length=2000)] = ""


class ReasonIn(Schema):
    reason: Annotated[Text, Field(max_length=2000)]


class MergeIn(Schema):
    into: Annotated[Text, Field(max_length=20)] = Field(description="目标诉求的 id 或查询码")
    note: Annotated[Text, Field(max_length=2000)] = ""


class DispatchIn(Schema):
    unit: Annotated[Text, Field(max_length=32)] = Field(description="承办单位 id 或编码")
    deadline: Day | None = Field(None, description="完成时限；省略则按分类默认工作日")
    note: Annotated[Text, Field(max_length=2000)] = ""


class ReplyIn(Schema):
    result: Annotated[Text, Field(max_length=5000)]


# --- rendering --------------------------------------------------------------------


def _ref(obj) -> dict | None:
    return {"id": obj.pk, "code": obj.code, "name": obj.name} if obj is not None else None


def case_row(c: Case) -> dict:
    return {
        "id": c.pk,
        "tracking_code": c.tracking_code,
        "kind": c.kind,
        "channel": c.channel,
        "state": c.state,
        "state_label": c.state_label,
        "title": c.display_title,
        "category": _ref(c.category),
        "place": _ref(c.place),
        "owner_unit": _ref(c.owner_unit),
        "deadline": c.deadline,
        "is_overdue": c.is_overdue,
        "collected_at": c.collected_at,
        "external_ref": c.external_ref,
    }


def case_out(actor, c: Case) -> dict:
    return {
        **case_row(c),
        "kind_label": c.get_kind_display(),
        "channel_label": c.get_channel_display(),
        "title": c.title,
        "text": c.text,
        "item": _ref(c.item),
        "place_label": c.place.place_label(),
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "state_changed_at": c.state_changed_at,
        "dispatched_at": c.dispatched_at,
        "signed_at": c.signed_at,
        "replied_at": c.replied_at,
        "closed_at": c.closed_at,
        "result": c.result,
        "external_source": c.external_source,
        "merged_into": c.merged_into_id,
        "reopen_count": c.reopen_count,
        "flagged_for_supervision": c.flagged_for_supervision,
        "supervision_status": c.supervision_status,
        "escalation_level": c.escalation_level,
        "is_public": c.is_public,
        "ratings": {
            "satisfied": c.rating_satisfied,
            "neutral": c.rating_neutral,
            "unsatisfied": c.rating_unsatisfied,
        },
        "actions": [t.name for t in kernel.allowed_transitions(actor, c)],
    }


def _node_id(value: str | None, field: str, label: str) -> int | None:
    """A node given by id or code -> its id (the service judges whether it fits)."""
    if value in (None, ""):
        return None
    value = value.strip()
    node = OrgNode.objects.filter(code=value).only("id").first()
    if node is None and value.isdigit() and len(value) < 16:
        node = OrgNode.objects.filter(pk=int(value)).only("id").first()
    if node is None:
        raise InvalidInput(f"{label}不存在", fields={field: [f"{label}不存在"]})
    return node.pk


def _code_id(model, value: str | None, field: str, label: str) -> int | None:
    if value in (None, ""):
        return None
    obj = model.objects.filter(code=value.strip()).only("id").first()
    if obj is None:
        raise InvalidInput(f"{label}不存在", fields={field: [f"{label}不存在"]})
    return obj.pk


def _load(actor, case_id: int) -> Case:
    return selectors.case_for_staff(actor, case_id)


CaseId = Annotated[Id, Path(description="诉求 id")]


# --- endpoints ----------------------------------------------------------------------


@router.get("/cases", response={200: CasePage, **READ_ERRORS}, summary="诉求列表")
def case_list(request: HttpRequest, f: Query[CaseFilterQuery]):
    actor = actor_of(request)
    filters = selectors.CaseFilters(
        state=f.state or "",
        category=_code_id(Category, f.category, "category", "分类") if f.category else None,
        place=f.place,
        unit=f.unit,
        channel=f.channel or "",
        kind=f.kind or "",
        date_from=f.date_from,
        date_to=f.date_to,
        overdue=f.overdue,
        flagged=f.flagged,
        q=f.q or "",
        sort=f.sort,
    )
    qs = selectors.filtered_cases(actor, filters)
    if f.external_source:
        qs = qs.filter(external_source=f.external_source)
    if f.external_ref:
        qs = qs.filter(external_ref=f.external_ref)
    qs = qs.select_related("place", "owner_unit", "category").defer("result", "address")
    page = selectors.keyset_page(qs, sort=f.sort, cursor=f.cursor or "", size=f.limit)
    return {
        "items": [case_row(c) for c in page.rows],
        "next_cursor": page.next_cursor or None,
    }


@router.post("/cases", response={201: CaseOut, **WRITE_ERRORS}, summary="登记诉求")
def case_create(
    request: HttpRequest,
    payload: CaseIn,
    idempotency_key: Annotated[
        Text | None, Header(None, alias="Idempotency-Key", max_length=30)
    ] = None,
):
    """Recorded on behalf of a resident through cases.services.case_intake (the staff
    intake page's service): the caller's roles and subtree decide, as on the page."""
    actor = actor_of(request)
    item = {
        "text": payload.text,
        "title": payload.title,
        "kind": payload.kind,
        "place": _node_id(payload.place, "place", "所在地"),
        "category": _code_id(Category, payload.category, "category", "分类"),
        "item": _code_id(Item, payload.item, "item", "小项"),
        "address": payload.address,
        "latitude": payload.latitude,
        "longitude": payload.longitude,
        "name": payload.name,
        "phone": payload.phone,
        "external_ref": payload.external_ref,
    }
    key = f"api{actor.pk}:{idempotency_key}"[:36] if idempotency_key else ""
    (case,) = services.case_intake(
        actor=actor,
        channel=payload.channel,
        items=[item],
        collected_at=payload.collected_at,
        intake_key=key,
        external_source=payload.external_source
        or (f"api:{request.auth.key.prefix}" if request.auth.key else "api"),
    )
    return Status(201, case_out(actor, _load(actor, case.pk)))


@router.get("/cases/{case_id}", response={200: CaseOut, **READ_ERRORS}, summary="诉求详情")
def case_detail(request: HttpRequest, case_id: CaseId):
    actor = actor_of(request)
    return case_out(actor, _load(actor, case_id))


@router.get(
    "/cases/{case_id}/timeline",
    response={200: list[TimelineOut], **READ_ERRORS},
    summary="办理纪实",
)
def case_timeline(request: HttpRequest, case_id: CaseId):
    actor = actor_of(request)
    case = _load(actor, case_id)
    return timeline_rows(case)


@router.get(
    "/cases/{case_id}/contact",
    response={200: ContactOut, **READ_ERRORS},
    summary="诉求人联系方式（记录查看日志）",
)
def case_contact(
    request: HttpRequest,
    case_id: CaseId,
    reason: Annotated[Text, Query("办理诉求", max_length=200, description="查看事由")] = "办理诉求",
):
    actor = actor_of(request)
    case = _load(actor, case_id)
    contact = services.case_contact_view(actor=actor, case=case, reason=reason or "办理诉求")
    return {
        "name": contact.name if contact else "",
        "phone": contact.phone if contact else "",
        "id_number": contact.id_number if contact else "",
        "address": case.address,
    }


def _act(request: HttpRequest, case_id: int, fn, **kwargs):
    actor = actor_of(request)
    case = _load(actor, case_id)
    fn(actor=actor, case=case, **kwargs)
    return case_out(actor, _load(actor, case_id))


@router.post("/cases/{case_id}/accept", response={200: CaseOut, **WRITE_ERRORS}, summary="受理")
def case_accept(request: HttpRequest, case_id: CaseId, payload: NoteIn):
    return _act(request, case_id, services.case_accept, note=payload.note)


@router.post(
    "/cases/{case_id}/decline", response={200: CaseOut, **WRITE_ERRORS}, summary="不予受理"
)
def case_decline(request: HttpRequest, case_id: CaseId, payload: ReasonIn):
    return _act(request, case_id, services.case_decline, reason=payload.reason)


@router.post("/cases/{case_id}/merge", response={200: CaseOut, **WRITE_ERRORS}, summary="合并")
def case_merge(request: HttpRequest, case_id: CaseId, payload: MergeIn):
    return _act(request, case_id, services.case_merge, into=payload.into, note=payload.note)


@router.post("/cases/{case_id}/dispatch", response={200: CaseOut, **WRITE_ERRORS}, summary="交办")
def case_dispatch(request: HttpRequest, case_id: CaseId, payload: DispatchIn):
    unit = _node_id(payload.unit, "unit", "承办单位")
    return _act(
        request,
        case_id,
        services.case_dispatch,
        unit=unit,
        deadline=payload.deadline,
        note=payload.note,
    )


@router.post("/cases/{case_id}/sign", response={200: CaseOut, **WRITE_ERRORS}, summary="签收")
def case_sign(request: HttpRequest, case_id: CaseId, payload: NoteIn):
    return _act(request, case_id, services.case_sign, note=payload.note)


@router.post("/cases/{case_id}/return", response={200: CaseOut, **WRITE_ERRORS}, summary="退回")
def case_return(request: HttpRequest, case_id: CaseId, payload: ReasonIn):
    return _act(request, case_id, services.case_return, reason=payload.reason)


@router.post(
    "/cases/{case_id}/notes", response={200: CaseOut, **WRITE_ERRORS}, summary="办理进展/备注"
)
def case_note(request: HttpRequest, case_id: CaseId, payload: NoteIn):
    return _act(request, case_id, services.case_note, note=payload.note)


@router.post("/cases/{case_id}/reply", response={200: CaseOut, **WRITE_ERRORS}, summary="办结答复")
def case_reply(request: HttpRequest, case_id: CaseId, payload: ReplyIn):
    return _act(request, case_id, services.case_reply, result=payload.result)


@router.post("/cases/{case_id}/flag", response={200: CaseOut, **WRITE_ERRORS}, summary="转入督办")
def case_flag(request: HttpRequest, case_id: CaseId, payload: ReasonIn):
    return _act(request, case_id, services.case_flag, reason=payload.reason)


@router.post("/cases/{case_id}/close", response={200: CaseOut, **WRITE_ERRORS}, summary="销号")
def case_close(request: HttpRequest, case_id: CaseId, payload: NoteIn):
    return _act(request, case_id, services.case_close, note=payload.note)
