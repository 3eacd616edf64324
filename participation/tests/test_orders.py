"""群众点单、中心派单、志愿者接单: menu -> order -> dispatch -> accept/decline -> served -> rated."""

import pytest
from django.urls import reverse

from core.errors import InvalidInput, NotFound, PermissionDenied, WorkflowError
from orgs.models import Role
from participation import selectors, services
from participation.models import MenuItem, ServiceHours, VolunteerOrder
from tracking.models import Rating

pytestmark = pytest.mark.django_db


@pytest.fixture
def ordered(menu_item, node, verify):
    phone = verify("13500001111", services.PURPOSE_ORDER)
    return services.order_place_public(
        phone=phone, name="陈桂兰", menu_item=menu_item, village=node("T01V04"), needs="量血压"
    )


@pytest.fixture
def accepted(ordered, office, team, volunteer):
    order = services.order_dispatch(actor=office, order=ordered, team=team)
    return services.order_accept(actor=volunteer, order=order)


def test_menu_kept_by_centre(office, make_user, lecture):
    assert lecture.month.day == 1 and lecture.kind == "lecture"
    with pytest.raises(InvalidInput, match="月份"):
        services.menu_item_save(actor=office, kind="lecture", title="宣讲")
    with pytest.raises(PermissionDenied):
        services.menu_item_save(
            actor=make_user("T01V01", Role.GRID_WORKER), kind="service", title="x"
        )
    services.menu_item_withdraw(actor=office, item=lecture)
    assert not selectors.menu("lecture").exists()


def test_full_order_workflow(accepted, volunteer, team, client):
    order = services.order_serve(actor=volunteer, order=accepted, hours="2.5", attendees=12)
    assert order.state == "served" and order.hours == 2.5 and order.attendees == 12
    assert ServiceHours.objects.get(order=order).volunteer == volunteer
    order = services.order_rate_public(
        code=order.code, phone_tail="1111", value="satisfied", comment="很好"
    )
    assert order.state == "rated" and order.rating_satisfied == 1
    assert Rating.objects.get().rater_key and "13500001111" not in Rating.objects.get().rater_key
    [row] = selectors.team_hours()
    assert row["hours"] == 2.5 and row["orders"] == 1 and row["members"] == 1
    assert selectors.member_hours(team)[0]["hours"] == 2.5


def test_dispatch_by_office_only(ordered, team, volunteer, make_user):
    with pytest.raises(PermissionDenied):
        services.order_dispatch(actor=make_user("C", Role.UNIT_HANDLER), order=ordered, team=team)
    with pytest.raises(NotFound):  # a volunteer cannot even see an undispatched order
        services.order_dispatch(actor=volunteer, order=ordered, team=team)


def test_dispatch_needs_team(ordered, office):
    with pytest.raises(InvalidInput, match="志愿服务队"):
        services.order_dispatch(actor=office, order=ordered, team=None)
    ordered.refresh_from_db()
    assert ordered.state == "ordered"


def test_only_team_members_accept(ordered, office, team, make_user):
    order = services.order_dispatch(actor=office, order=ordered, team=team)
    outsider = make_user("T01V04", Role.VOLUNTEER)  # sees the village, not in the team
    with pytest.raises(PermissionDenied, match="承接队伍"):
        services.order_accept(actor=outsider, order=order)
    stranger = make_user("T04V01", Role.VOLUNTEER)
    with pytest.raises(NotFound):
        services.order_accept(actor=stranger, order=order)


def test_decline_needs_reason_then_redispatch(ordered, office, team, volunteer):
    order = services.order_dispatch(actor=office, order=ordered, team=team)
    with pytest.raises(InvalidInput):
        services.order_decline(actor=volunteer, order=order, note="")
    order = services.order_decline(actor=volunteer, order=order, note="没空")
    assert order.state == "declined"
    order = services.order_dispatch(actor=office, order=order, team=team)
    assert order.state == "dispatched"


def test_serve_refusals(accepted, volunteer, make_user):
    with pytest.raises(InvalidInput, match="服务时长"):
        services.order_serve(actor=volunteer, order=accepted, hours="0", attendees=1)
    with pytest.raises(InvalidInput, match="服务人数"):
        services.order_serve(actor=volunteer, order=accepted, hours="1", attendees="x")
    outsider = make_user("T01V02", Role.VOLUNTEER)
    with pytest.raises(InvalidInput, match="本队队员"):
        services.order_serve(
            actor=volunteer, order=accepted, hours="1", attendees=1, volunteers=[outsider]
        )
    assert not ServiceHours.objects.exists()
    accepted.refresh_from_db()
    assert accepted.state == "accepted"


def test_hours_per_member(accepted, office, team, volunteer, make_user):
    mate = make_user("T01V05", Role.VOLUNTEER)
    services.team_member_add(actor=office, team=team, user=mate)
    services.order_serve(
        actor=volunteer, order=accepted, hours="3", attendees=5, volunteers=[volunteer, mate]
    )
    hours = {r["member"].user_id: r["hours"] for r in selectors.member_hours(team)}
    assert hours == {volunteer.pk: 3, mate.pk: 3}
    assert selectors.team_hours()[0]["hours"] == 6
    assert selectors.volunteer_account(mate)["hours"] == 3


