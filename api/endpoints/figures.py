"""Figures over the API: the same rollups and sentences the figures pages show, for a
node the caller can see (orgs.access.access_node)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from figures import selectors as sel
from figures import sentences
from figures.measures import MEASURES
from figures.periods import parse_period
from orgs import access

from ..auth import actor_of
from ..schemas import Id, NodeRef, Text
from .common import READ_ERRORS

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
    actor = actor_of(request)
    access.require_staff(actor)
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
    f = sel.case_figures(node, period)
    by_place = []
    for row in sel.case_by_child(node, period):
        sums, rates = _split(row)
        by_place.append({"node": _ref(row["node"]), **sums, **rates})
    texts = []
    for make in (sentences.case_sentence, sentences.commitment_sentence):
        parts = make(node, period) if make is sentences.case_sentence else make(node)
        if parts:
            texts.append(sentences.text_of(parts))
    return {
        "node": _ref(node),
        "period": {"key": period.key, "label": period.label},
        "measures": {k: m.label for k, m in MEASURES.items()},
        "cases": {"sums": f.sums, "rates": f.rates, "score": f.score},
        "by_category": _plain(sel.case_by_category(node, period)),
        "by_place": by_place,
        "commitments": _plain(sel.commitment_figures(node, period)),
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
