"""Search pages in id windows, triage pages per state, and the public submission's
resend and done page: the same answers as the plain queries, page by page."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.urls import reverse

from cases import selectors, services
from cases.models import Case, State
from cases.selectors import CaseFilters
from orgs.models import OrgNode, Role

pytestmark = pytest.mark.django_db

ROAD = "村口道路坑洼积水，雨天出行困难，希望尽快修补。"
NOISE = "楼下烧烤店噪音扰民，夜里睡不着。"


def _plain(actor, f: CaseFilters, cursor: str = "") -> selectors.Page:
    """The one-query page (the full-text match as a filter of the whole table)."""
    qs = selectors._list_qs(selectors.filtered_cases(actor, f))
    return selectors.keyset_page(qs, sort=f.sort, cursor=cursor)


def _all_pages(fn) -> list[list[int]]:
    pages, cursor = [], ""
    while True:
        page = fn(cursor)
        pages.append([c.pk for c in page.rows])
        if not page.has_next:
            return pages
        cursor = page.next_cursor


@pytest.fixture
def many(submit, node):
    """Roads and noise in two towns, interleaved."""
    out = []
    for i in range(23):
        place = node("T01V01") if i % 3 else node("T04V01")
        out.append(submit(text=(ROAD if i % 2 else NOISE) + f"（{i}）", place=place.pk))
    return out


@pytest.mark.parametrize("sort", ["new", "old"])
@pytest.mark.parametrize("username", ["office", "town_office"])
def test_windowed_search_pages_equal_the_plain_query(
    many, office, town_office, monkeypatch, sort, username
):
    actor = {"office": office, "town_office": town_office}[username]
    # Tiny windows and pages: many windows per page, pages across windows.
    monkeypatch.setattr(selectors, "SEARCH_FIRST_WINDOW", 2)
    monkeypatch.setattr(selectors, "PAGE_SIZE", 4)
    for q in ("坑洼", "噪音擾民", "路", "无此词语"):
        f = CaseFilters(q=q, sort=sort)
        windowed = _all_pages(lambda c, f=f: selectors.case_list_page(actor, f, cursor=c))
        plain = _all_pages(lambda c, f=f: _plain(actor, f, cursor=c))
        assert windowed == plain, q
        found = {pk for page in windowed for pk in page}
        text = {"坑洼": ROAD, "路": ROAD, "噪音擾民": NOISE}.get(q)
        expected = {c.pk for c in many if text and c.text.startswith(text)}
        visible = set(selectors.staff_cases(actor).values_list("pk", flat=True))
        assert found == expected & visible, q


def test_windowed_search_keeps_other_filters(many, office, monkeypatch):
    monkeypatch.setattr(selectors, "SEARCH_FIRST_WINDOW", 3)
    first = many[1]  # a road case
    services.case_accept(actor=office, case=first)
    page = selectors.case_list_page(office, CaseFilters(q="坑洼", state=State.ACCEPTED))
    assert [c.pk for c in page.rows] == [first.pk]


def test_search_page_shows_matches_on_the_list(client, office, many):
    client.force_login(office)
    body = client.get(reverse("cases:list"), {"q": "坑洼"}).content.decode()
    roads = [c for c in many if "坑洼" in c.text]
    assert all(c.tracking_code in body for c in roads)
    assert not any(c.tracking_code in body for c in many if c not in roads)


@pytest.mark.parametrize("sort", ["old", "new"])
def test_triage_merges_both_states_in_order(many, office, monkeypatch, sort):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 5)
    for c in many[::4]:
        services.case_accept(actor=office, case=c)
    pages = _all_pages(lambda cur: selectors.triage_queue(office, cursor=cur, sort=sort))
    ids = [pk for page in pages for pk in page]
    waiting = Case.objects.filter(state__in=[State.SUBMITTED, State.ACCEPTED])
    expected = list(waiting.order_by("id" if sort == "old" else "-id").values_list("pk", flat=True))
    assert ids == expected
    assert all(len(p) <= 5 for p in pages)


def _form(node, **kw):
    return {
        "kind": "request",
        "place": node("T01V01").pk,
        "text": ROAD,
        "name": "张三丰",
        "phone": "13812341234",
        "intake_key": "resend-key-1",
        **kw,
    }


def test_resent_form_answers_with_the_same_case(client, node):
    first = client.post(reverse("cases:submit"), _form(node))
    again = client.post(reverse("cases:submit"), _form(node))
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert Case.objects.count() == 1
    # The same key from another phone is refused, and reveals nothing.
    other = client.post(reverse("cases:submit"), _form(node, phone="13999998888"))
    assert other.status_code == 400
    assert "该表单已提交过" in other.content.decode()
    assert Case.objects.get().tracking_code not in other.content.decode()


def test_done_page_only_for_the_submitting_browser(client, node):
    r = client.post(reverse("cases:submit"), _form(node))
    code = Case.objects.get().tracking_code
    assert client.get(r["Location"]).status_code == 200
    # a forged cookie (unsigned) or another code: sent to the follow page
    client.cookies["cases_last_code"] = code
    assert client.get(r["Location"]).status_code == 302
    r2 = client.post(reverse("cases:submit"), _form(node, intake_key="resend-key-2"))
    assert client.get(r["Location"]).status_code == 302  # the cookie now holds the new code
    assert client.get(r2["Location"]).status_code == 200


def test_form_shown_again_keeps_the_towns_villages(client, node):
    town, village = node("T01"), node("T01V01")
    r = client.post(reverse("cases:submit"), _form(node, town=town.pk, text=""))
    assert r.status_code == 400
    body = r.content.decode()
    assert f'value="{village.pk}" selected' in body


@pytest.fixture
def away(many, submit, node, other_county, demo_user):
    """Road cases in another county: one dispatched to a unit of the demo county, one
    with the demo county among its co-units, one the demo county does not see."""
    admin = demo_user("admin")
    owned = submit(text=ROAD + "（外县甲）", place=node("ZV").pk)
    owned = services.case_dispatch(actor=admin, case=owned, unit=node("D05"))
    shared = submit(text=ROAD + "（外县乙）", place=node("ZV").pk)
    shared.co_units.add(node("C"))
    hidden = submit(text=ROAD + "（外县丙）", place=node("ZV").pk)
    return owned, shared, hidden


@pytest.mark.parametrize("sort", ["new", "old"])
@pytest.mark.parametrize("username", ["office", "town_office", "unit_user"])
def test_search_by_area_finds_the_rows_of_the_whole_index(
    away, office, town_office, unit_user, monkeypatch, sort, username
):
    """PostgreSQL's search reads the actor's area from the index and tests the cases
    seen outside it row by row: the same pages as the whole index (both databases
    run both paths here)."""
    actor = {"office": office, "town_office": town_office, "unit_user": unit_user}[username]
    monkeypatch.setattr(selectors, "SEARCH_FIRST_WINDOW", 2)
    monkeypatch.setattr(selectors, "PAGE_SIZE", 4)
    for q in ("坑洼", "噪音擾民", "路", "无此词语"):
        for state in ("", State.DISPATCHED):
            f = CaseFilters(q=q, sort=sort, state=state)
            base = selectors._list_qs(selectors.filtered_cases(actor, replace(f, q="")))
            split = selectors.split_search_scope(actor, f)
            assert split is not None

            def by_area(c, q=q, base=base, split=split):
                return selectors.search_page(base, q, sort=sort, cursor=c, split=split)

            def whole(c, q=q, base=base):
                return selectors.search_page(base, q, sort=sort, cursor=c)

            pages = _all_pages(by_area)
            assert pages == _all_pages(whole) == _all_pages(lambda c, f=f: _plain(actor, f, c))
            assert pages == _all_pages(
                lambda c, f=f: selectors.case_list_page(actor, f, cursor=c)
            ), (q, state)
    # the other county's cases seen through a unit are found, the others not
    owned, shared, hidden = away
    base = selectors._list_qs(selectors.filtered_cases(actor, CaseFilters()))
    split = selectors.split_search_scope(actor, CaseFilters())
    pages = _all_pages(lambda c: selectors.search_page(base, "坑洼", cursor=c, split=split))
    found = {pk for page in pages for pk in page}
    assert (owned.pk in found) == (username != "town_office")
    assert (shared.pk in found) == (username == "office")
    assert hidden.pk not in found


def test_area_keys_follow_intake_imports_and_tree_moves(submit, node, other_county, make_user):
    from cases import textsearch
    from textintel.models import SearchDocument

    def area(case):
        return SearchDocument.objects.get(doc_type="case", doc_id=case.pk).area_key

    textsearch.sync()  # the tree as it is now
    case = submit(place=node("T04V01G1").pk)
    assert area(case) == node("C").pk
    # cases indexed in bulk (imports, catch-up) get theirs too
    SearchDocument.objects.filter(doc_id=case.pk).delete()
    assert textsearch.sync()["indexed"] == 1 and area(case) == node("C").pk
    SearchDocument.objects.filter(doc_id=case.pk).delete()
    textsearch.index_cases([case])  # a drain's batch, an import
    assert area(case) == node("C").pk
    # a village moved to the other county: the periodic sync moves its cases' keys
    OrgNode.objects.move(node("T04V01"), node("ZT"), "last-child")
    assert textsearch.sync()["areas"] == 1
    assert area(case) == other_county.pk
    assert textsearch.sync()["areas"] == 0
    there = make_user("ZC", Role.OFFICE)
    f = CaseFilters(q="坑洼")
    base = selectors._list_qs(selectors.filtered_cases(there, CaseFilters()))
    split = selectors.split_search_scope(there, f)
    assert [c.pk for c in selectors.search_page(base, "坑洼", split=split).rows] == [case.pk]
    assert [c.pk for c in selectors.case_list_page(there, f).rows] == [case.pk]


@pytest.mark.parametrize("sort", ["new", "old"])
def test_list_read_by_scope_pages_as_by_id(many, office, monkeypatch, sort):
    """A small scope's filtered list sorted unindexed (by_scope): the same pages."""
    monkeypatch.setattr(selectors, "PAGE_SIZE", 4)
    assert selectors.CaseFilters(state=State.SUBMITTED).filtered()
    assert not selectors.CaseFilters(q="路", sort="old").filtered()
    qs = selectors._list_qs(selectors.filtered_cases(office, CaseFilters(state=State.SUBMITTED)))

    def pages(by_scope):
        return _all_pages(
            lambda c: selectors.keyset_page(qs, sort=sort, cursor=c, by_scope=by_scope)
        )

    assert pages(True) == pages(False) and len(pages(False)) == 6


@pytest.mark.parametrize("state", [State.DISPATCHED, State.CLOSED])
def test_deadline_order_with_category_and_channel_filters(many, office, category, state):
    """An open state by deadline takes another plan (the filters kept out of the index
    choice): the same rows in the same order as filtering in Python."""
    import datetime as dt

    for i, case in enumerate(many):
        Case.objects.filter(pk=case.pk).update(
            state=state if i % 4 else State.SIGNED,
            category=category if i % 3 else None,
            channel="web" if i % 5 else "phone",
            deadline=dt.date(2026, 12, 1) + dt.timedelta(days=(i * 7) % 11),
        )
    f = CaseFilters(state=state, category=category.pk, channel="web", sort="deadline")
    got = [c.pk for c in selectors.case_list_page(office, f).rows]
    want = sorted(
        (
            c
            for c in Case.objects.all()
            if c.state == state and c.category_id == category.pk and c.channel == "web"
        ),
        key=lambda c: (c.deadline, c.pk),
    )
    assert got == [c.pk for c in want] and got
