"""Inspection groups: what they see, reproducible spot checks, return visits, reopening."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput, NotFound, PermissionDenied, WorkflowError
from orgs import access
from orgs.models import Role
from supervision import selectors, services
from supervision.models import InspectionGroup, ReturnVisit, SpotCheckItem
from supervision.tests.test_ladder import entries
from tests.kernelapp.models import Widget
from tracking.models import PersonalDataAccess

from .conftest import KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def inspector(make_user):
    # staff of the county civilisation office (D21), seconded to an inspection group
    return make_user("D21", Role.INSPECTOR, username="t_inspector")


@pytest.fixture
def group(inspector, node):
    g = InspectionGroup.objects.create(name="第一巡回指导组")
    g.members.add(inspector)
    g.nodes.add(node("D05"), node("T01"))
    return g


@pytest.fixture
def finished(make_widget, node):
    """Finished widgets: 12 of D05, 5 of T01's village, 4 of another unit (D01)."""
    d05 = [
        make_widget(state="done", result="已办结", requester_phone=f"1380000{i:04d}")
        for i in range(12)
    ]
    t01 = [make_widget(state="closed", owner=node("T01V03"), place="T01V03") for _ in range(5)]
    other = [make_widget(state="done", owner=node("D01"), place="T04V01") for _ in range(4)]
    return d05, t01, other


def test_group_sees_its_units_items(group, inspector, finished, make_widget, node):
    d05, t01, other = finished
    seen = set(access.scope_tracked(inspector, Widget.objects.all()).values_list("pk", flat=True))
    assert {w.pk for w in d05 + t01} <= seen
    assert not seen & {w.pk for w in other}
    assert access.can_see_tracked(inspector, d05[0])
    assert not access.can_see_tracked(inspector, other[0])
    group.is_active = False
    group.save()
    assert not access.scope_tracked(inspector, Widget.objects.all()).exists()


def test_group_membership_without_inspector_role_grants_nothing(group, make_user, finished):
    clerk = make_user("D21", Role.UNIT_HANDLER)
    group.members.add(clerk)
    assert not access.scope_tracked(clerk, Widget.objects.all()).exists()


def test_same_seed_same_draw(group, inspector, finished):
    a = services.spot_check_draw(
        actor=inspector, group_id=group.pk, per_unit=3, seed="2026-11-抽查"
    )
    b = services.spot_check_draw(
        actor=inspector, group_id=group.pk, per_unit=3, seed="2026-11-抽查"
    )
    c = services.spot_check_draw(actor=inspector, group_id=group.pk, per_unit=3, seed="另一个种子")

    def drawn(check):
        return [(r.unit_id, r.item_id) for r in check.items.order_by("unit_id", "position")]

    assert drawn(a) == drawn(b)
    assert drawn(a) != drawn(c)
    assert len(drawn(a)) == 6  # three per unit, two units
    d05, t01, other = finished
    assert {pk for _u, pk in drawn(a)} <= {w.pk for w in d05 + t01}
    assert services.spot_check_replay(a) == {
        int(k): [[KEY, pk] for (_u, pk) in drawn(a) if _u == int(k)] for k in a.population
    }


def test_seed_is_recorded_when_left_blank(group, inspector, finished, client):
    client.force_login(inspector)
    resp = client.post(
        f"/supervision/groups/{group.pk}/", {"per_unit": "2", "seed": ""}, follow=True
    )
    page = resp.content.decode()
    check = group.checks.get()
    assert len(check.seed) == 12 and check.seed in page
    assert "结果一致" in page


def test_draw_refusals(group, inspector, make_user, finished):
    with pytest.raises(InvalidInput):
        services.spot_check_draw(actor=inspector, group_id=group.pk, per_unit=0)
    with pytest.raises(InvalidInput):
        services.spot_check_draw(actor=inspector, group_id=group.pk, per_unit=2, seed="x" * 65)
    stranger = make_user("D21", Role.INSPECTOR)
    with pytest.raises(NotFound):
        services.spot_check_draw(actor=stranger, group_id=group.pk, per_unit=2)
    with pytest.raises(PermissionDenied):
        services.spot_check_draw(
            actor=make_user("D05", Role.UNIT_HANDLER), group_id=group.pk, per_unit=2
        )
    assert not group.checks.exists()


