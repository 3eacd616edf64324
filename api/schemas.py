"""Shapes shared by the REST API and Open311: input types that cannot reach the
database in a form it rejects (NUL bytes, lone surrogates, 64-bit overflow)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.utils import timezone
from ninja import Schema
from pydantic import AfterValidator, Field

MAX_ID = 2**53  # well inside BIGINT on SQLite and PostgreSQL


def clean_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("含有无效字符")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("含有无效字符") from None
    return value


def clean_when(value: dt.datetime) -> dt.datetime:
    """Aware (naive means Beijing time), in years the databases and date maths handle,
    and in UTC so no odd offset reaches PostgreSQL."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if not 1970 <= value.year <= 2100:
        raise ValueError("时间须在1970年至2100年之间")
    return value.astimezone(dt.UTC)


def clean_day(value: dt.date) -> dt.date:
    if not 1970 <= value.year <= 2100:
        raise ValueError("日期须在1970年至2100年之间")
    return value


Text = Annotated[str, AfterValidator(clean_text)]
When = Annotated[dt.datetime, AfterValidator(clean_when)]
Day = Annotated[dt.date, AfterValidator(clean_day)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class Error(Schema):
    code: str = Field(description="稳定的错误代码，如 not_found、invalid、read_only_key")
    message: str = Field(description="中文说明")
    fields: dict[str, list[str]] = Field(default_factory=dict, description="按字段的错误")


class NodeRef(Schema):
    id: int
    code: str
    name: str


class Node(Schema):
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    depth: int
    parent_id: int | None
    is_unit: bool


class ItemOut(Schema):
    id: int
    code: str
    name: str


class AspectOut(Schema):
    id: int
    name: str


class CategoryOut(Schema):
    id: int
    code: str
    name: str
    aspect: AspectOut
    default_unit: NodeRef | None
    default_days: int
    is_active: bool
    items: list[ItemOut]


class Me(Schema):
    username: str
    name: str
    node: NodeRef | None
    roles: list[str]
    via: str = Field(description="session 或 api_key")
    key_scope: str | None = Field(None, description="read 或 read_write（仅密钥方式）")
