"""The dashboard in a real browser: charts drawn by the vendored ECharts, no horizontal
scroll on a phone, a drill-down from a sentence number, a recorded activity."""

import pytest

from conftest import DESKTOP, PHONE
from orgs.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def _login(page, base, username="office"):
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/staff/")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_dashboard_draws_charts(live_app, page_at, screenshot_dir, viewport):
    page = page_at(viewport)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, live_app)
    page.click("header nav >> text=统计")
    page.wait_for_selector("#c-trend svg")
    assert page.locator(".chart svg").count() >= 4
    assert "收到诉求" in page.text_content(".fig-stats")
    page.screenshot(path=str(screenshot_dir / f"figures_dashboard_{viewport['width']}.png"))
    page.screenshot(
        path=str(screenshot_dir / f"figures_dashboard_{viewport['width']}_full.png"),
        full_page=True,
    )
    assert not errors
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    # a number in a sentence opens the records behind it
    page.locator(".sentence a.num").first.click()
    page.wait_for_load_state()
    assert page.locator("table.list").count() == 1
    page.screenshot(path=str(screenshot_dir / f"figures_drill_{viewport['width']}.png"))


def test_grid_worker_records_an_activity(live_app, page_at, screenshot_dir):
    page = page_at(PHONE)
    _login(page, live_app, "grid")
    page.goto(live_app + "/staff/figures/activities/new/")
    page.select_option("#f-kind", "forum")
    page.fill("#f-title", "浏览器测试座谈会")
    page.fill("#f-people", "18")
    page.fill("#f-prob", "5")
    page.fill("#f-sugg", "3")
    page.screenshot(path=str(screenshot_dir / "figures_activity_form_390.png"), full_page=True)
    page.click("main button[type=submit]")  # not the header's logout button
    page.wait_for_selector("text=活动已记录")
    assert "浏览器测试座谈会" in page.text_content("h1")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
