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


def _report(node, unit_code="D05", highlights="推行“群众点单、部门接单”服务模式", when=None):
    from commitments.models import Commitment, Programme, ProgressReport

    prog, _ = Programme.objects.get_or_create(name="2026年测试清单", defaults={"year": 2026})
    c = Commitment.objects.create(
        programme=prog,
        title="老旧小区改造",
        place=node("C"),
        owner_unit=node(unit_code),
        state="in_progress",
        escalation_level=3,
        supervision_status="overdue",
    )
    return ProgressReport.objects.create(
        programme=prog,
        kind="monthly",
        commitment=c,
        unit=node(unit_code),
        period="2026-10",
        period_start=fx.d(10, 1),
        due_date=fx.d(10, 25),
        status="submitted",
        highlights=highlights,
        submitted_at=when or fx.at(10, 24),
    )


def test_office_picks_a_highlight_and_it_goes_into_the_briefing(cases, node, make_user, client):
    report = _report(node)
    office = make_user("C", Role.OFFICE)
    client.force_login(office)
    page = client.get(reverse("figures:briefing"), {"period": "2026-10"}).content.decode()
    assert "推行“群众点单、部门接单”服务模式" in page
    r = client.post(reverse("figures:highlight-pick"), {"period": "2026-10", "report": report.pk})
    assert r.status_code == 302
    r = client.post(reverse("figures:briefing-download"), {"period": "2026-10"})
    _doc, text, tables = _read(r.content)
    assert f"一是{node('D05').name}。推行“群众点单、部门接单”服务模式" in text
    # the escalated commitment puts its unit under criticism beside D07's case
    criticised = tables[-1]
    assert {row[0] for row in criticised[1:]} == {node("D05").name, node("D07").name}
    assert any("老旧小区改造" in row[2] for row in criticised)


def test_highlight_refusals(cases, node, make_user):
    report = _report(node)
    empty = _report(node, highlights="")
    with pytest.raises(PermissionDenied):
        services.highlight_pick(
            actor=make_user("D05", Role.UNIT_HEAD), report_id=report.pk, period="2026-10"
        )
    with pytest.raises(NotFound):
        services.highlight_pick(
            actor=make_user("T01", Role.OFFICE), report_id=report.pk, period="2026-10"
        )
    with pytest.raises(InvalidInput):
        services.highlight_pick(
            actor=make_user("C", Role.OFFICE), report_id=empty.pk, period="2026-10"
        )
    with pytest.raises(InvalidInput):
        services.highlight_pick(
            actor=make_user("C", Role.OFFICE), report_id=report.pk, period="2026"
        )
    from figures.models import Highlight

    assert Highlight.objects.count() == 0


def test_snapshot_job_counts_commitments_and_ladder_idempotently(cases, node):
    from figures import selectors

    _report(node)
    first = jobs.snapshot_refresh()
    assert first["changed_rows"] > 0
    assert jobs.snapshot_refresh()["changed_rows"] == 0
    county = selectors.commitment_figures(node("C"))
    assert county["total"] == 1 and county["overdue"] == 1 and county["ladder"][3] == 1
    assert county["reports"]["on_time"] == 1 and county["reports"]["punctuality"] == 100.0
    assert selectors.ladder_figures(node("C"))[3] == 2  # the commitment and case c11
    assert selectors.ladder_figures(node("T02"))[3] == 0
    assert selectors.commitment_figures(node("D05"))["total"] == 1
    assert selectors.commitment_figures(node("T01"))["total"] == 0
