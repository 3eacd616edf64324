"""Supervision is tested on the kernel's test model Widget (tests/kernelapp), which
registers itself as a TrackedKind; the same code serves cases and commitments."""

from __future__ import annotations

import datetime as dt

import pytest

from orgs.models import Role
from tests.kernelapp.models import Widget
from tracking.workdays import add_working_days

# A Wednesday: deadlines are counted in working days back and forth from it.
TODAY = dt.date(2026, 11, 25)
KEY = "kernelapp.widget"


def days_ago(n: int) -> dt.date:
    """A deadline n working days before TODAY (so n working days overdue)."""
    return add_working_days(TODAY, -n)


@pytest.fixture
def unit(node):
    return node("D05")


@pytest.fixture
def handler(make_user):
    return make_user("D05", Role.UNIT_HANDLER, username="t_handler", phone="13900000001")


@pytest.fixture
def discipline(make_user):
    return make_user("D23", Role.DISCIPLINE, username="t_discipline")


@pytest.fixture
def make_widget(node, unit):
    counter = iter(range(1, 10_000))

    def make(
        *,
        deadline: dt.date | None = None,
        state: str = "assigned",
        place: str = "T01V01",
        owner=None,
        **extra,
    ) -> Widget:
        return Widget.objects.create(
            title=extra.pop("title", f"测试事项{next(counter)}"),
            state=state,
            place=node(place),
            owner_unit=owner or unit,
            deadline=deadline,
            created_at=extra.pop("created_at", dt.datetime(2026, 10, 1, 9, tzinfo=dt.UTC)),
            **extra,
        )

    return make
