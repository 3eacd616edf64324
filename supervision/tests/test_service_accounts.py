"""An API key acts through its own service user; the ladder never notifies it."""

from __future__ import annotations

import pytest

from api.services import apikey_create
from orgs import access
from orgs.models import OrgNode, Role, User
from supervision import jobs
from supervision.models import Notification

from .conftest import TODAY, days_ago

pytestmark = pytest.mark.django_db


def test_overdue_item_notifies_people_not_api_key_users(make_widget, handler, discipline):
    admin = User.objects.get(username="admin")
    key, _raw = apikey_create(
        actor=admin,
        name="对接住建局",
        node=OrgNode.objects.get(code="D05"),
        scope="read_write",
        roles=[Role.UNIT_HANDLER, Role.UNIT_HEAD],
    )
    service_user = key.user
    assert service_user.is_service_account
    w = make_widget(deadline=days_ago(80))  # far overdue: every rung up to referral
    jobs.run_all(TODAY)
    assert Notification.objects.filter(recipient=handler, item_id=w.pk).exists()
    assert Notification.objects.filter(recipient=discipline, item_id=w.pk).exists()
    assert not Notification.objects.filter(recipient=service_user).exists()
    people = access.staff_of([OrgNode.objects.get(code="D05")], Role.UNIT_HANDLER)
    assert handler in people and service_user not in people
