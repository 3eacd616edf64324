"""Hotline / ledger import: checked first, errors by row in Chinese, idempotent."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from openpyxl import Workbook

from api import importer
from api.models import ImportJob
from api.services import cases_import
from cases.models import Case
from core.errors import InvalidInput, NotFound, PermissionDenied
from orgs.models import OrgNode, Role
from taxonomy.models import Category
from tracking.models import TimelineEntry

pytestmark = pytest.mark.django_db

HEADER = ["编号", "标题", "内容", "分类", "承办单位", "地点", "来电时间", "状态", "答复"]


@pytest.fixture
def rows(node):
    cat = Category.objects.select_related("default_unit").first()
    village = node("T01V01")
    return [
        [
            "RX2026001",
            "路灯不亮",
            "小区门口路灯坏了一个月",
            cat.name,
            "住房和城乡建设局",
            village.name,
            "2026-03-01 08:30",
            "已办结",
            "已更换灯具",
        ],
        [
            "RX2026002",
            "",
            "楼道堆放杂物存在消防隐患",
            cat.code,
            "城关街道",
            f"城关街道{village.name}5号楼",
            "2026/3/2 9:15",
            "办理中",
            "",
        ],
        ["RX2026003", "咨询医保", "", "", "", "", "2026年3月3日10时5分", "", ""],
    ]


def write_csv(tmp_path, header, rows, name="orders.csv", encoding="utf-8-sig"):
    path = tmp_path / name
    with open(path, "w", newline="", encoding=encoding) as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_xlsx(tmp_path, header, rows, name="orders.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    path = tmp_path / name
    wb.save(path)
    return path


def test_command_imports_then_a_second_run_adds_nothing(tmp_path, rows, node):
    path = write_csv(tmp_path, HEADER, rows)
    out = io.StringIO()
    call_command("import_cases", str(path), "--node", "T01", "--no-progress", stdout=out)
    assert "已导入3条" in out.getvalue()
    cases = {c.external_ref: c for c in Case.objects.filter(external_source="12345")}
    assert set(cases) == {"RX2026001", "RX2026002", "RX2026003"}
    one, two, three = cases["RX2026001"], cases["RX2026002"], cases["RX2026003"]
    # ordinary cases: state, unit, place, category, channel, reply, timeline
    assert one.state == "replied" and one.result == "已更换灯具"
    assert one.owner_unit.code == "D05" and one.place == node("T01V01")
    assert one.channel == "hotline" and one.tracking_code
    local = timezone.localtime(one.collected_at)
    assert (local.hour, local.minute) == (8, 30)
    assert two.state == "in_progress" and two.owner_unit.code == "T01"
    assert two.place == node("T01V01") and two.address.endswith("5号楼")
    assert two.deadline is not None
    assert three.state == "submitted" and three.text == "咨询医保" and three.place == node("T01")
    entry = TimelineEntry.objects.get(item_id=one.pk, action="case.import")
    assert "RX2026001" in entry.note and entry.to_state == "replied"
    # a second run of the same file adds nothing
    out = io.StringIO()
    call_command("import_cases", str(path), "--node", "T01", "--no-progress", stdout=out)
    assert "已导入过（跳过）3行" in out.getvalue()
    assert Case.objects.filter(external_source="12345").count() == 3


def test_excel_and_gbk_csv_and_rows_without_number_are_idempotent(tmp_path, rows):
    unnumbered = [["", *r[1:]] for r in rows]
    path = write_xlsx(tmp_path, HEADER, unnumbered)
    call_command("import_cases", str(path), "--node", "T01", "--no-progress", stdout=io.StringIO())
    call_command("import_cases", str(path), "--node", "T01", "--no-progress", stdout=io.StringIO())
    assert Case.objects.filter(external_source="12345").count() == 3
    gbk = write_csv(tmp_path, HEADER, rows, name="gbk.csv", encoding="gb18030")
    call_command(
        "import_cases",
        str(gbk),
        "--node",
        "T01",
        "--source",
        "台账",
        "--no-progress",
        stdout=io.StringIO(),
    )
    assert Case.objects.filter(external_source="台账").count() == 3


def test_every_row_is_checked_first_and_errors_are_by_row(tmp_path, rows):
    bad = [
        rows[0],
        ["RX9", "", "", "", "", "", "", "", ""],  # no text
        ["RX10", "t", "x", "没有这个分类", "没有这个单位", "", "昨天", "奇怪状态", ""],
        ["RX2026001", "dup", "dup", "", "", "", "", "", ""],  # duplicate 编号
        ["RX11", "t", "x", "", "", "", "", "已办结", "好"],  # replied without a unit
    ]
    path = write_csv(tmp_path, HEADER, bad)
    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command(
            "import_cases",
            str(path),
            "--node",
            "T01",
            "--no-progress",
            stdout=io.StringIO(),
            stderr=err,
        )
    assert "未导入任何数据" in str(exc.value)
    report = err.getvalue()
    assert "第3行【内容】：内容和标题都为空" in report
    assert "第4行【分类】：分类“没有这个分类”不存在" in report
    assert "第4行【承办单位】：承办单位“没有这个单位”不存在" in report
    assert "第4行【来电时间】：无法识别的时间“昨天”" in report
    assert "第4行【状态】：无法识别的状态“奇怪状态”" in report
    assert "第5行【编号】：编号“RX2026001”与第2行重复" in report
    assert "第6行【承办单位】：状态为“已办结”时须填写承办单位" in report
    # the good first row was not written either
    assert not Case.objects.filter(external_source="12345").exists()


def test_create_missing_makes_categories_and_units(tmp_path, rows):
    rows = [["N1", "", "新问题", "新分类甲", "新单位乙", "", "2026-03-01", "已交办", ""]]
    path = write_csv(tmp_path, HEADER, rows)
    with pytest.raises(CommandError):
        call_command(
            "import_cases",
            str(path),
            "--node",
            "C",
            "--no-progress",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert not Category.objects.filter(name="新分类甲").exists()
    call_command(
        "import_cases",
        str(path),
        "--node",
        "C",
        "--create-missing",
        "--no-progress",
        stdout=io.StringIO(),
    )
    case = Case.objects.get(external_ref="N1")
    assert case.category.name == "新分类甲"
    assert case.owner_unit.name == "新单位乙" and case.owner_unit.kind == "department"
    assert case.state == "dispatched"


def test_column_mapping(tmp_path):
    header = ["工单号", "问题描述", "承办部门"]
    path = write_csv(tmp_path, header, [["A1", "噪音扰民", "公安局"]])
    call_command("import_cases", str(path), "--node", "C", "--no-progress", stdout=io.StringIO())
    assert Case.objects.get(external_ref="A1").owner_unit.name == "公安局"
    # an explicit mapping wins; a mapped header missing from the file is a file error
    header = ["单号", "诉求描述"]
    path = write_csv(tmp_path, header, [["B1", "垃圾清运不及时"]], name="m.csv")
    call_command(
        "import_cases",
        str(path),
        "--node",
        "C",
        "--map",
        "编号=单号,内容=诉求描述",
        "--no-progress",
        stdout=io.StringIO(),
    )
    assert Case.objects.get(external_ref="B1").text == "垃圾清运不及时"
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_cases",
            str(path),
            "--map",
            "内容=没有这列",
            "--no-progress",
            stdout=io.StringIO(),
            stderr=err,
        )
    assert "表头中没有“没有这列”列" in err.getvalue()
    with pytest.raises(CommandError, match="未知字段"):
        call_command("import_cases", str(path), "--map", "电话=x", "--no-progress")


def test_service_refuses_outsiders_and_bad_plans(rows, tmp_path, make_user, node):
    path = write_csv(tmp_path, HEADER, rows)
    plan = importer.check_file(path, node=node("T01"), source="12345")
    assert plan.ok and len(plan.rows) == 3
    with pytest.raises(PermissionDenied):
        cases_import(actor=make_user("T01", Role.UNIT_HANDLER), plan=plan, node=node("T01"))
    with pytest.raises(NotFound):
        cases_import(actor=make_user("T02", Role.OFFICE), plan=plan, node=node("T01"))
    bad = importer.check_file(
        write_csv(tmp_path, HEADER, [["X", "", "", "", "", "", "", "", ""]], name="b.csv"),
        node=node("T01"),
        source="12345",
    )
    with pytest.raises(InvalidInput):
        cases_import(actor=make_user("T01", Role.OFFICE), plan=bad, node=node("T01"))
    assert not Case.objects.exists()
    assert cases_import(actor=make_user("T01", Role.OFFICE), plan=plan, node=node("T01")) == 3


def test_time_formats():
    for text in ("2026-03-01 08:30", "2026/3/1 8:30", "2026年3月1日8时30分", "2026-03-01T08:30:00"):
        t = timezone.localtime(importer.parse_time(text))
        assert (t.year, t.month, t.day, t.hour, t.minute) == (2026, 3, 1, 8, 30), text
    assert importer.parse_time("昨天") is None
    assert importer.parse_time(46082.5).year == 2026  # an Excel serial date


@pytest.mark.parametrize("check_only", [False, True])
def test_upload_page_checks_and_imports_with_progress(
    client, office, rows, tmp_path, settings, check_only
):
    settings.API_IMPORT_IN_THREAD = False  # the test runs the job inline
    client.force_login(office)
    r = client.get("/imports/")
    assert r.status_code == 200 and "导入12345热线工单" in r.content.decode()
    path = write_xlsx(tmp_path, HEADER, rows)
    with open(path, "rb") as fh:
        data = {"file": fh, "source": "12345", "node": OrgNode.objects.get(code="T01").pk}
        if check_only:
            data["check_only"] = "on"
        r = client.post("/imports/", data)
    job = ImportJob.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/imports/{job.pk}/"
    page = client.get(r["Location"]).content.decode()
    if check_only:
        assert job.status == "checked" and not Case.objects.exists()
        assert "检查通过" in page
    else:
        assert job.status == "done" and job.written == 3 and job.percent == 100
        assert Case.objects.filter(external_source="12345").count() == 3
        assert "导入完成" in page
    # a finished job stops polling
    fragment = client.get(f"/imports/{job.pk}/progress").content.decode()
    assert "hx-trigger" not in fragment


def test_upload_page_shows_row_errors_and_polls_while_running(client, office, tmp_path, settings):
    settings.API_IMPORT_IN_THREAD = False
    client.force_login(office)
    path = write_csv(tmp_path, HEADER, [["X1", "", "", "", "", "", "", "", ""]])
    with open(path, "rb") as fh:
        client.post(
            "/imports/", {"file": fh, "source": "12345", "node": OrgNode.objects.get(code="C").pk}
        )
    job = ImportJob.objects.get()
    assert job.status == "invalid" and job.error_count == 1
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "第2行" in page and "内容和标题都为空" in page
    ImportJob.objects.filter(pk=job.pk).update(status="checking", checked=0, total=10)
    fragment = client.get(f"/imports/{job.pk}/progress").content.decode()
    assert 'hx-trigger="every 1s"' in fragment


def test_upload_page_is_for_the_office(client, make_user):
    client.force_login(make_user("D05", Role.UNIT_HANDLER))
    assert client.get("/imports/").status_code == 403


def test_imported_cases_are_searchable(tmp_path, rows):
    import textintel

    call_command(
        "import_cases",
        str(write_csv(tmp_path, HEADER, rows)),
        "--node",
        "T01",
        "--no-progress",
        stdout=io.StringIO(),
    )
    case = Case.objects.get(external_ref="RX2026002")
    assert textintel.search_ids("case", "杂物") == [case.pk]
    assert textintel.search_ids("case", "路灯") == [Case.objects.get(external_ref="RX2026001").pk]


def test_deployment_mapping_from_settings(tmp_path, settings):
    settings.API_IMPORT_COLUMNS = {"内容": "群众诉求", "编号": "流水号"}
    path = write_csv(tmp_path, ["流水号", "群众诉求"], [["L1", "公交站台破损"]])
    call_command("import_cases", str(path), "--node", "C", "--no-progress", stdout=io.StringIO())
    assert Case.objects.get(external_ref="L1").text == "公交站台破损"
