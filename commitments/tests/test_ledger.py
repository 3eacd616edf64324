"""Excel ledgers: export then import changes nothing; bad workbooks are refused by row and column."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from openpyxl import Workbook, load_workbook

from commitments import ledger, services
from commitments.ledger import COMMITMENT_COLUMNS, RECT_COLUMNS
from commitments.models import Commitment, Kind, ProblemLevel, RectificationProblem
from core.errors import InvalidInput, PermissionDenied
from tracking.models import TimelineEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def filled(office, programme, node, make_item):
    a = make_item(
        title="老旧小区改造",
        co_units=[node("T01"), node("D07")],
        budget=Decimal("1350.5"),
        is_flagship=True,
        category=None,
    )
    services.commitment_publish(actor=office, commitment=a)
    make_item(
        title="农村改厕", owner_unit=node("T04"), target_quantity=Decimal(9399), target_unit="户"
    )
    make_item(title="一网通办", kind=Kind.KEY_TASK, target_quantity=None, target_unit="")
    problem = services.problem_create(
        actor=office,
        programme=programme,
        level=ProblemLevel.TEAM,
        text="调研不深入",
        unit=node("D05"),
    )
    for i, immediate in enumerate([True, False]):
        services.commitment_create(
            actor=office,
            programme=programme,
            data={
                "kind": Kind.RECTIFICATION,
                "title": f"整改措施{i}",
                "problem": problem,
                "is_immediate": immediate,
                "owner_unit": node("D05"),
                "deadline": None if immediate else dt.date(2026, 12, 31),
                "responsible_person": "" if immediate else "张三",
            },
        )
    return programme


def _state():
    rows = []
    for c in Commitment.objects.order_by("pk"):
        rows.append(
            (
                c.seq,
                c.kind,
                c.title,
                c.tasks,
                c.lead_official,
                c.owner_unit_id,
                tuple(sorted(c.co_units.values_list("pk", flat=True))),
                c.deadline,
                c.target_quantity,
                c.target_unit,
                c.progress_percent,
                c.state,
                c.budget,
                c.is_flagship,
                c.problem_id,
                c.is_immediate,
                c.responsible_person,
            )
        )
    return rows, TimelineEntry.objects.count(), RectificationProblem.objects.count()


def test_export_then_import_changes_nothing(filled, office):
    data = ledger.ledger_export(actor=office, programme=filled)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["项目清单", "整改清单"]
    header = [c.value for c in wb["项目清单"][1]]
    assert header[:10] == COMMITMENT_COLUMNS
    assert [c.value for c in wb["整改清单"][1]] == RECT_COLUMNS
    first = [c.value for c in wb["项目清单"][2]]
    assert first[1] == "老旧小区改造" and first[4] == "住房和城乡建设局"
    assert (
        set(first[5].split("、")) == {"城关街道", "交通运输局"}
        and first[7] == "36个小区"
        and first[9] == "已公布"
    )
    rect = [[c.value for c in row] for row in wb["整改清单"].iter_rows(min_row=2)]
    assert rect[0][5] == "立行立改" and rect[1][5] == "2026-12-31" and rect[1][3] == "张三"
    before = _state()
    result = ledger.ledger_import(actor=office, programme=filled, file=io.BytesIO(data))
    assert result.errors == [] and result.saved
    assert (result.rows, result.unchanged, result.created, result.updated) == (5, 5, 0, 0)
    assert _state() == before


def _book(columns, rows, title="项目清单"):
    wb = Workbook()
    ws = wb.active
    ws.title = title
    ws.append(columns)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


GOOD = [
    1,
    "城区公厕新建改造",
    "新建和改造公厕",
    "张明华",
    "城市管理局",
    "住房和城乡建设局",
    "2026-10-31",
    "30座",
    "20%",
    "推进中",
]


def test_import_creates_and_updates(office, programme):
    book = _book(
        COMMITMENT_COLUMNS,
        [GOOD, [2, "农村公路", "", "", "城关街道", "", dt.datetime(2026, 9, 30), "", "", ""]],
    )
    result = ledger.ledger_import(actor=office, programme=programme, file=book)
    assert result.errors == [] and result.created == 2
    a = Commitment.objects.get(programme=programme, seq=1)
    assert (a.state, a.progress_percent, a.target_quantity, a.target_unit) == (
        "in_progress",
        20,
        30,
        "座",
    )
    assert a.owner_unit.code == "D14" and [u.code for u in a.co_units.all()] == ["D05"]
    b = Commitment.objects.get(programme=programme, seq=2)
    assert (b.state, b.level, b.deadline) == ("draft", "town", dt.date(2026, 9, 30))
    assert TimelineEntry.objects.filter(item_id=a.pk, action="commitment.create").exists()
    # the same ledger with a changed title updates the item in place
    changed = list(GOOD)
    changed[1] = "城区公厕新建改造（提标）"
    result = ledger.ledger_import(
        actor=office, programme=programme, file=_book(COMMITMENT_COLUMNS, [changed])
    )
    assert result.updated == 1
    a.refresh_from_db()
    assert a.title == "城区公厕新建改造（提标）"
    # but not its state: that goes through the workflow
    changed[9] = "已验收"
    result = ledger.ledger_import(
        actor=office, programme=programme, file=_book(COMMITMENT_COLUMNS, [changed])
    )
    assert not result.saved and "状态变更须在系统中按流程办理" in str(result.errors[0])


def test_bad_workbook_refused_with_row_and_column_and_nothing_saved(office, programme):
    rows = [
        GOOD,
        [2, "农村改厕", "", "", "不存在局", "", "2026-06-30", "9399户", "10%", "草稿"],
        [3, "村庄亮化", "", "", "城关街道", "", "明年六月", "800盏", "0", "草稿"],
        [4, "", "", "", "城关街道", "", "2026-02-30", "八百", "150%", "进行"],
    ]
    before = Commitment.objects.count()
    result = ledger.ledger_import(
        actor=office, programme=programme, file=_book(COMMITMENT_COLUMNS, rows)
    )
    assert not result.saved
    messages = [str(e) for e in result.errors]
    assert "项目清单第3行“责任单位”列：单位“不存在局”不存在" in messages
    assert any(m.startswith("项目清单第4行“完成时限”列：“明年六月”不是有效日期") for m in messages)
    assert "项目清单第5行“项目名称”列：不能为空" in messages
    assert any(m.startswith("项目清单第5行“完成时限”列") for m in messages)
    assert any(m.startswith("项目清单第5行“目标”列") for m in messages)
    assert "项目清单第5行“进度”列：进度应在0%至100%之间" in messages
    assert any(m.startswith("项目清单第5行“状态”列") for m in messages)
    assert not any("第2行" in m for m in messages)  # the good row has no error
    assert Commitment.objects.count() == before
    assert "未导入任何数据" in result.summary()
    # with partial, the valid row goes in and the bad ones are counted as skipped
    result = ledger.ledger_import(
        actor=office, programme=programme, file=_book(COMMITMENT_COLUMNS, rows), partial=True
    )
    assert result.saved and result.created == 1 and result.skipped == 3
    assert Commitment.objects.count() == before + 1


def test_missing_column_is_reported(office, programme):
    columns = [c for c in COMMITMENT_COLUMNS if c != "完成时限"]
    row = [v for c, v in zip(COMMITMENT_COLUMNS, GOOD, strict=True) if c != "完成时限"]
    result = ledger.ledger_import(actor=office, programme=programme, file=_book(columns, [row]))
    assert [str(e) for e in result.errors] == ["项目清单第1行“完成时限”列：缺少此列"]
    assert not result.saved and Commitment.objects.count() == 0


def test_rectification_sheet_import(office, programme):
    rows = [
        ["调研不深入", "领导班子", "建立定点下访制度", "", "住房和城乡建设局", "立行立改", "草稿"],
        [
            "调研不深入",
            "领导班子",
            "每人牵头一个课题",
            "李卫东",
            "住房和城乡建设局",
            "2026年12月31日",
            "推进中",
        ],
        ["党员联系群众不紧密", "党员个人", "每名党员联系5户", "", "城关街道", "2026-12-31", "草稿"],
        ["问题", "班子", "措施", "王五", "城关街道", "立行立改", "草稿"],
    ]
    result = ledger.ledger_import(
        actor=office, programme=programme, file=_book(RECT_COLUMNS, rows, "整改清单")
    )
    messages = [str(e) for e in result.errors]
    assert "整改清单第4行“责任人”列：非立行立改的整改措施须明确责任人" in messages
    assert any(m.startswith("整改清单第5行“层级”列") for m in messages)
    assert not result.saved and RectificationProblem.objects.count() == 0
    result = ledger.ledger_import(
        actor=office, programme=programme, file=_book(RECT_COLUMNS, rows[:2], "整改清单")
    )
    assert result.created == 2
    assert RectificationProblem.objects.get().measures.count() == 2


def test_unreadable_file_and_wrong_actor(office, handler, programme):
    with pytest.raises(InvalidInput) as exc:
        ledger.ledger_import(actor=office, programme=programme, file=io.BytesIO(b"not excel"))
    assert "无法读取" in exc.value.message
    with pytest.raises(PermissionDenied):
        ledger.ledger_import(
            actor=handler, programme=programme, file=_book(COMMITMENT_COLUMNS, [GOOD])
        )


def test_management_commands_round_trip(filled, office, tmp_path, capsys):
    office.is_superuser = True
    office.save()
    out = tmp_path / "ledger.xlsx"
    call_command(
        "export_ledger", "--programme", str(filled.pk), "-o", str(out), "--user", office.username
    )
    before = _state()
    call_command(
        "import_ledger", str(out), "--programme", str(filled.pk), "--user", office.username
    )
    assert "未变化5项" in capsys.readouterr().out
    assert _state() == before
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(
        _book(
            COMMITMENT_COLUMNS, [[9, "x", "", "", "无此单位", "", "2026-01-01", "", "", ""]]
        ).getvalue()
    )
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command(
            "import_ledger", str(bad), "--programme", str(filled.pk), "--user", office.username
        )
    assert "第2行“责任单位”列" in capsys.readouterr().err
