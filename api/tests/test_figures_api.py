"""Figures over the API, and imported hotline cases counted in them like any case."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command

import figures
from orgs.models import Role

pytestmark = [
    pytest.mark.django_db,
    # main briefly carried the figures app without its migration (fixed on its branch)
    pytest.mark.skipif(
        not (Path(figures.__file__).parent / "migrations" / "0001_initial.py").exists(),
        reason="figures has no migration yet on this branch",
    ),
]


def test_imported_cases_show_in_the_figures(tmp_path, key_client, node):
    from figures.jobs import rollup_refresh

    path = tmp_path / "x.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["编号", "内容", "承办单位", "来电时间", "状态", "答复"])
        w.writerow(["F1", "道路破损", "住房和城乡建设局", "2026-03-02 09:00", "已办结", "已修复"])
        w.writerow(["F2", "噪音扰民", "公安局", "2026-03-05 10:00", "办理中", ""])
        w.writerow(["F3", "咨询社保", "", "2026-03-06 11:00", "待受理", ""])
    call_command("import_cases", str(path), "--node", "T01", "--no-progress", stdout=io.StringIO())
    rollup_refresh(full=True)
    c = key_client("C", roles=[Role.OFFICE])
    r = c.get(f"/api/figures?node={node('T01').pk}&period=2026-03")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["period"] == {"key": "2026-03", "label": "2026年3月"}
    assert body["cases"]["sums"]["received"] == 3
    assert body["cases"]["sums"]["resolved"] == 1
    assert body["sentences"] and body["sentences"][0].startswith(
        "2026年3月，城关街道共收到群众诉求3件"
    )
    ranking = c.get(f"/api/figures/ranking?node={node('C').pk}&period=2026-03&kind=units").json()
    assert {row["node"]["code"] for row in ranking} >= {"D05"}


def test_figures_are_scoped(key_client, node):
    c = key_client("T01", roles=[Role.OFFICE])
    assert c.get(f"/api/figures?node={node('T02').pk}").status_code == 404
    assert c.get("/api/figures").json()["node"]["code"] == "T01"
    r = c.get("/api/figures?period=26-1")
    assert r.status_code == 400 and r.json()["fields"] == {"period": ["统计期格式有误"]}


def test_figures_need_a_working_role(key_client, node):
    c = key_client("C")  # a key with no role reads no figures, as on the pages
    for url in ("/api/figures", "/api/figures/ranking"):
        r = c.get(url)
        assert r.status_code == 403 and r.json()["code"] == "permission_denied"


def test_unit_key_reads_its_own_figures(key_client):
    c = key_client("D05", roles=[Role.UNIT_HEAD])
    assert c.get("/api/figures").json()["node"]["code"] == "D05"


# --- activities, briefings and exports ------------------------------------------------


def _xlsx_rows(response):
    from openpyxl import load_workbook

    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(response.content)).active
    return [row for row in ws.iter_rows(values_only=True)]


def _new_activity(c, node, **extra):
    body = {
        "date": "2026-10-12",
        "place": node("T01V01").pk,
        "kind": "forum",
        "title": "院落座谈会",
        "people_reached": 40,
        "problems_collected": 6,
        "suggestions_collected": 4,
        **extra,
    }
    return c.post("/api/activities", body, content_type="application/json")


def test_activities_recorded_listed_linked_and_exported(key_client, node):
    from figures.tests import fixtures as fx

    cases = fx.build()
    c = key_client("C", scope="read_write", roles=[Role.OFFICE])
    r = _new_activity(c, node)
    assert r.status_code == 201, r.content
    a = r.json()
    assert a["kind_label"] == "座谈会" and a["place"]["code"] == "T01V01" and a["cases"] == []
    r = c.post(
        f"/api/activities/{a['id']}/cases",
        {"codes": [cases["c1"].tracking_code, cases["c3"].tracking_code]},
        content_type="application/json",
    )
    assert r.json() == {"linked": 2}
    page = c.get(f"/api/activities?node={node('T01').pk}&period=2026-10").json()
    assert page["total"] == 1 and page["items"][0]["title"] == "院落座谈会"
    totals = page["totals"]
    assert totals["totals"]["sessions"] == 1 and totals["totals"]["problems"] == 6
    assert totals["cases_linked"] == 2 and totals["cases_resolved"] == 1  # c1 closed, c3 open
    detail = c.get(f"/api/activities/{a['id']}").json()
    assert sorted(detail["cases"]) == sorted([cases["c1"].tracking_code, cases["c3"].tracking_code])
    rows = _xlsx_rows(c.get(f"/api/activities/export?node={node('C').pk}&period=2026-10"))
    data = [r_ for r_ in rows if r_ and r_[2] == "院落座谈会"]
    assert data and data[0][1] == "座谈会" and data[0][9] == 2  # linked cases


def test_activity_refusals(key_client, node):
    office = key_client("C", scope="read_write", roles=[Role.OFFICE])
    a = _new_activity(office, node).json()
    # No figures role (a key with no role): 403 with a Chinese message.
    r = key_client("C").get("/api/activities")
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"
    assert r.json()["message"]
    # Another town's key: the activity is not found, and so is the node.
    t02 = key_client("T02", scope="read_write", roles=[Role.OFFICE])
    assert t02.get(f"/api/activities/{a['id']}").status_code == 404
    assert t02.get(f"/api/activities?node={node('T01').pk}").status_code == 404
    r = t02.post(
        f"/api/activities/{a['id']}/cases", {"codes": ["X"]}, content_type="application/json"
    )
    assert r.status_code == 404
    # A place outside the caller's reach, a kind that collects nothing: 400 per field.
    r = _new_activity(t02, node)
    assert r.status_code == 400 and "place" in r.json()["fields"]
    r = _new_activity(office, node, kind="study")
    assert r.status_code == 400
    assert r.json()["fields"]["problems_collected"] == ["只有走访和座谈会登记收集的问题和意见建议"]
    # Bad period: 400 with the Chinese message; unknown kind: 422 in Chinese.
    r = office.get("/api/activities?period=2026-13")
    assert r.status_code == 400 and r.json()["fields"] == {"period": ["统计期格式有误"]}
    assert "统计期格式" in r.json()["message"]
    r = _new_activity(office, node, kind="party")
    assert r.status_code == 422 and r.json()["message"]
    # A read-only key cannot write.
    r = _new_activity(key_client("C", roles=[Role.OFFICE]), node)
    assert r.status_code == 403 and r.json()["code"] == "read_only_key"


def test_briefing_issued_downloaded_and_read_back(key_client, node):
    from docx import Document

    from figures.jobs import rollup_refresh
    from figures.tests import fixtures as fx

    fx.build()
    rollup_refresh(full=True, today=fx.TODAY)
    c = key_client("C", scope="read_write", roles=[Role.OFFICE])
    r = c.post(
        "/api/briefings",
        {"node": node("C").pk, "period": "2026-10"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    b = r.json()
    assert b["number"] == 1 and b["period"] == "2026-10" and "〔2026〕1号" in b["doc_number"]
    again = c.post("/api/briefings", {"period": "2026-10"}, content_type="application/json")
    assert again.json()["id"] == b["id"]  # the same number, never a second one
    assert [x["id"] for x in c.get("/api/briefings").json()] == [b["id"]]
    r = c.get(b["download"])
    assert r.status_code == 200 and r["Content-Type"].endswith("wordprocessingml.document")
    doc = Document(io.BytesIO(r.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert b["doc_number"] in text and "2026年10月" in text
    ranking = doc.tables[0]
    names = [row.cells[1].text for row in ranking.rows[1:]]
    assert names[:2] == [node("T02").name, node("T01").name]


def test_briefing_refusals(key_client, node):
    unit = key_client("D05", scope="read_write", roles=[Role.UNIT_HEAD])
    r = unit.post("/api/briefings", {"period": "2026-10"}, content_type="application/json")
    assert r.status_code == 403 and r.json()["message"]
    office = key_client("C", scope="read_write", roles=[Role.OFFICE])
    r = office.post("/api/briefings", {"period": "2026"}, content_type="application/json")
    assert r.status_code == 400 and r.json()["message"] == "通报按月编发，请选择月份"
    r = office.post("/api/briefings", {"period": "十月"}, content_type="application/json")
    assert r.status_code == 400 and r.json()["fields"] == {"period": ["统计期格式有误"]}
    b = office.post("/api/briefings", {"period": "2026-10"}, content_type="application/json")
    town = key_client("T01", scope="read_write", roles=[Role.OFFICE])
    assert town.get(f"/api/briefings/{b.json()['id']}/docx").status_code == 404
    assert town.get(f"/api/briefings?node={node('C').pk}").status_code == 404


def test_exports_are_masked_by_the_readers_rights(key_client, node):
    from figures.jobs import rollup_refresh
    from figures.tests import fixtures as fx
    from tracking.models import PersonalDataAccess

    fx.build()
    rollup_refresh(full=True, today=fx.TODAY)
    url = f"/api/figures/cases/export?node={node('T01').pk}&period=2026-10&measure=resolved"
    inspector = key_client("C", roles=[Role.INSPECTOR])
    flat = "".join(str(v) for row in _xlsx_rows(inspector.get(url)) for v in row if v)
    assert "张**" in flat and "138****1234" in flat
    assert "张三丰" not in flat and "13812341234" not in flat and "幸福路" not in flat
    assert PersonalDataAccess.objects.count() == 0
    office = key_client("C", roles=[Role.OFFICE])
    flat = "".join(str(v) for row in _xlsx_rows(office.get(url)) for v in row if v)
    assert "张三丰" in flat and "13812341234" in flat
    assert PersonalDataAccess.objects.count() >= 1
    rows = _xlsx_rows(
        office.get(f"/api/figures/export?node={node('C').pk}&period=2026-10&table=places")
    )
    t01 = [r_ for r_ in rows if r_ and r_[0] == node("T01").name][0]
    assert t01[1] == 10 and t01[4] == 3  # received, resolved (hand-counted)
    rows = _xlsx_rows(office.get("/api/figures/export?period=2026-10&table=ranking_places"))
    assert [r_[1] for r_ in rows if r_ and isinstance(r_[0], int)] == [
        node("T02").name,
        node("T01").name,
    ]
    r = office.get("/api/figures/export?period=2026&table=ranking_units")
    assert r.status_code == 400 and r.json()["message"] == "排名按月统计，请选择月份"
    r = office.get("/api/figures/export?table=pie")
    assert r.status_code == 422 and r.json()["message"]
    assert key_client("C").get(url).status_code == 403  # no figures role
    assert key_client("T02", roles=[Role.OFFICE]).get(url).status_code == 404
