"""cases wired to textintel: search on the list page, indexing on intake,
suggestions with one-click category / dispatch / merge on the case page."""

import pytest
from django.urls import reverse

import textintel
from cases import services, textsearch
from cases.models import Case, State
from taxonomy.models import Category
from textintel import classify, duplicates
from textintel.tests.textgen import MessageGenerator
from tracking.models import TimelineEntry

pytestmark = pytest.mark.django_db

ROAD = "幸福村三组村口道路坑洼积水，雨天出行困难，希望尽快修补。"
ROAD_TRAD = "幸福村三組村口道路坑窪積水，雨天出行困難，希望儘快修補。"


@pytest.fixture(autouse=True)
def fresh_textintel(settings, tmp_path):
    settings.TEXTINTEL_DIR = tmp_path / "models"
    duplicates.reset()
    classify.forget_models()
    yield
    duplicates.reset()
    classify.forget_models()


@pytest.fixture
def trained(db):
    """Suggesters trained on generated messages labelled with the demo taxonomy."""
    cats = {c.name: c for c in Category.objects.select_related("default_unit")}
    msgs = [m for m in MessageGenerator(21).messages(900) if m["category"] in cats]
    textintel.train(
        "category",
        [m["text"] for m in msgs],
        [cats[m["category"]].pk for m in msgs],
        names={c.pk: c.name for c in cats.values()},
    )
    units = {m["category"]: cats[m["category"]].default_unit for m in msgs}
    textintel.train(
        "unit",
        [m["text"] for m in msgs],
        [units[m["category"]].pk for m in msgs],
        names={u.pk: u.name for u in units.values()},
    )
    return cats


def test_list_search_finds_two_character_words(client, office, submit):
    road = submit(text=ROAD)
    noise = submit(text="楼下烧烤店噪音扰民，夜里睡不着。")
    client.force_login(office)
    url = reverse("cases:list")
    page = client.get(url, {"q": "坑洼"}).content.decode()
    assert road.tracking_code in page and noise.tracking_code not in page
    page = client.get(url, {"q": "噪音"}).content.decode()
    assert noise.tracking_code in page and road.tracking_code not in page
    # a Traditional query finds the Simplified text
    page = client.get(url, {"q": "噪音擾民"}).content.decode()
    assert noise.tracking_code in page
    # characters that are not side by side do not match
    page = client.get(url, {"q": "坑音"}).content.decode()
    assert road.tracking_code not in page and noise.tracking_code not in page
    # the tracking code still works
    assert road.tracking_code in client.get(url, {"q": road.tracking_code}).content.decode()


def test_search_stays_in_scope(client, town_office, submit, node):
    mine = submit(text=ROAD)
    other = submit(text=ROAD.replace("幸福村", "红星村"), place=node("T04V01").pk)
    client.force_login(town_office)
    page = client.get(reverse("cases:list"), {"q": "坑洼"}).content.decode()
    assert mine.tracking_code in page and other.tracking_code not in page


def test_traditional_case_found_by_simplified_query(submit):
    case = submit(text=ROAD_TRAD)
    assert textintel.search_ids("case", "坑洼积水") == [case.pk]


def test_sync_indexes_cases_written_in_bulk(submit):
    case = submit(text=ROAD)
    textintel.remove_document("case", case.pk)  # as if written by a bulk path
    assert textintel.search_ids("case", "坑洼") == []
    assert textsearch.sync()["indexed"] == 1
    assert textintel.search_ids("case", "坑洼") == [case.pk]
    assert textsearch.sync() == {"indexed": 0, "areas": 0}


def test_case_page_shows_suggestions(client, office, submit, trained):
    original = submit(text=ROAD)
    repost = submit(text=ROAD_TRAD)
    client.force_login(office)
    page = client.get(reverse("cases:detail", args=[repost.pk])).content.decode()
    assert 'id="suggestions"' in page
    assert original.tracking_code in page  # the Simplified original, found from Traditional
    assert "合并到此件" in page
    detail = reverse("cases:detail", args=[original.pk])
    assert f'<a href="{detail}">{original.tracking_code}</a>' in page
    merge = reverse("cases:act", args=[repost.pk, "merge"])
    assert f'<form method="post" action="{merge}">' in page
    assert "采用" in page


def test_no_suggestions_for_unit_staff_or_after_triage(client, unit_user, office, submit, node):
    case = submit(text=ROAD)
    case = services.case_dispatch(actor=office, case=case, unit=node("D05"))
    client.force_login(unit_user)
    assert (
        'id="suggestions"'
        not in client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    )
    client.force_login(office)
    assert (
        'id="suggestions"'
        not in client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    )


