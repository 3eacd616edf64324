"""Excel ledgers (台账) in the layouts offices use, with openpyxl.

Commitments sheet (项目清单): 序号, 项目名称, 主要内容, 牵头领导, 责任单位, 配合单位,
完成时限, 目标, 进度, 状态 — then optional 类型, 类别, 层级, 预算(万元), 已完成量, 重点项目.
Rectification sheet (整改清单): 问题, 层级, 整改措施, 责任人, 责任单位, 时限, 状态.

Import checks every row first and reports errors by row and column in Chinese; by
default nothing is saved when any row is wrong (`partial=True` saves the valid rows).
Rows match existing items by 序号 (commitments) or 问题+层级+整改措施 (measures), so
export then import changes nothing. A ledger never moves an existing item's state:
that goes through the workflow.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from core.errors import InvalidInput
from orgs import access
from orgs.models import OrgNode, Role, User
from taxonomy.models import Category

from . import services
from .models import Commitment, Kind, ProblemLevel, Programme, RectificationProblem

COMMITMENT_COLUMNS = [
    "序号",
    "项目名称",
    "主要内容",
    "牵头领导",
    "责任单位",
    "配合单位",
    "完成时限",
    "目标",
    "进度",
    "状态",
]
COMMITMENT_EXTRA = ["类型", "类别", "层级", "预算(万元)", "已完成量", "重点项目"]
RECT_COLUMNS = ["问题", "层级", "整改措施", "责任人", "责任单位", "时限", "状态"]
IMMEDIATE = "立行立改"
SHEET_COMMITMENTS = "项目清单"
SHEET_RECT = "整改清单"


@dataclass
class RowError:
    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        col = f"“{self.column}”列" if self.column else ""
        return f"{self.sheet}第{self.row}行{col}：{self.message}"


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    saved: bool = False

    def summary(self) -> str:
        if self.errors and not self.saved:
            return f"共{self.rows}行，发现{len(self.errors)}处错误，未导入任何数据。"
        text = (
            f"共{self.rows}行：新增{self.created}项，更新{self.updated}项，未变化{self.unchanged}项"
        )
        if self.skipped:
            text += f"，因错误跳过{self.skipped}行"
        return text + "。"


# --- cell parsing -------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_MONTH_END_RE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月底?$")


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    m = _DATE_RE.match(text)
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            pass
    m = _MONTH_END_RE.match(text)
    if m and 1 <= int(m[2]) <= 12:
        import calendar

        y, mo = int(m[1]), int(m[2])
        return dt.date(y, mo, calendar.monthrange(y, mo)[1])
    raise ValueError(f"“{text}”不是有效日期，请写成2026-06-30或2026年6月30日")


_QTY_RE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)\s*(\S*)$")


def parse_quantity(value: Any) -> tuple[Decimal | None, str]:
    text = _text(value).replace(",", "").replace("，", "")
    if not text:
        return None, ""
    m = _QTY_RE.match(text)
    if not m:
        raise ValueError(f"“{text}”应为数量加单位，如“9399户”“36个小区”")
    return Decimal(m[1]), m[2][:12]


def parse_percent(value: Any) -> int:
    if value is None or _text(value) == "":
        return 0
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # Excel percent cells hold 0.65 for 65%.
        n = value * 100 if 0 < value <= 1 and isinstance(value, float) else value
    else:
        text = _text(value).rstrip("%％").strip()
        try:
            n = float(text)
        except ValueError:
            raise ValueError(f"“{_text(value)}”不是有效进度，请写成0至100的百分数") from None
    if not 0 <= n <= 100:
        raise ValueError("进度应在0%至100%之间")
    return round(n)


def parse_decimal(value: Any) -> Decimal | None:
    text = _text(value).replace(",", "")
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(f"“{text}”不是有效数字") from None


class UnitIndex:
    """Unit names → nodes; a name shared by two villages must be written as 镇+村."""

    def __init__(self, actor: User):
        units = OrgNode.objects.filter(
            kind__in=[OrgNode.Kind.DEPARTMENT, OrgNode.Kind.TOWN, OrgNode.Kind.VILLAGE]
        )
        self.by_name: dict[str, list[OrgNode]] = {}
        self.by_path: dict[str, OrgNode] = {}
        for n in units:
            self.by_name.setdefault(n.name, []).append(n)
            self.by_path[n.path] = n
        self.actor = actor
        self._labels: dict[str, OrgNode] | None = None

    def _full(self, node: OrgNode) -> str:
        # 镇名+村名 without a query per node: the town is the path one step up.
        parent = self.by_path.get(node.path[: -OrgNode.steplen])
        return (parent.name if parent else "") + node.name

    def label(self, node: OrgNode) -> str:
        if len(self.by_name.get(node.name, [])) > 1:
            return self._full(node)
        return node.name

    def find(self, name: str) -> OrgNode:
        nodes = self.by_name.get(name, [])
        if len(nodes) == 1:
            node = nodes[0]
        elif len(nodes) > 1:
            raise ValueError(f"单位名称“{name}”不唯一，请写成“乡镇名+村(社区)名”")
        else:
            if self._labels is None:
                self._labels = {
                    self._full(n): n
                    for ns in self.by_name.values()
                    for n in ns
                    if n.kind == OrgNode.Kind.VILLAGE
                }
            node = self._labels.get(name)
            if node is None:
                raise ValueError(f"单位“{name}”不存在")
        if not access.covers(self.actor, node):
            raise ValueError(f"单位“{name}”不在您的管辖范围内")
        return node


STATE_BY_LABEL = {label: code for code, label in Commitment.WORKFLOW.states.items()}
KIND_BY_LABEL = {label: code for code, label in Kind.choices}
LEVEL_BY_LABEL = {label: code for code, label in ProblemLevel.choices}


# --- export -------------------------------------------------------------------


def _header(ws, columns: list[str]) -> None:
    ws.append(columns)
    for i, _ in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="C8161D")
        cell.alignment = Alignment(horizontal="center", vertical="center")
    ws.freeze_panes = "A2"


def ledger_export(*, actor: User, programme: Programme) -> bytes:
    """The programme's ledger as an .xlsx: 项目清单 and 整改清单 sheets."""
    access.require_staff(actor)
    items = list(
        access.scope_tracked(actor, Commitment.objects.filter(programme=programme))
        .select_related("owner_unit", "category", "problem")
        .prefetch_related("co_units")
        .order_by("seq", "id")
    )
    units = UnitIndex(actor)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_COMMITMENTS
    _header(ws, COMMITMENT_COLUMNS + COMMITMENT_EXTRA)
    for c in items:
        if c.kind == Kind.RECTIFICATION:
            continue
        ws.append(
            [
                c.seq,
                c.title,
                c.tasks,
                c.lead_official,
                units.label(c.owner_unit) if c.owner_unit_id else "",
                "、".join(units.label(u) for u in sorted(c.co_units.all(), key=lambda u: u.pk)),
                c.deadline.isoformat() if c.deadline else "",
                c.target_label,
                f"{c.progress_percent}%",
                c.state_label,
                c.get_kind_display(),
                c.category.name if c.category_id else "",
                c.get_level_display(),
                float(c.budget) if c.budget is not None else None,
                c.done_label,
                "是" if c.is_flagship else "",
            ]
        )
    widths = [6, 36, 50, 10, 18, 24, 12, 12, 8, 8, 12, 12, 8, 10, 12, 8]
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    rs = wb.create_sheet(SHEET_RECT)
    _header(rs, RECT_COLUMNS)
    rect = [c for c in items if c.kind == Kind.RECTIFICATION and c.problem_id]
    order = {code: i for i, code in enumerate(ProblemLevel.values)}
    rect.sort(key=lambda c: (order[c.problem.level], c.problem_id, c.seq))
    for c in rect:
        rs.append(
            [
                c.problem.text,
                c.problem.get_level_display(),
                c.title,
                c.responsible_person,
                units.label(c.owner_unit) if c.owner_unit_id else "",
                IMMEDIATE if c.is_immediate else (c.deadline.isoformat() if c.deadline else ""),
                c.state_label,
            ]
        )
    for i, w in enumerate([40, 10, 44, 10, 18, 12, 8], start=1):
        rs.column_dimensions[get_column_letter(i)].width = w
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- import -------------------------------------------------------------------


