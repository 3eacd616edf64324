"""Fixtures for participation tests: a clean cache (rate limits, SMS codes), people, a team."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from core import sms
from orgs.models import Role
from participation import services
from participation.models import MenuItem


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def verify():
    """verify(phone, purpose): prove a phone the way a resident does (send, read, type the code)."""

    def run(phone: str, purpose: str) -> str:
        sms.send_code(phone, purpose)
        assert sms.verify_code(phone, purpose, sms.last_code_for(phone))
        return phone

    return run


@pytest.fixture
def volunteer(make_user):
    return make_user("T01V02", Role.VOLUNTEER, username="t_vol", full_name="林小红")


@pytest.fixture
def team(office, volunteer):
    team = services.team_create(actor=office, name="测试志愿服务队", node=office.node)
    services.team_member_add(actor=office, team=team, user=volunteer, is_leader=True)
    return team


@pytest.fixture
def menu_item(office, team):
    return services.menu_item_save(
        actor=office, kind="service", title="义诊和健康咨询", default_team=team
    )


@pytest.fixture
def open_poll(office):
    now = timezone.now()
    poll = services.poll_create(
        actor=office,
        title="民生项目比选",
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(days=3),
        options=[{"title": "加装电梯"}, {"title": "社区食堂"}, {"title": "饮水安全"}],
    )
    return services.poll_open(actor=office, poll=poll)


@pytest.fixture
def lecture(office):
    return services.menu_item_save(
        actor=office,
        kind=MenuItem.Kind.LECTURE,
        title="党史学习教育专题宣讲",
        month=timezone.localdate(),
    )
