"""POST /api/suggestions/: category, unit and duplicate suggestions for a text
(textintel through cases.textsearch, so duplicates stay within the caller's scope).
It writes nothing, so a read-only API key may call it although it is a POST."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from cases import textsearch
from core.errors import InvalidInput, NotFound
from orgs import access

from ..auth import KeyAuth, StaffSession, actor_of, principal_for_key
from ..schemas import Error, Id
from .common import READ_ERRORS


class ReadKeyAuth(KeyAuth):
    """Any valid key, read-only included: a suggestion changes nothing."""

    def authenticate(self, request: HttpRequest, key: str | None):
        if not key:
            return None
        return principal_for_key(key, "GET")


router = Router(tags=["智能建议"])


class SuggestIn(Schema):
    text: Annotated[str, Field(min_length=1, max_length=10_000, description="诉求内容，繁简均可")]
    place: Id | None = Field(None, description="所在地组织节点 id（选填，用于结合属地办理习惯）")


class Scored(Schema):
    id: int
    name: str
    score: float = Field(description="0–1 的置信度")


class Duplicate(Schema):
    id: int
    tracking_code: str
    external_ref: str
    score: float = Field(description="文本相似度（0–1）")
    state: str


class SuggestOut(Schema):
    categories: list[Scored] = Field(description="分类建议，前3")
    units: list[Scored] = Field(description="承办单位建议，前3")
    duplicates: list[Duplicate] = Field(description="疑似重复的已有诉求，前10（仅调用者可见范围）")


@router.post(
    "/suggestions/",
    response={200: SuggestOut, 400: Error, **READ_ERRORS},
    auth=[ReadKeyAuth(), StaffSession()],
    summary="分类、承办单位和重复件建议",
)
def suggestions(request: HttpRequest, payload: SuggestIn):
    """Learned from this deployment's handled cases; answers in a few milliseconds."""
    actor = actor_of(request)
    access.require_staff(actor)
    if not payload.text.strip():
        raise InvalidInput("请填写诉求内容", fields={"text": ["请填写诉求内容"]})
    place = None
    if payload.place is not None:
        try:
            place = access.access_node(actor, payload.place)
        except NotFound:
            raise InvalidInput("所在地不存在", fields={"place": ["所在地不存在"]}) from None
    return textsearch.case_suggestions(actor, text=payload.text, place=place)
