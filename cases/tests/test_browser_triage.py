"""The triage list in a real browser: each row's suggestions, one click to accept
a suggested category; screenshots on a phone and a desktop."""

from __future__ import annotations

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


def test_triage_one_click_category(live_app, page_at, screenshot_dir):
    # a resident files a broken street lamp under the wrong category
    phone = page_at(PHONE)
    phone.goto(live_app + "/submit/")
    phone.check("input[name=kind][value=complaint]")
    phone.fill("#text", "幸福小区3号楼前的路灯坏了一个多月，晚上老人出门很不安全，希望尽快修好。")
    phone.select_option("#town", label="城关街道")
    phone.wait_for_function("document.querySelectorAll('#place option').length > 1")
    phone.select_option("#place", index=1)
    phone.select_option("#category", label="社会治安")
    phone.fill("#name", "测试居民")
    phone.fill("#phone", "13955556667")
    phone.click("#submit-btn")
    phone.wait_for_selector("#tracking-code")
    code = phone.text_content("#tracking-code").strip()

    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = page_at(viewport)
        login(page, live_app, "office")
        page.goto(live_app + "/staff/cases/triage/?sort=new")
        page.wait_for_selector("td.triage-sugg")
        page.screenshot(path=str(screenshot_dir / f"triage_{name}.png"))
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    # one click on the suggested category: the row shows it as the case's own
    row = page.locator("tr", has=page.locator(f"text={code}"))
    assert row.locator("td.t-category").text_content().strip() == "社会治安"
    button = row.locator("button.ts-accept").first
    suggested = button.text_content().strip().removeprefix("采用“").removesuffix("”")
    assert suggested != "社会治安"
    button.click()
    page.wait_for_selector(".notice.ok")
    assert "已采用分类" in page.text_content(".notice.ok")
    row = page.locator("tr", has=page.locator(f"text={code}"))
    assert row.locator("td.t-category").text_content().strip() == suggested
    assert "当前" in row.locator("td.triage-sugg").text_content()
    page.screenshot(path=str(screenshot_dir / "triage_after_accept_phone.png"))
