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
    c = key_client("C")
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
    c = key_client("T01")
    assert c.get(f"/api/figures?node={node('T02').pk}").status_code == 404
    assert c.get("/api/figures").json()["node"]["code"] == "T01"
    r = c.get("/api/figures?period=26-1")
    assert r.status_code == 400 and r.json()["fields"] == {"period": ["统计期格式有误"]}


def test_unit_key_reads_its_own_figures(key_client):
    c = key_client("D05", roles=[Role.UNIT_HEAD])
    assert c.get("/api/figures").json()["node"]["code"] == "D05"