def test_one_click_category(client, office, submit, trained):
    case = submit(text=ROAD)
    answer = textsearch.case_suggestions(office, text=case.text, place=case.place)
    top = answer["categories"][0]
    client.force_login(office)
    r = client.post(reverse("cases:act", args=[case.pk, "categorize"]), {"category": top["id"]})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.category_id == top["id"]
    entry = TimelineEntry.objects.filter(item_id=case.pk, action="case.categorize").get()
    assert top["name"] in entry.note


def test_categorize_refusals(client, office, unit_user, other_town_office, submit, node, category):
    case = submit(text=ROAD)
    client.force_login(office)
    r = client.post(reverse("cases:act", args=[case.pk, "categorize"]), {"category": "99999"})
    assert (
        r.status_code == 400
        and "分类不存在" in r.content.decode()
        or "请选择分类" in r.content.decode()
    )
    case.refresh_from_db()
    assert case.category_id is None
    with pytest.raises(Exception) as exc:
        services.case_categorize(actor=unit_user, case=case, category=category)
    assert type(exc.value).__name__ in ("PermissionDenied", "NotFound")
    done = services.case_dispatch(actor=office, case=case, unit=node("D05"))
    with pytest.raises(Exception) as exc:
        services.case_categorize(actor=office, case=done, category=category)
    assert type(exc.value).__name__ == "WorkflowError"
    done.refresh_from_db()
    assert done.category_id is None


def test_one_click_merge_into_duplicate(client, office, submit):
    original = submit(text=ROAD)
    repost = submit(text=ROAD_TRAD)
    dup = textsearch.case_suggestions(office, text=repost.text, exclude=repost.pk)["duplicates"]
    assert dup[0]["id"] == original.pk
    client.force_login(office)
    r = client.post(
        reverse("cases:act", args=[repost.pk, "merge"]), {"into": dup[0]["tracking_code"]}
    )
    assert r.status_code == 302
    repost.refresh_from_db()
    assert repost.state == State.MERGED and repost.merged_into_id == original.pk
    # a merged case is not offered as a duplicate any more
    again = textsearch.case_suggestions(office, text=ROAD, exclude=original.pk)["duplicates"]
    assert repost.pk not in [d["id"] for d in again]


def test_duplicates_outside_the_actors_scope_are_not_named(town_office, submit, node):
    other = submit(text=ROAD, place=node("T04V01").pk)
    answer = textsearch.case_suggestions(town_office, text=ROAD_TRAD)
    assert other.pk not in [d["id"] for d in answer["duplicates"]]
    assert Case.objects.filter(pk=other.pk).exists()


def test_training_sources_learn_from_handled_cases(office, submit, node, category):
    other = Category.objects.exclude(pk=category.pk).first()
    for i in range(4):
        c = submit(text=f"{i}号村道坑洼积水，路面破损", category=category.pk)
        services.case_dispatch(actor=office, case=c, unit=node("D05"))
        c = submit(text=f"{i}号楼养老补贴没发放，老人生活困难", category=other.pk)
        services.case_dispatch(actor=office, case=c, unit=node("D05"))
    submit(text="还在待受理的不算")
    data = textsearch.category_training()
    assert sorted(set(data.labels)) == sorted([category.pk, other.pk])
    assert len(data.texts) == 8
    assert data.names[category.pk] == category.name
    assert data.places[0][-1] == "T01V01"
    from textintel.jobs import train_all

    assert train_all()["category"]["labels"] == 2
    assert train_all()["category"] == "fresh"
    assert textintel.predict("category", "村道坑洼")[0]["id"] == category.pk