def test_failed_check_reopens_with_the_finding(group, inspector, finished):
    check = services.spot_check_draw(actor=inspector, group_id=group.pk, per_unit=1, seed="s")
    row = check.items.first()
    with pytest.raises(InvalidInput):
        services.spot_check_record(
            actor=inspector, check_item_id=row.pk, result="failed", finding=""
        )
    services.spot_check_record(
        actor=inspector, check_item_id=row.pk, result="failed", finding="现场路灯仍不亮，照片系旧图"
    )
    item = Widget.objects.get(pk=row.item_id)
    assert item.state == "assigned"
    reopen = entries(item, "widget.reopen").get()
    assert "现场路灯仍不亮" in reopen.note and reopen.actor == inspector
    assert entries(item, "supervision.spot_check").get().data["seed"] == "s"
    with pytest.raises(WorkflowError):
        services.spot_check_record(actor=inspector, check_item_id=row.pk, result="passed")


def test_passed_check_leaves_the_item_finished(group, inspector, finished):
    check = services.spot_check_draw(actor=inspector, group_id=group.pk, per_unit=1, seed="s")
    row = check.items.first()
    services.spot_check_record(actor=inspector, check_item_id=row.pk, result="passed")
    item = Widget.objects.get(pk=row.item_id)
    assert item.state in ("done", "closed")
    assert SpotCheckItem.objects.get(pk=row.pk).result == "passed"


def test_call_list_masks_and_visit_logs_access(group, inspector, finished, client):
    d05, _t01, _other = finished
    rows = selectors.call_list(inspector, group)
    assert {r["item"].pk for r in rows} == {w.pk for w in d05}
    assert all("****" in r["phone"] for r in rows)
    client.force_login(inspector)
    page = client.get(f"/supervision/groups/{group.pk}/calls/").content.decode()
    assert "13800000000" not in page and "138****0000" in page
    visit = client.get(f"/supervision/groups/{group.pk}/calls/{KEY}/{d05[0].pk}/").content.decode()
    assert "13800000000" in visit
    assert PersonalDataAccess.objects.filter(actor=inspector, item_id=d05[0].pk).exists()


def test_unsatisfied_visit_reopens_the_case(group, inspector, finished, client):
    d05, _t01, _other = finished
    client.force_login(inspector)
    url = f"/supervision/groups/{group.pk}/calls/{KEY}/{d05[0].pk}/"
    bad = client.post(url, {"outcome": "unsatisfied", "note": ""})
    assert "不少于5个字" in bad.content.decode()
    assert not ReturnVisit.objects.exists()
    client.post(url, {"outcome": "unsatisfied", "note": "群众反映漏水问题仍未解决"})
    item = Widget.objects.get(pk=d05[0].pk)
    assert item.state == "assigned"
    assert "漏水问题仍未解决" in entries(item, "widget.reopen").get().note
    assert ReturnVisit.objects.get().group == group
    # a visited case leaves the call list
    assert d05[0].pk not in {r["item"].pk for r in selectors.call_list(inspector, group)}


def test_unreachable_and_satisfied_visits_do_not_reopen(group, inspector, finished):
    d05, _t01, _other = finished
    services.return_visit_record(
        actor=inspector, kind_key=KEY, item_id=d05[1].pk, outcome="unreachable"
    )
    services.return_visit_record(
        actor=inspector, kind_key=KEY, item_id=d05[2].pk, outcome="satisfied", note="很满意"
    )
    assert set(
        Widget.objects.filter(pk__in=[d05[1].pk, d05[2].pk]).values_list("state", flat=True)
    ) == {"done"}


def test_visit_refusals(group, inspector, finished, make_widget, make_user):
    d05, _t01, other = finished
    with pytest.raises(InvalidInput):
        services.return_visit_record(
            actor=inspector, kind_key=KEY, item_id=d05[0].pk, outcome="maybe"
        )
    open_item = make_widget()
    with pytest.raises(WorkflowError):
        services.return_visit_record(
            actor=inspector, kind_key=KEY, item_id=open_item.pk, outcome="satisfied"
        )
    with pytest.raises(NotFound):
        services.return_visit_record(
            actor=inspector, kind_key=KEY, item_id=other[0].pk, outcome="satisfied"
        )
    with pytest.raises(PermissionDenied):
        services.return_visit_record(
            actor=make_user("D05", Role.UNIT_HANDLER),
            kind_key=KEY,
            item_id=d05[0].pk,
            outcome="satisfied",
        )
    assert not ReturnVisit.objects.exists()


def test_group_pages(group, inspector, finished, client, make_user):
    client.force_login(inspector)
    assert "第一巡回指导组" in client.get("/supervision/groups/").content.decode()
    assert client.get(f"/supervision/groups/{group.pk}/").status_code == 200
    client.force_login(make_user("D21", Role.INSPECTOR))
    assert client.get(f"/supervision/groups/{group.pk}/").status_code == 404
    assert client.get(f"/supervision/groups/{group.pk}/calls/").status_code == 404
