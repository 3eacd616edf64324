"""POST /api/suggestions/ and learning from imported cases (import -> train_suggesters)."""

import csv
import json

import pytest
from django.core.management import call_command

from api import importer
from api.services import cases_import
from cases import services as case_services
from cases.models import Case
from orgs.models import Role
from taxonomy.models import Category
from textintel import classify, duplicates
from textintel.tests.textgen import MessageGenerator

pytestmark = pytest.mark.django_db
URL = "/api/suggestions/"
HEADER = ["编号", "标题", "内容", "分类", "承办单位", "地点", "来电时间", "状态", "答复"]
BEES = [
    "的蜂箱被人偷走了，养蜂户损失很大",
    "蜜蜂成群死亡，怀疑附近果园打药",
    "的土蜂蜜卖不出去，想找销路",
    "养蜂场被洪水冲了，蜂群损失",
]


@pytest.fixture(autouse=True)
def fresh_textintel(settings, tmp_path):
    settings.TEXTINTEL_DIR = tmp_path / "models"
    duplicates.reset()
    classify.forget_models()
    yield
    duplicates.reset()
    classify.forget_models()


@pytest.fixture
def ledger(tmp_path, node):
    """Last year's ledger: generated handled cases, plus one category (产业帮扶)
    whose cases are all about bees."""
    cats = {c.name: c for c in Category.objects.select_related("default_unit")}
    bee_cat = cats["产业帮扶"]
    village = node("T01V01")
    rows = []
    for i, m in enumerate(MessageGenerator(31).messages(400)):
        if m["category"] == bee_cat.name:
            continue
        cat = cats[m["category"]]
        rows.append(
            [
                f"L{i:05d}",
                "",
                m["text"],
                cat.name,
                cat.default_unit.name,
                village.name,
                "2025-05-01 09:00",
                "已办结",
                "已办理",
            ]
        )
    for i in range(24):
        rows.append(
            [
                f"B{i:05d}",
                "",
                f"{village.name}{i + 1}组{BEES[i % 4]}",
                bee_cat.name,
                bee_cat.default_unit.name,
                village.name,
                "2025-06-01 09:00",
                "已办结",
                "已办理",
            ]
        )
    path = tmp_path / "ledger.csv"
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)
    return path, bee_cat


def test_imported_cases_teach_the_suggesters(
    ledger, node, make_user, django_capture_on_commit_callbacks, client, office
):
    path, bee_cat = ledger
    plan = importer.check_file(path, node=node("C"), source="台账")
    assert plan.ok, plan.errors[:3]
    with django_capture_on_commit_callbacks(execute=True):
        cases_import(actor=office, plan=plan, node=node("C"))
    # the import listener indexed the cases for search and duplicates
    client.force_login(office)
    r = client.post(URL, {"text": "1組的蜂箱被人偷走了"}, content_type="application/json")
    assert r.status_code == 200
    assert r.json()["categories"] == []  # not trained yet
    assert r.json()["duplicates"][0]["external_ref"] == "B00000"
    call_command("train_suggesters", stdout=open("/dev/null", "w"))
    r = client.post(URL, {"text": "我家蜂箱被偷，蜜蜂也跑了"}, content_type="application/json")
    body = r.json()
    assert body["categories"][0]["id"] == bee_cat.pk
    assert body["categories"][0]["name"] == "产业帮扶"
    assert body["units"][0]["id"] == bee_cat.default_unit_id


def test_answer_shape_and_traditional_duplicate(client, office, node):
    original = case_services.case_submit_public(
        text="人民路88号路灯坏了一个多月，晚上出行很不安全。",
        kind="request",
        place=node("T01V01").pk,
        name="张三",
        phone="13812341234",
    )
    client.force_login(office)
    r = client.post(
        URL,
        {"text": "人民路88號路燈壞了一個多月，晚上出行很不安全", "place": node("T01V01").pk},
        content_type="application/json",
    )
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"categories", "units", "duplicates"}
    dup = body["duplicates"][0]
    assert set(dup) == {"id", "tracking_code", "external_ref", "score", "state"}
    assert dup["id"] == original.pk and dup["tracking_code"] == original.tracking_code
    assert dup["state"] == "submitted" and 0.5 < dup["score"] <= 1.0


def test_read_only_key_may_ask(key_client, node):
    c = key_client("T01", scope="read", roles=[Role.OFFICE])
    r = c.post(URL, {"text": "路灯坏了"}, content_type="application/json")
    assert r.status_code == 200
    assert set(r.json()) == {"categories", "units", "duplicates"}


def test_duplicates_stay_in_the_callers_scope(key_client, node):
    other = case_services.case_submit_public(
        text="红星村水厂宿舍自来水发黄浑浊，烧开还有沉淀。",
        kind="request",
        place=node("T04V01").pk,
        name="李四",
        phone="13812345678",
    )
    mine = key_client("T01", scope="read", roles=[Role.OFFICE])
    r = mine.post(URL, {"text": other.text}, content_type="application/json")
    assert other.pk not in [d["id"] for d in r.json()["duplicates"]]
    theirs = key_client("T04", scope="read", roles=[Role.OFFICE])
    r = theirs.post(URL, {"text": other.text}, content_type="application/json")
    assert other.pk in [d["id"] for d in r.json()["duplicates"]]


def test_refusals(client, office, key_client, node):
    r = client.post(URL, {"text": "路灯坏了"}, content_type="application/json")
    assert r.status_code == 401  # no session, no key
    client.force_login(office)
    r = client.post(URL, {"text": ""}, content_type="application/json")
    assert r.status_code == 422
    r = client.post(URL, {"text": "   "}, content_type="application/json")
    assert r.status_code == 400 and r.json()["fields"]["text"] == ["请填写诉求内容"]
    town = key_client("T01", scope="read", roles=[Role.OFFICE])
    r = town.post(
        URL, {"text": "路灯坏了", "place": node("T04V01").pk}, content_type="application/json"
    )
    assert r.status_code == 400 and "所在地不存在" in r.json()["message"]
    r = client.post(URL, data="not json", content_type="application/json")
    assert r.status_code in (400, 422)
    assert not Case.objects.exists()


def test_suggest_batch_command(tmp_path, node):
    original = case_services.case_submit_public(
        text="幸福村三组村口道路坑洼积水，雨天出行困难。",
        kind="request",
        place=node("T01V01").pk,
        name="张三",
        phone="13812341234",
    )
    src = tmp_path / "in.jsonl"
    src.write_text(
        "\n".join(
            json.dumps(x, ensure_ascii=False)
            for x in [
                {"ref": "H1", "text": "幸福村三組村口道路坑窪積水"},
                {"ref": "H2", "text": "办证难"},
            ]
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    call_command("suggest_batch", str(src), str(out), stdout=open("/dev/null", "w"))
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["ref"] for x in lines] == ["H1", "H2"]
    assert lines[0]["duplicates"][0]["tracking_code"] == original.tracking_code
    assert set(lines[1]) == {"ref", "categories", "units", "duplicates"}