def test_triage_list_shows_each_rows_suggestions_and_accepts_in_one_click(
    client, office, submit, trained
):
    from textintel.models import StoredAnswer

    original = submit(text=ROAD)
    repost = submit(text=ROAD_TRAD)
    client.force_login(office)
    url = reverse("cases:triage")
    page = client.get(url).content.decode()
    assert f'id="case-{repost.pk}"' in page
    assert "采用“" in page and "ts-dispatch" in page
    assert original.tracking_code in page and "ts-merge" in page  # the repost's duplicate
    for name in ("categorize", "dispatch", "merge"):  # each row's forms post for that row
        action = reverse("cases:triage-act", args=[repost.pk, name])
        assert f'<form method="post" action="{action}">' in page
    detail = reverse("cases:detail", args=[original.pk])
    assert f'<a href="{detail}">{original.tracking_code}</a>' in page
    assert (
        f'<a class="small" href="{reverse("cases:detail", args=[repost.pk])}#suggestions">' in page
    )
    # computed once, then read from the store
    assert StoredAnswer.objects.filter(doc_id__in=[original.pk, repost.pk]).count() == 2
    stored = textsearch.triage_suggestions(office, [repost])[repost.pk]
    top = stored["categories"][0]
    assert [d["id"] for d in stored["duplicates"]] == [original.pk]
    r = client.post(
        reverse("cases:triage-act", args=[repost.pk, "categorize"]),
        {"category": top["id"], "next": url + "?sort=new"},
    )
    assert r.status_code == 302 and r["Location"] == url + "?sort=new"
    repost.refresh_from_db()
    assert repost.category_id == top["id"]
    assert TimelineEntry.objects.filter(item_id=repost.pk, action="case.categorize").exists()
    page = client.get(url).content.decode()
    assert "已采用分类" in page and "当前" in page
    # dispatch to a suggested unit, merge into a suggested duplicate
    unit = stored["units"][0]["id"]
    r = client.post(reverse("cases:triage-act", args=[original.pk, "dispatch"]), {"unit": unit})
    assert r.status_code == 302 and r["Location"] == url
    original.refresh_from_db()
    assert original.state == State.DISPATCHED and original.owner_unit_id == unit
    other = submit(text=ROAD.replace("希望", "恳请"))
    third = submit(text=ROAD_TRAD + "谢谢")
    r = client.post(
        reverse("cases:triage-act", args=[third.pk, "merge"]), {"into": other.tracking_code}
    )
    third.refresh_from_db()
    assert third.state == State.MERGED and third.merged_into_id == other.pk


def test_triage_one_click_refusals(client, office, unit_user, submit, node, category):
    case = submit(text=ROAD)
    client.force_login(unit_user)
    r = client.post(
        reverse("cases:triage-act", args=[case.pk, "categorize"]), {"category": category.pk}
    )
    assert r.status_code in (403, 404)
    client.force_login(office)
    done = services.case_dispatch(actor=office, case=case, unit=node("D05"))
    r = client.post(
        reverse("cases:triage-act", args=[done.pk, "categorize"]),
        {"category": category.pk, "next": "https://evil.example/"},
        follow=True,
    )
    assert "只有待受理或已受理待交办的诉求可以调整分类" in r.content.decode()
    assert r.redirect_chain[0][0] == reverse("cases:triage")
    done.refresh_from_db()
    assert done.category_id is None
    assert client.post(reverse("cases:triage-act", args=[done.pk, "accept"])).status_code == 404


def test_a_county_office_is_offered_its_own_countys_repeats_first(
    office, town_office, submit, node, other_county
):
    # The province holds many exact copies elsewhere, which this office may not see;
    # its own county's near copy must still come up (not be crowded out of the list).
    elsewhere = [submit(text=ROAD, place=node("ZV").pk) for _ in range(25)]
    own = submit(text="幸福村三组村口道路坑洼积水，雨天出行很困难。", place=node("T01V01").pk)
    found = [d["id"] for d in textsearch.case_suggestions(office, text=ROAD)["duplicates"]]
    assert own.pk in found
    assert not set(found) & {c.pk for c in elsewhere}
    # A town office below the county: the county's cases it may not see stay unnamed.
    other_town = submit(text=ROAD, place=node("T04V01").pk)
    found = [d["id"] for d in textsearch.case_suggestions(town_office, text=ROAD)["duplicates"]]
    assert own.pk in found and other_town.pk not in found


def test_area_head_is_the_county_and_says_who_heads_it(office, town_office, node):
    from orgs import access

    head, whole = access.area_head(office)
    assert head.pk == office.node_id and whole
    head, whole = access.area_head(town_office)
    assert head.pk == office.node_id and not whole
    assert access.covers(office, node("T04V01"))


def test_area_head_is_kept_but_a_tree_edit_is_seen_at_once(town_office, node, office):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orgs import access

    assert access.area_head(town_office)[0].pk == office.node_id
    with CaptureQueriesContext(connection) as queries:
        assert access.area_head(town_office)[0].pk == office.node_id
    assert len(queries) == 0  # kept, not asked again
    # the county is made a city: the town sits in no county's area any more
    county = office.node
    county.kind = "city"
    county.save()
    assert access.area_head(town_office) is None
