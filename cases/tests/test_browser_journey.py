"""The whole journey in a real browser: a resident submits on a phone, the centre
dispatches, the unit signs and replies, the resident rates. Screenshots at each step."""

from __future__ import annotations

import re

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


def open_case(page, base, code):
    page.goto(base + f"/staff/cases/?q={code}")
    page.click(f"text={code}")
    page.wait_for_selector("#case-state")


def test_resident_to_unit_and_back(live_app, page_at, screenshot_dir):
    shots = screenshot_dir
    # 1. the resident submits on a 390x844 phone
    phone = page_at(PHONE)
    phone.goto(live_app + "/submit/")
    phone.check("input[name=kind][value=complaint]")
    phone.fill("#text", "幸福小区3号楼前的路灯坏了一个多月，晚上老人出门很不安全，希望尽快修好。")
    phone.select_option("#town", label="城关街道")
    phone.wait_for_function("document.querySelectorAll('#place option').length > 1")
    phone.select_option("#place", index=1)
    phone.select_option("#category", label="城乡融合")
    phone.fill("#name", "测试居民")
    phone.fill("#phone", "13955556666")
    phone.screenshot(path=str(shots / "journey_1_submit_phone.png"), full_page=True)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    phone.click("#submit-btn")
    phone.wait_for_selector("#tracking-code")
    code = phone.text_content("#tracking-code").strip()
    assert re.fullmatch(r"[23456789A-HJ-NP-Z]{10}", code)
    phone.screenshot(path=str(shots / "journey_2_code_phone.png"), full_page=True)

    # 2. the centre dispatches to the category's default unit (住房和城乡建设局)
    office = page_at(DESKTOP)
    login(office, live_app, "office")
    open_case(office, live_app, code)
    assert office.text_content("#case-state").strip() == "待受理"
    assert "13955556666" not in office.text_content("body")
    assert (
        office.eval_on_selector("#dispatch-unit", "el => el.selectedOptions[0].textContent").strip()
        == "住房和城乡建设局"
    )
    office.screenshot(path=str(shots / "journey_3_office_case.png"), full_page=True)
    office.click("#dispatch-form button[type=submit]")
    office.wait_for_selector("text=操作成功")
    assert office.text_content("#case-state").strip() == "已交办"
    assert "剩余" in office.text_content("#deadline-label")

    # 3. the unit signs and replies
    unit = page_at(DESKTOP)
    login(unit, live_app, "unit")
    unit.goto(live_app + "/staff/cases/inbox/")
    assert code in unit.text_content("table.cases")
    unit.screenshot(path=str(shots / "journey_4_unit_inbox.png"), full_page=True)
    open_case(unit, live_app, code)
    unit.click("#sign-btn")
    unit.wait_for_selector("text=操作成功")
    assert unit.text_content("#case-state").strip() == "已签收"
    unit.fill("#reply-form textarea[name=note]", "已更换3号楼前损坏路灯2盏，经夜间查看照明正常。")
    unit.click("#reply-form button[type=submit]")
    unit.wait_for_selector("text=操作成功")
    assert unit.text_content("#case-state").strip() == "已办结"
    unit.screenshot(path=str(shots / "journey_5_unit_replied.png"), full_page=True)

    # 4. the resident follows with the code and the last four digits, and rates
    phone.goto(live_app + f"/follow/?code={code}")
    phone.fill("#last4", "6666")
    phone.click("button[type=submit]")
    phone.wait_for_selector("#case-state")
    assert phone.text_content("#case-state").strip() == "已办结"
    body = phone.text_content("body")
    assert "已更换3号楼前损坏路灯" in body
    assert "测试居民" not in body and "13955556666" not in body
    assert "测**" in body and "139****6666" in body
    phone.click("label.face.satisfied")
    phone.fill("#comment", "修得很快，谢谢！")
    phone.screenshot(path=str(shots / "journey_6_rate_phone.png"), full_page=True)
    phone.click(".rate-form button[type=submit]")
    phone.wait_for_selector("text=感谢您的评价")
    assert phone.text_content("#case-state").strip() == "已评价"
    phone.screenshot(path=str(shots / "journey_7_rated_phone.png"), full_page=True)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    # the centre sees the rating and may close the case
    open_case(office, live_app, code)
    assert office.text_content("#case-state").strip() == "已评价"
    assert "满意 1" in office.text_content("body")
