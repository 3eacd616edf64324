"""Cases over the REST API: the services decide, access scopes every read, keys are
scoped to their subtree and their read/write right."""

from __future__ import annotations

import pytest
from django.test import Client

from cases.models import Case
from cases.services import case_intake
from orgs.models import Role
from tracking.models import PersonalDataAccess

pytestmark = pytest.mark.django_db


@pytest.fixture
def t01_case(make_user, node):
    grid = make_user("T01V01", Role.GRID_WORKER)
    (case,) = case_intake(
        actor=grid,
        channel="visit",
        items=[
            {
                "text": "村口路灯不亮",
                "place": node("T01V01").pk,
                "name": "张三",
                "phone": "13812341234",
                "address": "安乐庄3号",
            }
        ],
    )
    return case


@pytest.fixture
def t02_case(make_user, node):
    grid = make_user("T02V01", Role.GRID_WORKER)
    (case,) = case_intake(
        actor=grid, channel="visit", items=[{"text": "东城道路破损", "place": node("T02V01").pk}]
    )
    return case


def test_key_for_one_town_cannot_read_another_towns_cases(key_client, t01_case, t02_case):
    c = key_client("T01")
    listed = {row["id"] for row in c.get("/api/cases").json()["items"]}
    assert t01_case.pk in listed and t02_case.pk not in listed
    assert c.get(f"/api/cases/{t01_case.pk}").status_code == 200
    other = c.get(f"/api/cases/{t02_case.pk}")
    missing = c.get("/api/cases/987654321")
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()
    assert c.get(f"/api/cases/{t02_case.pk}/timeline").status_code == 404


def test_read_only_key_cannot_write(key_client, t01_case, node):
    c = key_client("T01", scope="read")
    for path, body in (
        ("/api/cases", {"text": "x", "place": "T01V01"}),
        (f"/api/cases/{t01_case.pk}/accept", {}),
    ):
        r = c.post(path, body, content_type="application/json")
        assert r.status_code == 403
        assert r.json() == {
            "code": "read_only_key",
            "message": "只读API密钥不能执行写操作",
            "fields": {},
        }
    assert Case.objects.get(pk=t01_case.pk).state == "submitted"
    assert Case.objects.count() == 1