@dataclass
class Planned:
    sheet: str
    row: int
    existing: Commitment | None
    data: dict[str, Any]
    state: str
    problem_key: tuple[str, str] | None = None
    problem_unit: OrgNode | None = None


def _columns(ws, required: list[str]) -> tuple[dict[str, int], list[str]]:
    header = [_text(c.value) for c in next(ws.iter_rows(min_row=1, max_row=1))]
    index = {name: i for i, name in enumerate(header) if name}
    missing = [c for c in required if c not in index]
    return index, missing


def _sheet_kind(ws) -> str | None:
    header = {_text(c.value) for c in next(ws.iter_rows(min_row=1, max_row=1), [])}
    if {"项目名称", "序号"} & header:
        return "commitments"
    if {"问题", "整改措施"} & header:
        return "rect"
    return None


def ledger_import(
    *,
    actor: User,
    programme: Programme,
    file,
    partial: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> ImportResult:
    """Check every row, then save all (or, with partial, only the valid rows) in one transaction."""
    access.require_staff(actor)
    access.require_role(actor, Role.OFFICE)
    result = ImportResult()
    try:
        wb = load_workbook(file, read_only=True, data_only=True)
    except Exception:
        raise InvalidInput(
            "无法读取该文件，请上传Excel（.xlsx）格式的台账",
            fields={"file": ["无法读取该文件"]},
        ) from None
    sheets = [(ws, _sheet_kind(ws)) for ws in wb.worksheets]
    sheets = [(ws, k) for ws, k in sheets if k]
    if not sheets:
        raise InvalidInput(
            "未找到台账表头：第1行应为“序号、项目名称……”或“问题、层级、整改措施……”",
            fields={"file": ["未找到台账表头"]},
        )
    units = UnitIndex(actor)
    categories = {c.name: c for c in Category.objects.all()}
    existing = {c.seq: c for c in Commitment.objects.filter(programme=programme)}
    problems = {
        (p.level, p.text): p for p in RectificationProblem.objects.filter(programme=programme)
    }
    measures = {
        (c.problem.level, c.problem.text, c.title): c
        for c in Commitment.objects.filter(
            programme=programme, kind=Kind.RECTIFICATION
        ).select_related("problem")
        if c.problem_id
    }
    planned: list[Planned] = []
    bad_rows: set[tuple[str, int]] = set()
    all_rows = [(ws, kind, list(ws.iter_rows(min_row=2, values_only=True))) for ws, kind in sheets]
    total = sum(len(r) for _, _, r in all_rows)
    done = 0
    for ws, kind, rows in all_rows:
        required = COMMITMENT_COLUMNS if kind == "commitments" else RECT_COLUMNS
        index, missing = _columns(ws, required)
        if missing:
            for col in missing:
                result.errors.append(RowError(ws.title, 1, col, "缺少此列"))
            continue
        seen: dict[Any, int] = {}
        for offset, values in enumerate(rows):
            rownum = offset + 2
            done += 1
            if progress and done % 50 == 0:
                progress("check", done, total)
            if all(_text(v) == "" for v in values):
                continue
            result.rows += 1

            def cell(name: str, values=values, index=index) -> Any:
                i = index.get(name)
                return values[i] if i is not None and i < len(values) else None

            cell.has = lambda name, index=index: name in index  # type: ignore[attr-defined]

            errors: list[RowError] = []

            def err(col: str, msg: str, ws=ws, rownum=rownum, errors=errors) -> None:
                errors.append(RowError(ws.title, rownum, col, msg))

            if kind == "commitments":
                plan = _plan_commitment(
                    cell, err, units, categories, existing, seen, rownum, actor, ws.title
                )
            else:
                plan = _plan_measure(cell, err, units, problems, measures, seen, rownum, actor)
            if plan is not None:
                plan.sheet, plan.row = ws.title, rownum
            if errors or plan is None:
                result.errors.extend(errors)
                bad_rows.add((ws.title, rownum))
            else:
                planned.append(plan)
    if progress:
        progress("check", total, total)
    if result.errors and not partial:
        return result
    result.skipped = len(bad_rows)
    with transaction.atomic():
        for n, plan in enumerate(planned, start=1):
            outcome = _save(actor, programme, plan, problems)
            setattr(result, outcome, getattr(result, outcome) + 1)
            if progress and n % 20 == 0:
                progress("save", n, len(planned))
    result.saved = True
    return result


def _plan_commitment(
    cell, err, units, categories, existing, seen, rownum, actor, sheet
) -> Planned | None:
    data: dict[str, Any] = {}
    seq_text = _text(cell("序号"))
    seq = None
    if seq_text:
        try:
            seq = int(float(seq_text))
            if seq <= 0:
                raise ValueError
        except ValueError:
            err("序号", f"“{seq_text}”不是有效序号")
    if seq is not None:
        if seq in seen:
            err("序号", f"与第{seen[seq]}行序号重复")
        seen[seq] = rownum
        data["seq"] = seq
    data["title"] = _text(cell("项目名称"))
    if not data["title"]:
        err("项目名称", "不能为空")
    data["tasks"] = _text(cell("主要内容"))
    data["lead_official"] = _text(cell("牵头领导"))[:60]
    unit_name = _text(cell("责任单位"))
    data["owner_unit"] = None
    if not unit_name:
        err("责任单位", "不能为空")
    else:
        try:
            data["owner_unit"] = units.find(unit_name)
        except ValueError as e:
            err("责任单位", str(e))
    co = []
    for name in re.split(r"[、,，;；/\s]+", _text(cell("配合单位"))):
        if not name:
            continue
        try:
            co.append(units.find(name))
        except ValueError as e:
            err("配合单位", str(e))
    data["co_units"] = co
    deadline_text = cell("完成时限")
    data["deadline"] = None
    if _text(deadline_text) == "":
        err("完成时限", "不能为空")
    else:
        try:
            data["deadline"] = parse_date(deadline_text)
        except ValueError as e:
            err("完成时限", str(e))
    try:
        data["target_quantity"], data["target_unit"] = parse_quantity(cell("目标"))
    except ValueError as e:
        err("目标", str(e))
    try:
        data["progress_percent"] = parse_percent(cell("进度"))
    except ValueError as e:
        err("进度", str(e))
    state_text = _text(cell("状态")) or "草稿"
    state = STATE_BY_LABEL.get(state_text)
    if state is None:
        err("状态", f"“{state_text}”不是有效状态（{'、'.join(STATE_BY_LABEL)}）")
    current = existing.get(seq) if seq is not None else None
    # Optional columns: absent means "keep what the item has".
    if cell.has("类型") or current is None:
        kind_text = _text(cell("类型"))
        data["kind"] = KIND_BY_LABEL.get(kind_text or "民生实事项目")
        if data["kind"] is None or data["kind"] == Kind.RECTIFICATION:
            err("类型", f"“{kind_text}”应为民生实事项目或重点任务")
            data["kind"] = Kind.PROJECT
    if cell.has("类别"):
        cat_text = _text(cell("类别"))
        data["category"] = None
        if cat_text:
            data["category"] = categories.get(cat_text)
            if data["category"] is None:
                err("类别", f"类别“{cat_text}”不存在")
    if cell.has("预算(万元)"):
        try:
            data["budget"] = parse_decimal(cell("预算(万元)"))
        except ValueError as e:
            err("预算(万元)", str(e))
    if cell.has("已完成量"):
        done_text = _text(cell("已完成量"))
        data["done_quantity"] = None
        if done_text:
            try:
                data["done_quantity"], _ = parse_quantity(done_text)
            except ValueError as e:
                err("已完成量", str(e))
    if cell.has("重点项目"):
        data["is_flagship"] = _text(cell("重点项目")) in ("是", "√", "Y", "y", "1")
    if current is not None and state is not None and state != current.state:
        err(
            "状态",
            f"已有项目当前为“{current.state_label}”，状态变更须在系统中按流程办理",
        )
    if current is not None and current.state in ("accepted", "closed") and _differs(current, data):
        err("", f"项目已{current.state_label}，不能通过台账修改")
    if data.get("owner_unit") is not None and data.get("deadline") is not None:
        merged = {"kind": current.kind} if current is not None else {}
        merged.update(data)
        rule_errors = services.commitment_validate(merged, actor=actor)
        labels = {
            "title": "项目名称",
            "owner_unit": "责任单位",
            "co_units": "配合单位",
            "target_unit": "目标",
            "target_quantity": "目标",
            "budget": "预算(万元)",
            "deadline": "完成时限",
        }
        for f, msgs in rule_errors.items():
            for m in msgs:
                err(labels.get(f, ""), m)
    return Planned(sheet, rownum, current, data, state or "draft")


def _plan_measure(cell, err, units, problems, measures, seen, rownum, actor) -> Planned | None:
    problem_text = _text(cell("问题"))[:300]
    if not problem_text:
        err("问题", "不能为空")
    level_text = _text(cell("层级"))
    level = LEVEL_BY_LABEL.get(level_text)
    if level is None:
        err("层级", f"“{level_text}”应为领导班子、领导干部、基层党组织或党员个人")
    title = _text(cell("整改措施"))
    if not title:
        err("整改措施", "不能为空")
    key = (level, problem_text, title)
    if key in seen:
        err("整改措施", f"与第{seen[key]}行重复")
    seen[key] = rownum
    data: dict[str, Any] = {
        "kind": Kind.RECTIFICATION,
        "title": title,
        "responsible_person": _text(cell("责任人"))[:60],
        "owner_unit": None,
        "deadline": None,
        "is_immediate": False,
        "co_units": [],
    }
    unit_name = _text(cell("责任单位"))
    if not unit_name:
        err("责任单位", "不能为空")
    else:
        try:
            data["owner_unit"] = units.find(unit_name)
        except ValueError as e:
            err("责任单位", str(e))
    limit = cell("时限")
    if _text(limit) == IMMEDIATE:
        data["is_immediate"] = True
    elif _text(limit) == "":
        err("时限", "请填写整改时限或“立行立改”")
    else:
        try:
            data["deadline"] = parse_date(limit)
        except ValueError as e:
            err("时限", str(e))
    if not data["is_immediate"] and not data["responsible_person"]:
        err("责任人", "非立行立改的整改措施须明确责任人")
    state_text = _text(cell("状态")) or "草稿"
    state = STATE_BY_LABEL.get(state_text)
    if state is None:
        err("状态", f"“{state_text}”不是有效状态（{'、'.join(STATE_BY_LABEL)}）")
    current = measures.get(key)
    if current is not None and state is not None and state != current.state:
        err("状态", f"已有措施当前为“{current.state_label}”，状态变更须在系统中按流程办理")
    data["problem"] = problems.get((level, problem_text))
    if current is not None and current.state in ("accepted", "closed") and _differs(current, data):
        err("", f"措施已{current.state_label}，不能通过台账修改")
    return Planned(
        "",
        rownum,
        current,
        data,
        state or "draft",
        problem_key=(level, problem_text),
        problem_unit=data["owner_unit"],
    )


def _save(actor: User, programme: Programme, plan: Planned, problems: dict) -> str:
    data = dict(plan.data)
    if plan.problem_key is not None:
        problem = problems.get(plan.problem_key)
        if problem is None:
            level, text = plan.problem_key
            problem = services.problem_create(
                actor=actor, programme=programme, level=level, text=text, unit=plan.problem_unit
            )
            problems[plan.problem_key] = problem
        data["problem"] = problem
    if plan.existing is None:
        services.commitment_create(
            actor=actor,
            programme=programme,
            data=data,
            state=plan.state,
            note=f"台账导入（{plan.sheet}第{plan.row}行）",
        )
        return "created"
    if not _differs(plan.existing, data):
        return "unchanged"
    services.commitment_update(actor=actor, commitment=plan.existing, data=data)
    return "updated"


def _differs(c: Commitment, data: dict[str, Any]) -> bool:
    """Does the row say anything the item does not already hold?"""
    for key, value in data.items():
        if key == "co_units":
            if sorted(u.pk for u in value) != sorted(c.co_units.values_list("pk", flat=True)):
                return True
            continue
        if key == "problem":
            if (value.pk if value else None) != c.problem_id:
                return True
            continue
        current = getattr(c, key)
        if isinstance(value, str):
            value = value.strip()
        if isinstance(current, Decimal) and value is not None:
            if Decimal(value) != current:
                return True
            continue
        if current != value:
            return True
    return False
