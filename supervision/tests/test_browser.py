"""Browser journeys over the seeded demo: the office's board, a unit answering a notice,
discipline inspection's referral list."""

import pytest

from conftest import DESKTOP, PHONE
from orgs.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def login(page, base, username):
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/staff/")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_board_shows_every_rung(live_app, page_at, screenshot_dir, viewport):
    page = page_at(viewport)
    login(page, live_app, "office")
    page.goto(live_app + "/supervision/")
    assert page.text_content("h1") == "督办看板"
    counts = page.eval_on_selector_all(".rung .n", "els => els.map(e => +e.textContent)")
    assert len(counts) == 5 and all(n > 0 for n in counts)  # the demo fills every rung
    page.screenshot(
        path=str(screenshot_dir / f"supervision_board_{viewport['width']}.png"), full_page=True
    )
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.click(".rung5")
    page.wait_for_url("**level=5")
    assert "移送纪委" in page.text_content("table.list.stack")


def test_unit_answers_a_notice_on_a_phone(live_app, page_at, screenshot_dir):
    page = page_at(PHONE)
    login(page, live_app, "town")
    assert "通知" in page.text_content("header")
    page.goto(live_app + "/supervision/notices/")
    page.click("table.list a >> nth=0")
    page.fill("#answer", "已召开专题会研究，落实专人负责，本月底前完成整改并报送佐证材料。")
    page.screenshot(path=str(screenshot_dir / "supervision_notice_390.png"), full_page=True)
    page.click("text=提交书面答复")
    assert "书面答复已提交" in page.text_content("[role=status]")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_discipline_sees_referrals_only(live_app, page_at, screenshot_dir):
    page = page_at(DESKTOP)
    login(page, live_app, "discipline")
    page.goto(live_app + "/supervision/referrals/")
    assert page.locator("text=下载材料（Word）").count() > 0
    page.screenshot(path=str(screenshot_dir / "supervision_referrals_1440.png"), full_page=True)
    response = page.goto(live_app + "/supervision/")
    assert response.status == 403
