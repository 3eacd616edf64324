"""Helpers the endpoint modules share: paging and the error responses to document."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.db.models import QuerySet
from ninja import Query, Schema
from pydantic import Field

from tracking.selectors import timeline_for

from ..schemas import Error

MAX_OFFSET = 10**7

READ_ERRORS = {401: Error, 403: Error, 404: Error, 422: Error}
WRITE_ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


class Paging(Schema):
    limit: Annotated[int, Field(ge=1, le=500)] = 50
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET)] = 0


PagingQuery = Annotated[Paging, Query()]


def page(qs: QuerySet | list, paging: Paging) -> tuple[int, list]:
    """(total count, the slice) for a queryset or list."""
    total = qs.count() if isinstance(qs, QuerySet) else len(qs)
    return total, list(qs[paging.offset : paging.offset + paging.limit])


class TimelineOut(Schema):
    id: int
    at: dt.datetime
    actor: str
    action: str
    action_label: str
    from_state: str
    to_state: str
    note: str
    is_public: bool
    evidence: list[str]


def timeline_rows(item) -> list[dict]:
    """An item's whole timeline (staff read it after scoping), for TimelineOut."""
    return [
        {
            "id": e.pk,
            "at": e.created_at,
            "actor": e.actor_label,
            "action": e.action,
            "action_label": e.action_label,
            "from_state": e.from_state,
            "to_state": e.to_state,
            "note": e.note,
            "is_public": e.is_public,
            "evidence": [ev.original_name for ev in e.evidence.all()],
        }
        for e in timeline_for(item)
    ]
