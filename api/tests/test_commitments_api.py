"""Commitments and progress reports over the REST API, through the commitments services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from commitments.models import Commitment, Programme, ProgressReport, ReportKind
from orgs.models import OrgNode, Role

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def programme(db):
    return Programme.objects.create(name="2026年接口测试清单", year=2026)


def body(programme, **extra):
    return {
        "programme": programme.pk,
        "title": "老旧小区改造",
        "tasks": "改造供排水",
        "owner_unit": "D05",
        "deadline": "2026-12-31",
        "target_quantity": "36",
        "target_unit": "个小区",
        **extra,
    }


def test_commitment_lifecycle_over_the_api(key_client, programme):
    office = key_client("C", scope="read_write", roles=[Role.OFFICE])
    unit = key_client("D05", scope="read_write", roles=[Role.UNIT_HANDLER, Role.UNIT_HEAD])
    inspector = key_client("C", scope="read_write", roles=[Role.INSPECTOR])
    r = office.post("/api/commitments", body(programme), content_type="application/json")
    assert r.status_code == 201, r.content
    item = r.json()
    assert item["state"] == "draft" and item["owner_unit"]["code"] == "D05"
    assert item["target_quantity"] == "36.00" and "publish" in item["actions"]
    cid = item["id"]
    assert (
        office.post(f"/api/commitments/{cid}/publish", {}, content_type="application/json").json()[
            "state"
        ]
        == "published"
    )
    assert (
        unit.post(f"/api/commitments/{cid}/start", {}, content_type="application/json").json()[
            "state"
        ]
        == "in_progress"
    )
    # completion needs evidence: the service's rule, answered as JSON
    r = unit.post(f"/api/commitments/{cid}/complete", {"note": "已完成"})
    assert r.status_code == 400 and r.json()["fields"] == {"evidence": ["请上传佐证材料"]}
    r = unit.post(
        f"/api/commitments/{cid}/complete",
        {
            "note": "36个小区全部完工",
            "evidence": [SimpleUploadedFile("现场.png", PNG, content_type="image/png")],
        },
    )
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "completed" and r.json()["progress_percent"] == 100
    r = inspector.post(f"/api/commitments/{cid}/accept", {}, content_type="application/json")
    assert r.json()["state"] == "accepted"
    assert (
        office.post(f"/api/commitments/{cid}/close", {}, content_type="application/json").json()[
            "state"
        ]
        == "closed"
    )
    actions = [e["action"] for e in office.get(f"/api/commitments/{cid}/timeline").json()]
    assert actions == [
        "commitment.create",
        "commitment.publish",
        "commitment.start",
        "commitment.complete",
        "commitment.accept",
        "commitment.close",
    ]
    listed = office.get(f"/api/commitments?programme={programme.pk}&state=closed").json()["items"]
    assert [x["id"] for x in listed] == [cid]
    assert office.get("/api/programmes").json()[0]["name"] == programme.name


def test_commitment_scoping_and_refusals(key_client, programme, office):
    from commitments.services import commitment_create

    d05 = commitment_create(
        actor=office,
        programme=programme,
        data={
            "title": "教育项目",
            "owner_unit": OrgNode.objects.get(code="D01"),
            "deadline": dt.date(2026, 12, 31),
        },
    )
    town = key_client("T01", scope="read_write", roles=[Role.OFFICE])
    assert town.get(f"/api/commitments/{d05.pk}").status_code == 404
    assert d05.pk not in [x["id"] for x in town.get("/api/commitments").json()["items"]]
    r = town.post("/api/commitments", body(programme), content_type="application/json")
    assert r.status_code == 400 and "不在您的管辖范围内" in r.json()["fields"]["owner_unit"][0]
    r = town.post(
        "/api/commitments",
        body(programme, deadline=None, owner_unit="T01"),
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["fields"] == {"deadline": ["请填写完成时限"]}
    reader = key_client("C", scope="read", roles=[Role.OFFICE])
    r = reader.post("/api/commitments", body(programme), content_type="application/json")
    assert r.status_code == 403 and r.json()["code"] == "read_only_key"
    assert Commitment.objects.count() == 1


def test_progress_report_submit_and_approve(key_client, programme, office, node):
    from commitments.services import commitment_create, commitment_publish

    item = commitment_create(
        actor=office,
        programme=programme,
        data={
            "title": "农村公路",
            "owner_unit": node("D05"),
            "deadline": dt.date(2026, 12, 31),
        },
    )
    commitment_publish(actor=office, commitment=item)
    due = dt.date(2099, 11, 25)
    slot = ProgressReport.objects.create(
        programme=programme,
        kind=ReportKind.MONTHLY,
        commitment=item,
        unit=node("D05"),
        period="2099-11",
        period_start=due.replace(day=1),
        due_date=due,
    )
    handler = key_client("D05", scope="read_write", roles=[Role.UNIT_HANDLER])
    head = key_client("D05", scope="read_write", roles=[Role.UNIT_HEAD])
    other = key_client("D01", scope="read_write", roles=[Role.UNIT_HANDLER])
    assert other.get(f"/api/reports/{slot.pk}").status_code == 404
    listed = handler.get(f"/api/reports?commitment={item.pk}").json()
    assert listed["count"] == 1 and listed["items"][0]["status"] == "due"
    r = handler.post(
        f"/api/reports/{slot.pk}/submit", {"narrative": ""}, content_type="application/json"
    )
    assert r.status_code == 400 and "narrative" in r.json()["fields"]
    r = handler.post(
        f"/api/reports/{slot.pk}/submit",
        {"narrative": "完成路基", "percent": 40, "problems": "雨季", "next_steps": "铺面"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "submitted"
    r = handler.post(f"/api/reports/{slot.pk}/approve", {}, content_type="application/json")
    assert r.status_code == 403
    r = head.post(f"/api/reports/{slot.pk}/approve", {}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "approved"
    item.refresh_from_db()
    assert item.progress_percent == 40
