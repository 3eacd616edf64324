"""Taxonomy use cases: import the aspect → category → item sheet from Excel."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO

from django.db import transaction
from openpyxl import load_workbook

from core.errors import InvalidInput
from orgs import access
from orgs.models import OrgNode, Role, User

from .models import Aspect, Category, Item

COLUMNS = ["方面", "大类", "小项", "默认责任单位", "默认时限(工作日)"]
REQUIRED = ["方面", "大类", "小项"]


@dataclass
class ImportReport:
    rows: int = 0
    aspects: int = 0
    categories: int = 0
    items: int = 0
    errors: list[str] = field(default_factory=list)


def _read_rows(fileobj: BinaryIO) -> tuple[dict[str, int], list[tuple[int, list]]]:
    try:
        wb = load_workbook(fileobj, read_only=True, data_only=True)
    except Exception:
        raise InvalidInput("无法读取该文件，请上传 .xlsx 格式的Excel文件") from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None) or ()
    index = {str(h).strip(): i for i, h in enumerate(header) if h is not None}
    missing = [c for c in REQUIRED if c not in index]
    if missing:
        raise InvalidInput(f"表头缺少列：{'、'.join(missing)}（应为：{'、'.join(COLUMNS)}）")
    body = [
        (n, list(r)) for n, r in enumerate(rows, start=2) if any(v not in (None, "") for v in r)
    ]
    return index, body


def taxonomy_import_excel(*, actor: User, fileobj: BinaryIO) -> ImportReport:
    """Check every row first; write nothing if any row is wrong."""
    access.require_role(actor, Role.ADMIN)
    index, body = _read_rows(fileobj)

    def cell(row: list, name: str) -> str:
        i = index.get(name)
        value = row[i] if i is not None and i < len(row) else None
        return "" if value is None else str(value).strip()

    units = {n.name: n for n in OrgNode.objects.filter(kind=OrgNode.Kind.DEPARTMENT)}
    report = ImportReport(rows=len(body))
    parsed = []
    for n, row in body:
        values = {c: cell(row, c) for c in COLUMNS}
        for c in REQUIRED:
            if not values[c]:
                report.errors.append(f"第{n}行「{c}」不能为空")
        unit = None
        if values["默认责任单位"]:
            unit = units.get(values["默认责任单位"])
            if unit is None:
                report.errors.append(
                    f"第{n}行「默认责任单位」：未找到单位“{values['默认责任单位']}”"
                )
        days = 10
        if values["默认时限(工作日)"]:
            try:
                days = int(float(values["默认时限(工作日)"]))
                if not 1 <= days <= 365:
                    raise ValueError
            except ValueError:
                report.errors.append(f"第{n}行「默认时限(工作日)」应为1到365之间的整数")
        parsed.append((values, unit, days))
    if not body:
        report.errors.append("表格中没有数据行")
    if report.errors:
        raise InvalidInput(
            "导入失败，未写入任何数据：" + "；".join(report.errors[:50]),
            fields={"file": report.errors},
        )

    with transaction.atomic():
        for values, unit, days in parsed:
            aspect, created = Aspect.objects.get_or_create(
                name=values["方面"], defaults={"order": Aspect.objects.count() + 1}
            )
            report.aspects += created
            category = Category.objects.filter(aspect=aspect, name=values["大类"]).first()
            if category is None:
                category = Category.objects.create(
                    aspect=aspect,
                    name=values["大类"],
                    code=f"X{Category.objects.count() + 1:03d}",
                    default_unit=unit,
                    default_days=days,
                )
                report.categories += 1
            elif unit is not None or values["默认时限(工作日)"]:
                category.default_unit = unit or category.default_unit
                category.default_days = days
                category.save(update_fields=["default_unit", "default_days"])
            if not Item.objects.filter(category=category, name=values["小项"]).exists():
                Item.objects.create(
                    category=category,
                    name=values["小项"],
                    code=f"{category.code}I{category.items.count() + 1:02d}",
                    order=category.items.count() + 1,
                )
                report.items += 1
    return report
