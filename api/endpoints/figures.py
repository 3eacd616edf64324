"""Figures over the API: the same rollups and sentences the figures pages show, for a
node the caller can see (orgs.access.access_node)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from core.errors import InvalidInput, NotFound
from figures import briefing as briefing_doc
from figures import exports, sentences, services
from figures import selectors as sel
from figures.exports import DOCX, XLSX, file_response, xlsx_response
from figures.measures import MEASURES
from figures.models import Briefing
from figures.periods import parse_period
from figures.services import FIGURE_ROLES
from orgs import access
from orgs.models import Role

from ..auth import actor_of
from ..schemas import Day, Error, Id, NodeRef, Text
from .common import READ_ERRORS, WRITE_ERRORS, PagingQuery, page

router = Router(tags=["统计"])


class PeriodOut(Schema):
    key: str
    label: str


class CaseFiguresOut(Schema):
    sums: dict[str, int]
    rates: dict[str, float | None]
    score: float | None


class FiguresOut(Schema):
    node: NodeRef
    period: PeriodOut
    measures: dict[str, str] = Field(description="各计数项的中文名称")
    cases: CaseFiguresOut
    by_category: list[dict[str, Any]]
    by_place: list[dict[str, Any]]
    commitments: dict[str, Any]
    sentences: list[str] = Field(description="与统计页、通报一致的中文表述")


class RankingRow(Schema):
    rank: int
    prev_rank: int | None
    change: int | None
    node: NodeRef
    score: float | None
    sums: dict[str, int]
    rates: dict[str, float | None]


class FigureQuery(Schema):
    node: Id | None = Field(None, description="组织节点 id（默认：调用者所在节点）")
    period: Annotated[Text, Field(max_length=7)] | None = Field(None, description="2026-10 或 2026")


def _node_and_period(request: HttpRequest, q: FigureQuery):
    actor = _reader(request)
    node = access.access_node(actor, q.node) if q.node else sel.default_node(actor)
    return node, parse_period(q.period)


def _ref(n) -> dict:
    return {"id": n.pk, "code": n.code, "name": n.name}


def _split(row: dict) -> tuple[dict, dict]:
    from figures.measures import RATES

    sums = {k: int(row.get(k) or 0) for k in MEASURES}
    rates = {k: row.get(k) for k in RATES}
    return sums, rates


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@router.get("/figures", response={200: FiguresOut, **READ_ERRORS}, summary="统计汇总")
def figures(request: HttpRequest, q: Query[FigureQuery]):
    node, period = _node_and_period(request, q)
    d = sel.dashboard_data(node, period)  # the page's reads, once each
    f = d["figures"]
    by_place = []
    for row in d["by_child"]:
        sums, rates = _split(row)
        by_place.append({"node": _ref(row["node"]), **sums, **rates})
    texts = [
        sentences.text_of(parts)
        for parts in (
            sentences.case_sentence(node, period, f),
            sentences.commitment_sentence(node, d["commitments"]),
        )
        if parts
    ]
    return {
        "node": _ref(node),
        "period": {"key": period.key, "label": period.label},
        "measures": {k: m.label for k, m in MEASURES.items()},
        "cases": {"sums": f.sums, "rates": f.rates, "score": f.score},
        "by_category": _plain(d["by_category"]),
        "by_place": by_place,
        "commitments": _plain(d["commitments"]),
        "sentences": texts,
    }


@router.get("/figures/ranking", response={200: list[RankingRow], **READ_ERRORS}, summary="排名")
def ranking(
    request: HttpRequest,
    q: Query[FigureQuery],
    kind: Literal["units", "places"] = "units",
):
    node, period = _node_and_period(request, q)
    out = []
    for row in sel.ranking(node, period, kind=kind):
        sums, rates = _split(row)
        out.append(
            {
                "rank": row["rank"],
                "prev_rank": row.get("prev_rank"),
                "change": row.get("change"),
                "node": _ref(row["node"]),
                "score": row.get("score"),
                "sums": sums,
                "rates": rates,
            }
        )
    return out


# --- activities, briefings, exports ------------------------------------------------------
# The same rules as the figures pages: the working roles read (figures.views.FIGURE_ROLES),
# every node through orgs.access, every write through figures.services.

XLSX_RESPONSE = {"description": "Excel 文件（.xlsx）", "content": {XLSX: {}}}


def _xlsx_get(path: str, summary: str):
    """A GET that answers an Excel file (documented as such), or a JSON error."""
    return router.get(
        path,
        response={200: None, **READ_ERRORS, 400: Error},
        openapi_extra={"responses": {200: XLSX_RESPONSE}},
        summary=summary,
    )


def _reader(request: HttpRequest):
    actor = actor_of(request)
    access.require_staff(actor)
    access.require_role(actor, *FIGURE_ROLES)
    return actor


def _scope(request: HttpRequest, node_id, period_key):
    """(actor, node, period) for a reader: NotFound for a node out of reach, a Chinese
    400 for a period that is neither 2026-10 nor 2026."""
    actor = _reader(request)
    node = access.access_node(actor, node_id) if node_id else sel.default_node(actor)
    return actor, node, parse_period(period_key)


class ActivityOut(Schema):
    id: int
    date: dt.date
    kind: str
    kind_label: str
    title: str
    place: NodeRef
    people_reached: int
    participants: int
    groups_visited: int
    problems_collected: int
    suggestions_collected: int
    note: str
    recorded_by: str | None
    cases: list[str] | None = Field(None, description="关联诉求的查询码（详情中给出，限可见的）")


class ActivityIn(Schema):
    date: Day
    place: Id = Field(description="活动地点（组织节点 id，须在本辖区内）")
    kind: Literal["study", "lecture", "training", "visit", "forum"] = Field(
        description="study 学习、lecture 宣讲、training 培训、visit 走访、forum 座谈会"
    )
    title: Annotated[Text, Field(min_length=1, max_length=200)]
    people_reached: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    participants: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    groups_visited: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    problems_collected: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    suggestions_collected: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    note: Annotated[Text, Field(max_length=5000)] = ""


class ActivityPage(Schema):
    total: int
    totals: dict[str, Any] = Field(
        description="本期合计：场次、人次、收集问题与建议、关联与已解决诉求"
    )
    items: list[ActivityOut]


class ActivityQuery(FigureQuery):
    kind: Literal["", "study", "lecture", "training", "visit", "forum"] = ""


class CaseCodesIn(Schema):
    codes: Annotated[
        list[Annotated[Text, Field(max_length=20)]], Field(min_length=1, max_length=500)
    ]


class LinkedOut(Schema):
    linked: int = Field(description="新关联的诉求数")


def _activity_out(a, cases: list[str] | None = None) -> dict:
    return {
        "id": a.pk,
        "date": a.date,
        "kind": a.kind,
        "kind_label": a.get_kind_display(),
        "title": a.title,
        "place": _ref(a.place),
        "people_reached": a.people_reached,
        "participants": a.participants,
        "groups_visited": a.groups_visited,
        "problems_collected": a.problems_collected,
        "suggestions_collected": a.suggestions_collected,
        "note": a.note,
        "recorded_by": str(a.recorded_by) if a.recorded_by_id else None,
        "cases": cases,
    }


@router.get(
    "/activities", response={200: ActivityPage, **READ_ERRORS, 400: Error}, summary="活动记录"
)
def activity_list(request: HttpRequest, q: Query[ActivityQuery], paging: PagingQuery):
    _actor, node, period = _scope(request, q.node, q.period)
    qs = sel.activities_in(node, period, q.kind).select_related("place", "recorded_by")
    total, rows = page(qs.order_by("-date", "-id"), paging)
    return {
        "total": total,
        "totals": _plain(sel.activity_figures(node, period, q.kind)),
        "items": [_activity_out(a) for a in rows],
    }


@router.post(
    "/activities",
    response={201: ActivityOut, **WRITE_ERRORS},
    summary="登记活动（学习、宣讲、培训、走访、座谈会）",
)
def activity_create(request: HttpRequest, payload: ActivityIn):
    actor = actor_of(request)
    data = payload.dict()
    a = services.activity_record(actor=actor, place_id=data.pop("place"), **data)
    return Status(201, _activity_out(services.access_activity(actor, a.pk), []))


@_xlsx_get("/activities/export", "导出活动记录（Excel）")
def activity_export(request: HttpRequest, q: Query[ActivityQuery]):
    _actor, node, period = _scope(request, q.node, q.period)
    return xlsx_response(
        *exports.activities_table(node, period, sel.activities_in(node, period, q.kind))
    )


@router.get(
    "/activities/{activity_id}", response={200: ActivityOut, **READ_ERRORS}, summary="活动详情"
)
def activity_detail(request: HttpRequest, activity_id: Id):
    from cases.models import Case

    actor = _reader(request)
    a = services.access_activity(actor, activity_id)
    linked = Case.objects.filter(pk__in=a.case_links.values("case_id"))
    codes = list(
        access.scope_tracked(actor, linked)
        .order_by("id")
        .values_list("tracking_code", flat=True)[:500]
    )
    return _activity_out(a, codes)


@router.post(
    "/activities/{activity_id}/cases",
    response={200: LinkedOut, **WRITE_ERRORS},
    summary="关联活动收集的诉求（按查询码）",
)
def activity_link(request: HttpRequest, activity_id: Id, payload: CaseCodesIn):
    actor = actor_of(request)
    n = services.activity_link_cases(
        actor=actor, activity_id=activity_id, tracking_codes=payload.codes
    )
    return {"linked": n}


class BriefingIn(Schema):
    node: Id | None = Field(None, description="组织节点 id（默认：调用者所在节点）")
    period: Annotated[Text, Field(max_length=7, description="通报月份，如 2026-10")]


class BriefingOut(Schema):
    id: int
    node: NodeRef
    period: str
    year: int
    number: int
    doc_number: str = Field(description="文号，如 示范县办实事办〔2026〕3号")
    created_at: dt.datetime
    download: str = Field(description="Word 文件的下载地址")


class HighlightIn(Schema):
    node: Id | None = None
    period: Annotated[Text, Field(max_length=7)]
    report: Id = Field(description="进度报送 id（其“亮点做法”选入本期通报）")
    text: Annotated[Text, Field(max_length=2000)] = ""


class HighlightOut(Schema):
    id: int
    report_id: int
    unit: NodeRef
    period: str
    text: str


def _office(request: HttpRequest, node_id):
    actor = _reader(request)
    access.require_role(actor, Role.OFFICE)
    node = access.access_node(actor, node_id) if node_id else sel.default_node(actor)
    return actor, node


def _briefing_out(b) -> dict:
    return {
        "id": b.pk,
        "node": _ref(b.node),
        "period": b.period,
        "year": b.year,
        "number": b.number,
        "doc_number": briefing_doc.doc_number(b.node, b),
        "created_at": b.created_at,
        "download": f"/api/briefings/{b.pk}/docx",
    }


@router.get(
    "/briefings", response={200: list[BriefingOut], **READ_ERRORS}, summary="已编发的工作通报"
)
def briefing_list(request: HttpRequest, node: Id | None = None):
    _actor, n = _office(request, node)
    qs = Briefing.objects.filter(node=n).select_related("node").order_by("-year", "-number")
    return [_briefing_out(b) for b in qs[:200]]


@router.post(
    "/briefings", response={201: BriefingOut, **WRITE_ERRORS}, summary="编发工作通报（取得文号）"
)
def briefing_create(request: HttpRequest, payload: BriefingIn):
    actor, n = _office(request, payload.node)
    b = services.briefing_issue(actor=actor, node_id=n.pk, period=payload.period)
    return Status(201, _briefing_out(b))


def _briefing_get(request: HttpRequest, briefing_id: int):
    actor = _reader(request)
    access.require_role(actor, Role.OFFICE)
    b = Briefing.objects.select_related("node").filter(pk=briefing_id).first()
    if b is None or not access.covers(actor, b.node):
        raise NotFound()
    return b


@router.get(
    "/briefings/{briefing_id}/docx",
    response={200: None, **READ_ERRORS},
    openapi_extra={
        "responses": {200: {"description": "Word 文件（.docx）", "content": {DOCX: {}}}}
    },
    summary="下载工作通报（Word）",
)
def briefing_docx(request: HttpRequest, briefing_id: Id):
    b = _briefing_get(request, briefing_id)
    p = parse_period(b.period)
    data = briefing_doc.build(node=b.node, period=p, briefing=b)
    return file_response(f"{b.node.name}{p.label}工作通报.docx", data, DOCX)


@router.get(
    "/briefings/highlights",
    response={200: list[HighlightOut], **READ_ERRORS, 400: Error},
    summary="本期通报选入的亮点做法",
)
def highlight_list(request: HttpRequest, q: Query[FigureQuery]):
    actor, n = _office(request, q.node)
    return [
        {
            "id": h.pk,
            "report_id": h.report_id,
            "unit": _ref(h.unit),
            "period": h.period,
            "text": h.text,
        }
        for h in sel.highlights_for(n, parse_period(q.period))
    ]


@router.post(
    "/briefings/highlights", response={201: HighlightOut, **WRITE_ERRORS}, summary="选入亮点做法"
)
def highlight_create(request: HttpRequest, payload: HighlightIn):
    actor, _n = _office(request, payload.node)
    h = services.highlight_pick(
        actor=actor, report_id=payload.report, period=payload.period, text=payload.text
    )
    return Status(
        201,
        {
            "id": h.pk,
            "report_id": h.report_id,
            "unit": _ref(h.unit),
            "period": h.period,
            "text": h.text,
        },
    )


@router.delete(
    "/briefings/highlights/{highlight_id}",
    response={204: None, **WRITE_ERRORS},
    summary="移出亮点做法",
)
def highlight_delete(request: HttpRequest, highlight_id: Id):
    services.highlight_remove(actor=actor_of(request), highlight_id=highlight_id)
    return Status(204, None)


class ExportQuery(FigureQuery):
    table: Literal["trend", "category", "places", "ranking_units", "ranking_places"] = Field(
        description="trend 近12个月趋势、category 分类别、places 分地区、ranking_units/ranking_places 排名"
    )


@_xlsx_get("/figures/export", "导出统计表（Excel）")
def figures_export(request: HttpRequest, q: Query[ExportQuery]):
    _actor, node, period = _scope(request, q.node, q.period)
    if q.table.startswith("ranking_"):
        if not period.is_month:
            raise InvalidInput("排名按月统计，请选择月份", fields={"period": ["请选择月份"]})
        kind = q.table.removeprefix("ranking_")
        title = f"{node.name}{period.label}{'承办单位' if kind == 'units' else '属地'}综合排名"
        return xlsx_response(*exports.ranking_table(title, sel.ranking(node, period, kind=kind)))
    d = sel.dashboard_data(node, period)
    return xlsx_response(
        *exports.figure_table(q.table, node, period, d["trend"], d["by_category"], d["by_child"])
    )


class CasesExportQuery(FigureQuery):
    measure: Literal[tuple(MEASURES)] = "received"  # type: ignore[valid-type]
    axis: Literal["place", "unit"] | None = None
    category: Id | None = None


@_xlsx_get("/figures/cases/export", "导出统计数字背后的诉求明细（Excel，联系人按权限脱敏）")
def figures_cases_export(request: HttpRequest, q: Query[CasesExportQuery]):
    actor, node, period = _scope(request, q.node, q.period)
    qs = sel.drill_cases(
        actor, node, period, measure=q.measure, axis=q.axis, category_id=q.category
    )
    title = f"{node.name}{period.label}诉求：{MEASURES[q.measure].label}"
    return xlsx_response(*exports.cases_table(actor, qs, title))
