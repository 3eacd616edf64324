import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from core.errors import InvalidInput, PermissionDenied
from orgs.models import Role, User
from taxonomy.models import Aspect, Category, Item
from taxonomy.services import taxonomy_import_excel

pytestmark = pytest.mark.django_db


def sheet(rows, header=("方面", "大类", "小项", "默认责任单位", "默认时限(工作日)")) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


@pytest.fixture
def admin_user(db):
    return User.objects.get(username="admin")


def test_demo_taxonomy_counts():
    assert (Aspect.objects.count(), Category.objects.count(), Item.objects.count()) == (6, 30, 171)
    assert Category.objects.filter(default_unit__isnull=True).count() == 0


def test_import_adds_new_category_and_items(admin_user):
    report = taxonomy_import_excel(
        actor=admin_user,
        fileobj=sheet(
            [
                ("保障基本民生需求", "托育服务", "普惠托位", "卫生健康局", 8),
                ("保障基本民生需求", "托育服务", "托育机构备案", "卫生健康局", 8),
                ("保障基本民生需求", "教育", "校舍改造", "", ""),  # exists already
            ]
        ),
    )
    assert (report.aspects, report.categories, report.items) == (0, 1, 2)
    cat = Category.objects.get(name="托育服务")
    assert cat.default_unit.name == "卫生健康局" and cat.default_days == 8
    assert list(cat.items.values_list("name", flat=True)) == ["普惠托位", "托育机构备案"]


def test_bad_rows_refused_with_row_numbers_and_nothing_saved(admin_user):
    before = Item.objects.count()
    with pytest.raises(InvalidInput) as exc:
        taxonomy_import_excel(
            actor=admin_user,
            fileobj=sheet(
                [
                    ("保障基本民生需求", "托育服务", "普惠托位", "不存在的局", 8),
                    ("保障基本民生需求", "", "托育机构备案", "", "abc"),
                ]
            ),
        )
    errors = exc.value.fields["file"]
    assert "第2行「默认责任单位」：未找到单位“不存在的局”" in errors
    assert "第3行「大类」不能为空" in errors
    assert any(e.startswith("第3行「默认时限") for e in errors)
    assert Item.objects.count() == before and not Category.objects.filter(name="托育服务").exists()


def test_missing_column_and_bad_file(admin_user):
    with pytest.raises(InvalidInput, match="表头缺少列：小项"):
        taxonomy_import_excel(actor=admin_user, fileobj=sheet([], header=("方面", "大类")))
    with pytest.raises(InvalidInput, match="无法读取该文件"):
        taxonomy_import_excel(actor=admin_user, fileobj=io.BytesIO(b"not excel"))


def test_only_administrators_import(make_user):
    with pytest.raises(PermissionDenied):
        taxonomy_import_excel(actor=make_user("C", Role.OFFICE), fileobj=sheet([]))


def test_command_and_admin_page(admin_user, client, tmp_path):
    path = tmp_path / "t.xlsx"
    path.write_bytes(
        sheet([("提升基层治理能力", "物业管理", "物业费公示", "住房和城乡建设局", 10)]).read()
    )
    call_command("import_taxonomy", str(path))
    assert Item.objects.filter(name="物业费公示").exists()
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(sheet([("提升基层治理能力", "", "x", "", "")]).read())
    with pytest.raises(CommandError, match="第2行"):
        call_command("import_taxonomy", str(bad))

    client.force_login(admin_user)
    url = reverse("admin:taxonomy_import")
    assert "从Excel导入事项分类" in client.get(url).content.decode()
    upload = sheet([("提升基层治理能力", "物业管理", "维修基金使用", "", "")])
    upload.name = "x.xlsx"
    response = client.post(url, {"file": upload})
    assert response.status_code == 302
    assert Item.objects.filter(name="维修基金使用").exists()
    upload = sheet([("", "", "", "", "")] + [("a", "", "c", "", "")])
    upload.name = "x.xlsx"
    response = client.post(url, {"file": upload})
    assert response.status_code == 400 and "第3行「大类」不能为空" in response.content.decode()
