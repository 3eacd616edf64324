"""Set-up pages through HTTP: health, login with lockout, staff and public home, password rules."""

import re

import pytest
from django.urls import reverse

from orgs.models import AdminAuditEntry, Role, User

pytestmark = pytest.mark.django_db


def test_healthz_touches_no_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"


def test_public_home_in_chinese(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "我为群众办实事" in response.content.decode()


def test_staff_home_requires_login(client):
    response = client.get(reverse("staff-home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_login_and_home_shows_node_and_roles(client, make_user):
    make_user("T01", Role.OFFICE, username="zhang", full_name="张明")
    response = client.post(reverse("login"), {"username": "zhang", "password": "Test@12345"})
    assert response.status_code == 302
    page = client.get(reverse("staff-home")).content.decode()
    assert "城关街道" in page and "办公室/指挥中心" in page and "张明" in page


def test_wrong_password_says_so_in_chinese(client, make_user):
    make_user("T01", Role.OFFICE, username="li")
    response = client.post(reverse("login"), {"username": "li", "password": "nope"})
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()


def test_lockout_after_repeated_failures(client, make_user, settings):
    make_user("T01", Role.OFFICE, username="wang")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "wang", "password": "bad"})
    response = client.post(reverse("login"), {"username": "wang", "password": "Test@12345"})
    assert response.status_code == 429
    assert "账号已锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_change_enforces_strength(client, make_user):
    user = make_user("T01", Role.OFFICE, username="zhao")
    client.force_login(user)
    weak = client.post(
        reverse("password_change"),
        {"old_password": "Test@12345", "new_password1": "abcdefgh", "new_password2": "abcdefgh"},
    )
    assert weak.status_code == 200 and "至少三类" in weak.content.decode()
    user.refresh_from_db()
    assert user.check_password("Test@12345")
    ok = client.post(
        reverse("password_change"),
        {
            "old_password": "Test@12345",
            "new_password1": "Xin#Mima2026",
            "new_password2": "Xin#Mima2026",
        },
    )
    assert ok.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Xin#Mima2026") and user.password_changed_at is not None


def test_session_times_out_when_idle(settings):
    assert settings.SESSION_COOKIE_AGE <= 1800 and settings.SESSION_SAVE_EVERY_REQUEST


def test_admin_changes_are_audited(client, node):
    admin = User.objects.get(username="admin")
    client.force_login(admin)
    category_url = reverse("admin:taxonomy_category_changelist")
    assert client.get(category_url).status_code == 200
    role = Role.objects.get(code=Role.OFFICE)
    response = client.post(
        reverse("admin:orgs_role_change", args=[role.pk]), {"code": role.code, "name": "指挥中心"}
    )
    assert response.status_code == 302
    entry = AdminAuditEntry.objects.get(object_type="orgs.Role")
    assert (
        entry.actor == admin and entry.action == "change" and entry.changes == {"name": "指挥中心"}
    )


def test_timeline_admin_offers_no_change_or_delete(client):
    client.force_login(User.objects.get(username="admin"))
    page = client.get(reverse("admin:tracking_timelineentry_changelist"))
    assert page.status_code == 200
    assert client.get(reverse("admin:tracking_timelineentry_add")).status_code == 403


def test_org_pages_are_scoped_to_the_subtree(client, make_user, node):
    client.force_login(make_user("T01", Role.OFFICE))
    home = client.get(reverse("org-node-home")).content.decode()
    assert "城关街道" in home and "第1网格" not in home  # villages listed, not grids
    assert client.get(reverse("org-node", args=[node("T01V02").pk])).status_code == 200
    other = client.get(reverse("org-node", args=[node("T04").pk]))
    missing = client.get(reverse("org-node", args=[987654321]))
    assert other.status_code == missing.status_code == 404
    # identical pages but for the per-request CSRF token
    strip = lambda r: re.sub(rb'value="[^"]{30,}"', b"", r.content)  # noqa: E731
    assert strip(other) == strip(missing)