def test_rating_refusals(accepted, volunteer):
    with pytest.raises(WorkflowError, match="不能评价"):
        services.order_rate_public(code=accepted.code, phone_tail="1111", value="satisfied")
    order = services.order_serve(actor=volunteer, order=accepted, hours="1", attendees=1)
    with pytest.raises(NotFound):
        services.order_rate_public(code=order.code, phone_tail="9999", value="satisfied")
    with pytest.raises(InvalidInput):
        services.order_rate_public(code=order.code, phone_tail="1111", value="great")
    services.order_rate_public(code=order.code, phone_tail="1111", value="neutral")
    with pytest.raises(WorkflowError):
        services.order_rate_public(code=order.code, phone_tail="1111", value="satisfied")
    assert Rating.objects.count() == 1


def test_village_orders_and_rates(menu_item, make_user, node, office, team, volunteer):
    grid = make_user("T01V01", Role.GRID_WORKER)
    with pytest.raises(NotFound):
        services.order_place(actor=grid, menu_item=menu_item, village=node("T04V01"))
    order = services.order_place(actor=grid, menu_item=menu_item, village=node("T01V01"))
    assert order.orderer_kind == "village"
    order = services.order_dispatch(actor=office, order=order, team=team)
    order = services.order_accept(actor=volunteer, order=order)
    order = services.order_serve(actor=volunteer, order=order, hours=2, attendees=30)
    other_grid = make_user("T01V02", Role.GRID_WORKER)
    with pytest.raises(PermissionDenied):
        services.order_rate(actor=other_grid, order=order, value="satisfied")
    order = services.order_rate(actor=grid, order=order, value="satisfied", comment="好")
    assert order.state == "rated"


def test_order_needs_verified_phone(menu_item, node):
    with pytest.raises(PermissionDenied):
        services.order_place_public(
            phone="13500002222", name="x", menu_item=menu_item, village=node("T01V01")
        )
    assert not VolunteerOrder.objects.exists()


def test_public_order_and_track_over_http(client, menu_item, node, office, team, volunteer):
    url = reverse("participation:order-new", args=[menu_item.pk])
    client.post(url, {"phone": "13500003333", "action": "send_code"})
    from core import sms

    code = sms.last_code_for("13500003333")
    r = client.post(
        url,
        {"phone": "13500003333", "code": code, "name": "吴淑珍", "village": node("T02V02").pk},
    )
    order = VolunteerOrder.objects.get()
    assert order.code in r.content.decode()
    track = reverse("participation:order-track")
    assert (
        "查询码或手机号后四位不正确"
        in client.get(track, {"code": order.code, "tail": "0000"}).content.decode()
    )
    page = client.get(track, {"code": order.code, "tail": "3333"}).content.decode()
    assert "待派单" in page and "吴淑珍" not in page and "13500003333" not in page
    order = services.order_dispatch(actor=office, order=order, team=team)
    order = services.order_accept(actor=volunteer, order=order)
    services.order_serve(actor=volunteer, order=order, hours=1, attendees=1)
    r = client.post(track, {"code": order.code, "tail": "3333", "value": "satisfied"})
    assert "感谢您的评价" in r.content.decode()
    order.refresh_from_db()
    assert order.state == "rated"


def test_staff_dispatch_and_volunteer_accept_over_http(client, ordered, office, team, volunteer):
    client.force_login(office)
    page = client.get(reverse("participation:staff-orders")).content.decode()
    assert "义诊和健康咨询" in page
    client.post(
        reverse("participation:staff-order", args=[ordered.pk]),
        {"action": "dispatch", "team": team.pk},
    )
    client.force_login(volunteer)
    assert "义诊和健康咨询" in client.get(reverse("participation:me")).content.decode()
    url = reverse("participation:staff-order", args=[ordered.pk])
    client.post(url, {"action": "accept"})
    client.post(
        url, {"action": "serve", "hours": "2", "attendees": "3", "volunteers": [volunteer.pk]}
    )
    ordered.refresh_from_db()
    assert ordered.state == "served" and ordered.hours == 2
    # the volunteer's account shows the hours; the public page the team's
    assert "2.0" in client.get(reverse("participation:me")).content.decode()
    assert "测试志愿服务队" in client.get(reverse("participation:teams")).content.decode()


def test_public_menu_lists_lectures(client, menu_item, lecture):
    page = client.get(reverse("participation:menu")).content.decode()
    assert "党史学习教育专题宣讲" in page and "义诊和健康咨询" in page
    assert MenuItem.objects.count() == 2


def test_dispatch_redirect_stays_on_site(client, ordered, office, team):
    client.force_login(office)
    r = client.post(
        reverse("participation:staff-order", args=[ordered.pk]),
        {"action": "dispatch", "team": team.pk, "next": "https://evil.example/"},
    )
    assert r.status_code == 302 and r["Location"].startswith("/")
