"""Aspects, categories and items: the same for every actor."""

from __future__ import annotations

from typing import Annotated

from django.db.models import Prefetch, Q
from django.http import HttpRequest
from ninja import Path, Query, Router, Schema
from pydantic import Field

from core.errors import NotFound
from orgs import access
from taxonomy.models import Category, Item

from ..auth import actor_of
from ..schemas import CategoryOut, Id, Text
from .common import READ_ERRORS, PagingQuery, page

router = Router(tags=["分类"])


class CategoryPage(Schema):
    count: int
    items: list[CategoryOut]


class CategoryFilters(Schema):
    aspect: Id | None = Field(None, description="方面 id")
    active: bool | None = Field(None, description="只看启用或停用的")
    q: Annotated[Text, Field(max_length=50)] | None = Field(None, description="名称或编码包含")


def categories():
    return Category.objects.select_related("aspect", "default_unit").prefetch_related(
        Prefetch("items", queryset=Item.objects.order_by("order", "id"))
    )


def category_row(c: Category) -> dict:
    unit = c.default_unit
    return {
        "id": c.pk,
        "code": c.code,
        "name": c.name,
        "aspect": {"id": c.aspect_id, "name": c.aspect.name},
        "default_unit": {"id": unit.pk, "code": unit.code, "name": unit.name} if unit else None,
        "default_days": c.default_days,
        "is_active": c.is_active,
        "items": [{"id": i.pk, "code": i.code, "name": i.name} for i in c.items.all()],
    }


@router.get("/categories", response={200: CategoryPage, **READ_ERRORS}, summary="分类列表")
def category_list(request: HttpRequest, paging: PagingQuery, filters: Query[CategoryFilters]):
    access.require_staff(actor_of(request))
    qs = categories()
    if filters.aspect is not None:
        qs = qs.filter(aspect_id=filters.aspect)
    if filters.active is not None:
        qs = qs.filter(is_active=filters.active)
    if filters.q:
        qs = qs.filter(Q(name__icontains=filters.q) | Q(code__icontains=filters.q))
    total, rows = page(qs, paging)
    return {"count": total, "items": [category_row(c) for c in rows]}


@router.get(
    "/categories/{code}", response={200: CategoryOut, **READ_ERRORS}, summary="分类（按编码）"
)
def category_detail(request: HttpRequest, code: Annotated[Text, Path(max_length=20)]):
    access.require_staff(actor_of(request))
    c = categories().filter(code=code).first()
    if c is None:
        raise NotFound()
    return category_row(c)
