"""The demo leaves items on every rung of the ladder, and a second run changes nothing."""

import pytest

from orgs.models import Role, User
from supervision import demo
from supervision.models import InspectionGroup, Notice, Referral
from tests.kernelapp.models import Widget

pytestmark = pytest.mark.django_db


def test_demo_fills_every_rung_and_is_idempotent(make_widget, node):
    for username, code, role in (
        ("inspector", "C", Role.INSPECTOR),
        ("office", "C", Role.OFFICE),
        ("unit", "D05", Role.UNIT_HANDLER),
    ):
        user, _ = User.objects.get_or_create(username=username, defaults={"node": node(code)})
        user.roles.add(role)
    for _ in range(14):
        make_widget()
    for i in range(6):
        make_widget(state="done", requester_phone=f"1390000{i:04d}")
    demo.seed()
    levels = set(Widget.objects.values_list("escalation_level", flat=True))
    assert {1, 2, 3, 4, 5} <= levels
    assert Referral.objects.exists() and Notice.objects.filter(status="answered").exists()
    assert InspectionGroup.objects.get(name="第一巡回指导组").checks.count() == 1
    before = list(
        Widget.objects.order_by("pk").values_list("pk", "state", "deadline", "escalation_level")
    )
    notices = Notice.objects.count()
    demo.seed()
    assert (
        list(
            Widget.objects.order_by("pk").values_list("pk", "state", "deadline", "escalation_level")
        )
        == before
    )
    assert Notice.objects.count() == notices
