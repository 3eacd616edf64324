"""A first browser journey: log in on a phone and on a desktop, see the staff home."""

import pytest

from conftest import DESKTOP, PHONE
from orgs.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_login_and_see_home(live_app, page_at, screenshot_dir, viewport):
    page = page_at(viewport)
    page.goto(live_app + "/")
    assert "我为群众办实事" in page.text_content("h1")
    page.screenshot(
        path=str(screenshot_dir / f"public_home_{viewport['width']}.png"), full_page=True
    )
    page.click("text=工作人员登录")
    page.fill("#id_username", "office")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/staff/")
    assert page.text_content("h1") == "工作台"
    body = page.text_content("body")
    assert "示范县" in body and "办公室/指挥中心" in body
    page.screenshot(
        path=str(screenshot_dir / f"staff_home_{viewport['width']}.png"), full_page=True
    )
    # no horizontal scroll on either size
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_wrong_password_message(live_app, page_at):
    page = page_at(PHONE)
    page.goto(live_app + "/accounts/login/")
    page.fill("#id_username", "office")
    page.fill("#id_password", "wrong-password")
    page.click("button[type=submit]")
    assert "用户名或密码错误" in page.text_content("[role=alert]")
