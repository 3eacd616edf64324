"""Fixtures for the commitments tests: a programme, the D05 unit's people, a factory."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from commitments import services
from commitments.models import Programme
from orgs.models import Role
from tracking import workdays

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def photo(name: str = "现场.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


@pytest.fixture(autouse=True)
def fresh_calendar():
    workdays.invalidate()
    yield
    workdays.invalidate()


@pytest.fixture
def programme(db):
    return Programme.objects.create(name="2026年测试清单", year=2026)


@pytest.fixture
def handler(make_user):
    return make_user("D05", Role.UNIT_HANDLER, username="t_handler", full_name="刘经办")


@pytest.fixture
def head(make_user):
    return make_user("D05", Role.UNIT_HEAD, username="t_head", full_name="陈负责")


@pytest.fixture
def inspector(make_user):
    return make_user("C", Role.INSPECTOR, username="t_inspector")


@pytest.fixture
def make_item(office, programme, node):
    def make(state: str = "draft", **data):
        fields = {
            "title": "老旧小区改造",
            "tasks": "改造供排水和外墙保温",
            "owner_unit": node("D05"),
            "deadline": dt.date(2026, 12, 31),
            "target_quantity": Decimal(36),
            "target_unit": "个小区",
            **data,
        }
        return services.commitment_create(
            actor=office, programme=programme, data=fields, state=state
        )

    return make
