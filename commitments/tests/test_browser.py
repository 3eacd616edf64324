"""Browser journeys: a unit handler files a monthly report with a photo (phone); the office
accepts a completed item (desktop); the board and lists at both sizes."""

import pytest

from commitments.tests.conftest import PNG
from conftest import DESKTOP, PHONE
from orgs.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def _login(page, base, username):
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/staff/")


def _no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_unit_handler_files_monthly_report_with_photo(live_app, page_at, screenshot_dir, tmp_path):
    page = page_at(PHONE)
    _login(page, live_app, "unit")
    assert "待报送进度" in page.text_content("main")
    page.click("header nav >> text=进度报送")
    page.wait_for_url("**/commitments/reports/")
    page.screenshot(path=str(screenshot_dir / "commitments_reports_due_390.png"), full_page=True)
    _no_sideways_scroll(page)
    row = page.locator("tr", has_text="月度进度").first
    title = row.locator("td.title").text_content().strip()
    row.locator("a.btn").click()
    page.wait_for_selector("#id_narrative")
    picture = tmp_path / "施工现场.png"
    picture.write_bytes(PNG)
    page.fill("#id_percent", "65")
    page.fill("#id_narrative", "本月完成主体工程，累计完成65%。")
    page.fill("#id_problems", "部分资金尚未到位。")
    page.fill("#id_next_steps", "加快施工，确保按期完工。")
    page.set_input_files("#id_photos", str(picture))
    page.screenshot(path=str(screenshot_dir / "commitments_report_form_390.png"), full_page=True)
    page.click("main button[type=submit]")
    page.wait_for_selector(".notice.ok")
    body = page.text_content("main")
    assert "已报送，待单位负责人审核" in body
    assert "本月完成主体工程" in body and title in body
    assert page.locator(".photos img").count() == 1
    # the photo is served back (through the access check) and decodes as an image
    page.wait_for_function("document.querySelector('.photos img').complete")
    assert page.evaluate("document.querySelector('.photos img').naturalWidth") == 1
    page.screenshot(path=str(screenshot_dir / "commitments_report_filed_390.png"), full_page=True)
    _no_sideways_scroll(page)


def test_office_accepts_a_completed_item(live_app, page_at, screenshot_dir):
    page = page_at(DESKTOP)
    _login(page, live_app, "office")
    page.goto(live_app + "/commitments/items/?state=completed")
    page.locator("table.list tbody a").first.click()
    page.wait_for_selector("h1")
    assert "已完成" in page.text_content(".tag.s-completed")
    assert page.locator("text=完工照片.png").count() >= 1  # the claim's evidence
    page.screenshot(
        path=str(screenshot_dir / "commitments_detail_completed_1440.png"), full_page=True
    )
    page.click("button:has-text('验收通过')")
    page.wait_for_selector(".notice.ok")
    assert "已验收通过" in page.text_content(".notice.ok")
    assert page.text_content(".tag.s-accepted").strip() == "已验收"
    assert "验收通过" in page.text_content(".timeline")
    page.screenshot(
        path=str(screenshot_dir / "commitments_detail_accepted_1440.png"), full_page=True
    )


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_board_and_lists_at_both_sizes(live_app, page_at, screenshot_dir, viewport):
    page = page_at(viewport)
    _login(page, live_app, "office")
    page.click("header nav >> text=项目清单")
    page.click("text=2026年我为群众办实事项目清单")
    assert page.locator("table.list tbody tr").count() > 100
    w = viewport["width"]
    page.screenshot(path=str(screenshot_dir / f"commitments_programme_{w}.png"), full_page=True)
    _no_sideways_scroll(page)
    page.click(".tabs >> text=挂图作战")
    assert page.locator(".btile").count() > 100
    assert page.locator(".btile .star").count() == 10
    page.screenshot(path=str(screenshot_dir / f"commitments_board_{w}.png"), full_page=True)
    _no_sideways_scroll(page)
    page.click(".tabs >> text=整改清单")
    assert "领导班子检视问题" in page.text_content(".notice.info")
    page.screenshot(path=str(screenshot_dir / f"commitments_rectification_{w}.png"), full_page=True)
    _no_sideways_scroll(page)
    page.goto(live_app + "/commitments/reports/punctuality/")
    assert "按时报送率" in page.text_content("main")
    page.screenshot(path=str(screenshot_dir / f"commitments_punctuality_{w}.png"), full_page=True)
    _no_sideways_scroll(page)
