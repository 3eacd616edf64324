"""Browser journeys on a phone: vote in a comparison, rate a finished item; axe-core
(vendored, injected by Playwright) on every public page; screenshots at 390x844."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
PUBLIC_PAGES = [
    "/",
    "/board/",
    "/board/?status=in_progress",
    "/board/units/",
    "/board/cases/",
    "/wall/",
    "/polls/",
    "/wishes/",
    "/wishes/?tab=fulfilled",
    "/wishes/new/",
    "/volunteer/",
    "/volunteer/track/",
    "/volunteer/teams/",
]


def _code(page) -> str:
    text = page.text_content("[role=status]")
    return re.search(r"验证码：(\d{6})", text).group(1)


def _first_link(page, url: str, selector: str) -> str:
    page.goto(url)
    return page.get_attribute(selector, "href")


def test_resident_votes_on_a_phone(live_app, page_at, screenshot_dir):
    page = page_at(PHONE)
    page.goto(live_app + "/polls/")
    page.click(".items li:has(.tag.ok) h3 a")
    page.wait_for_selector("#vote-form")
    page.screenshot(path=str(screenshot_dir / "poll_390.png"), full_page=True)
    before = int(re.search(r"共 (\d+) 人参与", page.text_content("#poll-results")).group(1))
    page.check("#vote-form input[name=option] >> nth=1")
    page.fill("#f-phone", "13987650001")
    page.click("text=获取验证码")
    page.fill("#f-code", _code(page))
    # the chosen option survives the code round trip
    assert page.is_checked("#vote-form input[name=option] >> nth=1")
    page.click("button:has-text('投票')")
    assert "投票成功" in page.text_content("[role=status]")
    after = int(re.search(r"共 (\d+) 人参与", page.text_content("#poll-results")).group(1))
    assert after == before + 1
    # the same phone again is refused
    page.goto(page.url)
    page.check("#vote-form input[name=option] >> nth=0")
    page.fill("#f-phone", "13987650001")
    page.fill("#f-code", "")
    page.click("button:has-text('投票')")
    assert "已在本次比选中投过票" in page.text_content("[role=alert]")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_resident_rates_a_finished_project(live_app, page_at, screenshot_dir):
    page = page_at(PHONE)
    page.goto(live_app + "/wall/")
    page.screenshot(path=str(screenshot_dir / "wall_390.png"), full_page=True)
    # a finished project from the board: its public page, then the three faces
    page.goto(live_app + "/board/?status=accepted")
    page.click(".board-list li h3 a >> nth=0")
    title = page.text_content("h1").strip()
    page.screenshot(path=str(screenshot_dir / "commitment_390.png"), full_page=True)
    before = int(re.search(r"满意 (\d+)", page.text_content(".faces")).group(1))
    page.click("text=我来评价")
    page.click("label[for=rate-satisfied]")
    page.fill("#f-comment", "办得好，谢谢！")
    page.fill("#f-phone", "13987650002")
    page.click("text=获取验证码")
    assert page.is_checked("#rate-satisfied")
    page.fill("#f-code", _code(page))
    page.click("button:has-text('提交评价')")
    assert "感谢您的评价" in page.text_content("[role=status]")
    after = int(re.search(r"满意 (\d+)", page.text_content(".faces")).group(1))
    assert after == before + 1 and title in page.text_content("h1")


def test_wishes_list_screenshot(live_app, page_at, screenshot_dir):
    page = page_at(PHONE)
    page.goto(live_app + "/wishes/")
    counts = page.locator(".counts .n").all_text_contents()
    assert len(counts) == 3 and all(int(c) > 0 for c in counts)
    page.screenshot(path=str(screenshot_dir / "wishes_390.png"), full_page=True)
    page.goto(live_app + "/board/")
    page.screenshot(path=str(screenshot_dir / "board_390.png"), full_page=True)


def test_board_weighs_under_300_kb(live_app, page_at):
    page = page_at(PHONE)
    sizes: dict[str, int] = {}

    def record(response):
        if response.request.resource_type != "image":
            try:
                sizes[response.url] = len(response.body())
            except Exception:  # redirects have no body
                sizes[response.url] = 0

    page.on("response", record)
    page.goto(live_app + "/board/", wait_until="networkidle")
    total = sum(sizes.values())
    assert 0 < total < 300 * 1024, sizes


def _detail_pages(page, base: str) -> list[str]:
    out = []
    for url, sel in [
        ("/board/", ".board-list h3 a"),
        ("/polls/", ".items h3 a"),
        ("/wishes/?tab=fulfilled", ".items h3 a"),
        ("/volunteer/", ".items .btn"),
        ("/wall/", ".items .btn"),
    ]:
        out.append(_first_link(page, base + url, sel))
    return out


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large-text"])
def test_axe_no_serious_violations(live_app, page_at, large):
    page = page_at(PHONE)
    pages = PUBLIC_PAGES + _detail_pages(page, live_app)
    if large:
        page.goto(live_app + "/")
        page.evaluate("localStorage.setItem('largeText', '1')")
    failures = []
    for path in pages:
        page.goto(live_app + path)
        if large:
            assert page.evaluate("document.documentElement.classList.contains('large-text')")
            # large text keeps the layout: nothing runs off the side of a phone
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (
                path
            )
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".filter(v => ['serious', 'critical'].includes(v.impact))"
            ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))"
        )
        failures += [f"{path} {v}" for v in result]
    assert not failures, "\n".join(failures)


def test_keyboard_reaches_vote_button(live_app, page_at):
    page = page_at(DESKTOP)
    page.goto(live_app + "/polls/")
    page.click(".items li:has(.tag.ok) h3 a")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "投票":
            break
    else:
        pytest.fail("the vote button is not reachable by keyboard")