def test_create_list_filter_and_walk_the_workflow(key_client, node):
    office = key_client("T01", scope="read_write", roles=[Role.OFFICE, Role.UNIT_HANDLER])
    r = office.post(
        "/api/cases",
        {"text": "小区垃圾清运不及时", "place": "T01V01", "category": None, "external_ref": "P-1"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["state"] == "submitted" and body["channel"] == "api"
    assert body["place"]["code"] == "T01V01" and "accept" in body["actions"]
    assert "address" not in body and "name" not in body and "phone" not in body
    case_id = body["id"]
    # filters
    assert [x["id"] for x in office.get("/api/cases?state=submitted").json()["items"]] == [case_id]
    assert office.get("/api/cases?state=closed").json()["items"] == []
    assert office.get("/api/cases?external_ref=P-1").json()["items"][0]["id"] == case_id
    assert office.get("/api/cases?q=垃圾").json()["items"][0]["id"] == case_id
    # the workflow through the services
    r = office.post(
        f"/api/cases/{case_id}/accept", {"note": "受理"}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["state"] == "accepted"
    r = office.post(
        f"/api/cases/{case_id}/dispatch", {"unit": "T01"}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["state"] == "dispatched"
    assert r.json()["owner_unit"]["code"] == "T01" and r.json()["deadline"]
    r = office.post(f"/api/cases/{case_id}/sign", {}, content_type="application/json")
    assert r.json()["state"] == "signed"
    r = office.post(
        f"/api/cases/{case_id}/reply", {"result": "已清运"}, content_type="application/json"
    )
    assert r.json()["state"] == "replied" and r.json()["result"] == "已清运"
    timeline = office.get(f"/api/cases/{case_id}/timeline").json()
    assert [e["action"] for e in timeline][-4:] == [
        "case.accept",
        "case.dispatch",
        "case.sign",
        "case.reply",
    ]
    assert timeline[-1]["actor"].startswith("接口：")


def test_refusals_come_from_the_services_as_json(key_client, t01_case):
    # a key without the office role cannot accept: the kernel's rule, not the API's
    handler = key_client("T01", scope="read_write", roles=[Role.GRID_WORKER])
    r = handler.post(f"/api/cases/{t01_case.pk}/accept", {}, content_type="application/json")
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"
    office = key_client("T01", scope="read_write", roles=[Role.OFFICE])
    r = office.post(
        f"/api/cases/{t01_case.pk}/decline", {"reason": "  "}, content_type="application/json"
    )
    assert r.status_code == 400
    assert r.json()["code"] == "invalid" and r.json()["fields"] == {
        "note": ["请填写不予受理的理由"]
    }
    assert (
        office.post(
            f"/api/cases/{t01_case.pk}/accept", {}, content_type="application/json"
        ).status_code
        == 200
    )
    r = office.post(f"/api/cases/{t01_case.pk}/accept", {}, content_type="application/json")
    assert r.status_code == 409
    assert (
        r.json()["code"] == "wrong_state" and r.json()["message"] == "当前状态为“已受理”，不能受理"
    )
    # a place outside the key's subtree
    r = office.post("/api/cases", {"text": "x", "place": "T02V01"}, content_type="application/json")
    assert r.status_code == 400 and r.json()["fields"]["place"] == ["只能登记本辖区内的诉求"]
    r = office.post("/api/cases", {"text": "x", "place": "NOPE"}, content_type="application/json")
    assert r.status_code == 400 and r.json()["fields"] == {"place": ["所在地不存在"]}
    r = office.post("/api/cases", {"place": "T01V01"}, content_type="application/json")
    assert r.status_code == 422 and r.json()["fields"] == {"text": ["此项必填"]}
    assert Case.objects.count() == 1


def test_idempotency_key(key_client):
    c = key_client("T01", scope="read_write", roles=[Role.GRID_WORKER])
    body = {"text": "重复提交测试", "place": "T01V01"}
    a = c.post(
        "/api/cases", body, content_type="application/json", headers={"Idempotency-Key": "abc"}
    )
    b = c.post(
        "/api/cases", body, content_type="application/json", headers={"Idempotency-Key": "abc"}
    )
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] == b.json()["id"]
    assert Case.objects.count() == 1


def test_contact_only_through_its_endpoint_and_logged(key_client, t01_case):
    office = key_client("T01", scope="read", roles=[Role.OFFICE])
    detail = office.get(f"/api/cases/{t01_case.pk}").json()
    assert (
        "13812341234" not in str(detail)
        and "张三" not in str(detail)
        and "安乐庄3号" not in str(detail)
    )
    r = office.get(f"/api/cases/{t01_case.pk}/contact?reason=回访核实")
    assert r.status_code == 200
    assert r.json() == {
        "name": "张三",
        "phone": "13812341234",
        "id_number": "",
        "address": "安乐庄3号",
    }
    log = PersonalDataAccess.objects.get()
    assert log.reason == "回访核实" and log.item_id == t01_case.pk
    # no role for contact data: refused, nothing logged
    plain = key_client("T01", scope="read")
    assert plain.get(f"/api/cases/{t01_case.pk}/contact").status_code == 403
    assert PersonalDataAccess.objects.count() == 1


def test_staff_session_sees_its_subtree(client, demo_user, t01_case, t02_case):
    client.force_login(demo_user("town2"))  # 南湖镇 (T04)
    assert client.get(f"/api/cases/{t01_case.pk}").status_code == 404
    client.force_login(demo_user("town"))  # 城关街道 (T01)
    assert client.get(f"/api/cases/{t01_case.pk}").status_code == 200


def test_session_writes_need_the_csrf_token(demo_user, t01_case):
    c = Client(enforce_csrf_checks=True)
    c.force_login(demo_user("town"))
    r = c.post(f"/api/cases/{t01_case.pk}/accept", {}, content_type="application/json")
    assert r.status_code == 403 and r.json()["code"] == "csrf_failed"
    c.get("/api/me")  # any page sets the cookie once get_token is used; fetch it
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    secret = _get_new_csrf_string()
    c.cookies["csrftoken"] = secret
    r = c.post(
        f"/api/cases/{t01_case.pk}/accept",
        {},
        content_type="application/json",
        headers={"X-CSRFToken": _mask_cipher_secret(secret)},
    )
    assert r.status_code == 200 and r.json()["state"] == "accepted"


def test_list_pages_by_cursor(key_client, make_user, node):
    grid = make_user("T01V01", Role.GRID_WORKER)
    case_intake(
        actor=grid,
        channel="forum",
        items=[{"text": f"座谈会意见{i}", "place": node("T01V01").pk} for i in range(5)],
    )
    c = key_client("T01")
    first = c.get("/api/cases?limit=2").json()
    second = c.get(f"/api/cases?limit=2&cursor={first['next_cursor']}").json()
    ids = [x["id"] for x in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == 4 and ids == sorted(ids, reverse=True)
