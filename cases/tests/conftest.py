from __future__ import annotations

import pytest

from cases import services
from orgs.models import Role
from taxonomy.models import Category

PHONE_NO = "13812341234"


@pytest.fixture
def category(db):
    # 城乡融合, default unit 住房和城乡建设局 (D05)
    return Category.objects.get(code="A1C05")


@pytest.fixture
def submit(db, node):
    def make(**kw):
        data = {
            "text": "村口道路坑洼积水，雨天出行困难，希望尽快修补。",
            "kind": "request",
            "place": node("T01V01").pk,
            "name": "张三丰",
            "phone": PHONE_NO,
        }
        data.update(kw)
        return services.case_submit_public(**data)

    return make


@pytest.fixture
def unit_user(make_user):
    return make_user("D05", Role.UNIT_HANDLER, username="t_unit")


@pytest.fixture
def town_office(make_user):
    return make_user("T01", Role.OFFICE, username="t_town_office")


@pytest.fixture
def other_town_office(make_user):
    return make_user("T04", Role.OFFICE, username="t_town4_office")


@pytest.fixture
def replied_case(submit, office, unit_user, node, category):
    case = submit(category=category.pk)
    case = services.case_dispatch(actor=office, case=case, unit=node("D05"))
    case = services.case_sign(actor=unit_user, case=case)
    return services.case_reply(actor=unit_user, case=case, result="已修补路面并清理排水沟。")
