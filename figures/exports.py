"""Excel exports (openpyxl): every list and figure table, masked by the reader's rights."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from django.db.models import Count
from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from core.errors import InvalidInput

from .measures import RATES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 50_000


def workbook(title: str, headers: Sequence[str], rows: Iterable[Sequence], note: str = "") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=14)
    if note:
        ws.append([note])
    ws.append(list(headers))
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F2F2F2")
        cell.alignment = Alignment(horizontal="center")
    widths = [max(6, len(str(h)) * 2 + 2) for h in headers]
    for n, row in enumerate(rows):
        if n >= MAX_ROWS:
            ws.append([f"（仅导出前{MAX_ROWS}行）"])
            break
        values = ["" if v is None else v for v in row]
        ws.append(values)
        for i, v in enumerate(values[: len(widths)]):
            widths[i] = min(60, max(widths[i], len(str(v)) * 2 if isinstance(v, str) else 10))
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def file_response(filename: str, data: bytes, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def xlsx_response(filename: str, data: bytes) -> HttpResponse:
    return file_response(filename, data, XLSX)


def pct(value) -> str:
    return "" if value is None else f"{value:.2f}%"


# --- the tables (pages and the API export the same files) ------------------------------

RATE_HEADERS = [label for label, _n, _d in RATES.values()]
BASE_HEADERS = ["收到", "受理", "不予受理", "办结", "超期未办结", "重办", "评价(次)", "满意(次)"]
BASE_KEYS = [
    "received",
    "accepted",
    "declined",
    "resolved",
    "overdue",
    "reopened",
    "rated",
    "satisfied",
]
FIGURE_TABLES = {"trend": "月份", "category": "类别", "places": "地区"}


def _rate_cols(row) -> list[str]:
    return [pct(row.get(k)) for k in RATES]


def figure_table(which, node, period, trend, by_category, by_child) -> tuple[str, bytes]:
    """One of the dashboard's tables: (file name, xlsx bytes)."""
    if which not in FIGURE_TABLES:
        raise InvalidInput(
            "未知的导出表格，可选：trend、category、places", fields={"table": ["未知的表格"]}
        )
    source = {"trend": trend, "category": by_category, "places": by_child}[which]

    def name(r):
        return {"trend": r.get("label"), "category": r.get("name")}.get(which) or r["node"].name

    rows = [[name(r), *[r[k] for k in BASE_KEYS], *_rate_cols(r)] for r in source]
    title = f"{node.name}{period.label}诉求办理情况"
    head = [FIGURE_TABLES[which], *BASE_HEADERS, *RATE_HEADERS]
    return f"{title}-{which}.xlsx", workbook(title, head, rows)


def ranking_table(title: str, rows: list[dict]) -> tuple[str, bytes]:
    head = ["名次", "单位", "较上月", "收到", "办结", *RATE_HEADERS, "综合得分"]
    data = [
        [
            r["rank"],
            r["node"].name,
            "" if r["change"] is None else r["change"],
            r["received"],
            r["resolved"],
            *_rate_cols(r),
            r["score"],
        ]
        for r in rows
    ]
    return f"{title}.xlsx", workbook(title, head, data)


def activities_table(node, period, qs) -> tuple[str, bytes]:
    title = f"{node.name}{period.label}活动记录"
    head = [
        "日期",
        "类型",
        "主题",
        "地点",
        "覆盖群众(人次)",
        "参与党员干部",
        "走访居民小组",
        "收集问题",
        "意见建议",
        "关联诉求",
        "记录人",
    ]
    rows = (
        [
            a.date,
            a.get_kind_display(),
            a.title,
            a.place.name,
            a.people_reached,
            a.participants,
            a.groups_visited,
            a.problems_collected,
            a.suggestions_collected,
            a.linked_cases,
            str(a.recorded_by or ""),
        ]
        for a in qs.select_related("place", "recorded_by")
        .annotate(linked_cases=Count("case_links"))
        .iterator()
    )
    return f"{title}.xlsx", workbook(title, head, rows)


def commitments_table(title: str, qs) -> tuple[str, bytes]:
    head = [
        "序号",
        "项目名称",
        "类型",
        "责任单位",
        "完成时限",
        "进度",
        "状态",
        "督办状态",
        "督办级别",
    ]
    rows = (
        [
            i,
            c.title,
            c.get_kind_display(),
            c.owner_unit.name if c.owner_unit else "",
            c.deadline,
            f"{c.progress_percent}%",
            c.state_label,
            c.get_supervision_status_display(),
            c.get_escalation_level_display(),
        ]
        for i, c in enumerate(qs.order_by("pk").iterator(), 1)
    )
    return f"{title}.xlsx", workbook(title, head, rows)


CASE_EXPORT_LIMIT = 5000


def cases_table(actor, qs, title: str) -> tuple[str, bytes]:
    """The cases behind a figure. Contact columns in full only where the reader may see
    them (each such read logged); masked otherwise."""
    from cases.masking import public_place
    from cases.models import CaseContact
    from cases.services import can_view_contact
    from core.masking import mask_name, mask_phone
    from tracking.services import personal_data_access_log

    rows = []
    items = list(qs.order_by("-id")[:CASE_EXPORT_LIMIT])
    contacts = {c.case_id: c for c in CaseContact.objects.filter(case__in=[c.pk for c in items])}
    for c in items:
        contact = contacts.get(c.pk)
        name = phone = ""
        address = public_place(c.place)
        if contact is not None:
            if can_view_contact(actor, c):
                personal_data_access_log(
                    actor=actor, item=c, fields=["name", "phone", "address"], reason="导出统计明细"
                )
                name, phone = contact.name, contact.phone
                address = f"{address} {c.address}".strip()
            else:
                name, phone = mask_name(contact.name), mask_phone(contact.phone)
        rows.append(
            [
                c.tracking_code,
                c.display_title,
                c.get_kind_display(),
                c.get_channel_display(),
                c.category.name if c.category else "",
                address,
                c.owner_unit.name if c.owner_unit else "",
                c.state_label,
                timezone.localtime(c.collected_at).strftime("%Y-%m-%d %H:%M"),
                c.deadline,
                timezone.localtime(c.replied_at).strftime("%Y-%m-%d") if c.replied_at else "",
                c.rating_satisfied,
                c.rating_neutral,
                c.rating_unsatisfied,
                name,
                phone,
            ]
        )
    head = [
        "查询码",
        "标题",
        "类型",
        "渠道",
        "类别",
        "地点",
        "责任单位",
        "状态",
        "收集时间",
        "办理时限",
        "办结日期",
        "满意",
        "基本满意",
        "不满意",
        "诉求人",
        "联系电话",
    ]
    return f"{title}.xlsx", workbook(title, head, rows)
