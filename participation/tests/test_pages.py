"""Staff and public pages render for the right people and refuse the others."""

import pytest
from django.urls import reverse

from orgs.models import Role

pytestmark = pytest.mark.django_db

PUBLIC = [
    "participation:board",
    "participation:wall",
    "participation:polls",
    "participation:wishes",
    "participation:wish-new",
    "participation:menu",
    "participation:order-track",
    "participation:teams",
    "participation:units",
]


@pytest.mark.parametrize("name", PUBLIC)
def test_public_pages_need_no_login(client, name):
    r = client.get(reverse(name))
    assert r.status_code == 200
    assert '<html lang="zh-CN">' in r.content.decode()


def test_public_nav_lists_participation(client):
    page = client.get("/").content.decode()
    for label in ("晒清单", "民生实事墙", "网络比选", "微心愿", "志愿服务"):
        assert label in page


@pytest.mark.parametrize(
    "name",
    ["participation:staff-wishes", "participation:staff-orders", "participation:staff-polls"],
)
def test_staff_pages_need_login(client, name):
    r = client.get(reverse(name))
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_office_sees_staff_pages_and_panels(client, office, team, menu_item):
    client.force_login(office)
    for name in (
        "participation:staff-wishes",
        "participation:staff-orders",
        "participation:staff-polls",
        "participation:staff-menu",
        "participation:staff-wish-new",
        "participation:staff-order-new",
    ):
        assert client.get(reverse(name)).status_code == 200, name
    home = client.get(reverse("staff-home")).content.decode()
    assert "待审核微心愿" in home and "待派志愿服务单" in home


def test_volunteer_refused_office_pages(client, volunteer, team):
    client.force_login(volunteer)
    assert client.get(reverse("participation:staff-polls")).status_code == 403
    assert client.get(reverse("participation:staff-menu")).status_code == 403
    assert client.get(reverse("participation:me")).status_code == 200
    assert "待接/待服务订单" in client.get(reverse("staff-home")).content.decode()


def test_grid_worker_has_no_volunteer_account(client, make_user):
    client.force_login(make_user("T01V01", Role.GRID_WORKER))
    assert client.get(reverse("participation:me")).status_code == 403


def test_menu_kept_over_http(client, office, team):
    client.force_login(office)
    url = reverse("participation:staff-menu")
    client.post(
        url, {"action": "add", "kind": "lecture", "title": "民法典宣讲", "month": "2026-12"}
    )
    from participation.models import MenuItem

    item = MenuItem.objects.get(title="民法典宣讲")
    assert str(item.month) == "2026-12-01"
    r = client.post(url, {"action": "add", "kind": "lecture", "title": "无月份"}, follow=True)
    assert "宣讲须注明月份" in r.content.decode()
    client.post(url, {"action": "withdraw", "item": item.pk})
    item.refresh_from_db()
    assert not item.is_active
