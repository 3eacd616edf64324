import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from docx import Document

from core.errors import InvalidInput, NotFound, PermissionDenied
from figures import jobs, services
from figures.models import Briefing
from orgs.models import Role

from . import fixtures as fx

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(db):
    rows = fx.build()
    c11 = rows["c11"]
    c11.escalation_level = 3  # 通报批评
    c11.supervision_status = "overdue"
    c11.save()
    jobs.rollup_refresh(full=True, today=fx.TODAY)
    return rows


def _read(data: bytes):
    doc = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in doc.paragraphs)
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    return doc, text, tables


def test_command_writes_a_numbered_briefing_with_tables(cases, node, tmp_path):
    out = tmp_path / "b.docx"
    call_command("make_briefing", "--node", "C", "--period", "2026-10", "-o", str(out))
    doc, text, tables = _read(out.read_bytes())
    assert "示范县办实事〔2026〕1号" in text
    assert "关于2026年10月“我为群众办实事”实践活动进展情况的通报" in text
    assert "共收到群众诉求11件" in text
    ranking = tables[0]
    assert ranking[0][:3] == ["名次", "单位", "收到"]
    assert ranking[1][1] == node("T02").name and ranking[1][8] == "100.00"
    assert ranking[2][1] == node("T01").name and ranking[2][8] == "52.62" and ranking[2][9] == "↓1"
    units = tables[1]
    assert {row[1] for row in units[1:]} == {node("D05").name, node("D07").name}
    criticised = tables[2]
    assert criticised[0][0] == "责任单位"
    assert criticised[1][0] == node("D07").name and "测试诉求c11" in criticised[1][2]
    assert doc.sections[0].top_margin.mm == pytest.approx(37, abs=0.1)
    # the same month keeps its number; the next month gets the next one
    call_command("make_briefing", "--node", "C", "--period", "2026-10", "-o", str(out))
    call_command("make_briefing", "--node", "C", "--period", "2026-11", "-o", str(out))
    assert sorted(Briefing.objects.values_list("period", "number")) == [
        ("2026-10", 1),
        ("2026-11", 2),
    ]


def test_briefing_button_is_office_only_and_scoped(cases, node, make_user, client):
    client.force_login(make_user("D05", Role.UNIT_HANDLER))
    r = client.post(reverse("figures:briefing-download"), {"period": "2026-10"})
    assert r.status_code == 403
    town = make_user("T01", Role.OFFICE)
    client.force_login(town)
    r = client.post(
        reverse("figures:briefing-download"), {"node": node("C").pk, "period": "2026-10"}
    )
    assert r.status_code == 404
    r = client.post(reverse("figures:briefing-download"), {"period": "2026-10"})
    assert r.status_code == 200
    _doc, text, tables = _read(r.content)
    assert "共收到群众诉求10件" in text and node("T02").name not in str(tables)
    with pytest.raises(InvalidInput):
        services.briefing_issue(actor=town, node_id=node("T01").pk, period="2026")
    with pytest.raises(NotFound):
        services.briefing_issue(actor=town, node_id=node("T02").pk, period="2026-10")
    with pytest.raises(PermissionDenied):
        services.briefing_issue(
            actor=make_user("T01", Role.GRID_WORKER), node_id=node("T01").pk, period="2026-10"
        )
