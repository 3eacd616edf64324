"""The referral dossier (移送纪委材料) as a Word file: the item, its whole timeline
and its supervision notices. Built on request from the append-only records, so
it always matches them; only the discipline role can ask for it."""

from __future__ import annotations

import io

from django.utils import timezone
from docx import Document
from docx.shared import Pt

from tracking import registry
from tracking.selectors import timeline_for

from . import hooks
from .models import Notice, Referral


def _fmt(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
    return str(value)


def build(referral: Referral) -> bytes:
    item = referral.item
    model = referral.item_type.model_class()
    kind = registry.kind_for(model)
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(11)
    doc.add_heading("移送纪委监委问题线索材料", level=1)
    doc.add_paragraph(
        f"移送时间：{_fmt(referral.created_at)}　　责任单位：{referral.unit or '未交办'}"
    )
    doc.add_paragraph(f"移送事由：{referral.reason}")

    doc.add_heading("一、事项基本情况", level=2)
    rows = [
        ("事项类别", kind.label),
        ("事项编号", f"{hooks.key(kind)}#{referral.item_id}"),
    ]
    if item is not None:
        rows += [
            ("事项名称", hooks.title(kind, item)),
            ("当前状态", item.state_label),
            ("所在地", str(item.place)),
            ("责任单位", str(item.owner_unit or "")),
            ("完成时限", _fmt(item.deadline)),
            ("督办状态", item.get_supervision_status_display()),
            ("督办级别", item.get_escalation_level_display()),
        ]
        for field in ("text", "tasks", "result"):
            value = getattr(item, field, "")
            if value:
                rows.append((model._meta.get_field(field).verbose_name, str(value)))
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for key, value in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = str(key), str(value)

    doc.add_heading("二、办理全过程纪实", level=2)
    entries = list(timeline_for(item)) if item is not None else []
    table = doc.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    for cell, text in zip(
        table.rows[0].cells, ("时间", "操作人", "动作", "状态", "说明"), strict=True
    ):
        cell.text = text
    wf = model.WORKFLOW
    for e in entries:
        cells = table.add_row().cells
        state = f"{wf.label(e.from_state)}→{wf.label(e.to_state)}" if e.to_state else ""
        cells[0].text = _fmt(e.created_at)
        cells[1].text = e.actor_label
        cells[2].text = e.action_label
        cells[3].text = state
        cells[4].text = e.note

    doc.add_heading("三、督办单及答复", level=2)
    notices = Notice.objects.filter(
        item_type=referral.item_type, item_id=referral.item_id
    ).order_by("id")
    if not notices:
        doc.add_paragraph("无。")
    for n in notices:
        doc.add_paragraph(
            f"督办单 {n.number}（{n.get_level_display()}，{n.get_status_display()}）"
            f"　下发：{_fmt(n.created_at)}　答复时限：{_fmt(n.answer_due)}"
        )
        doc.add_paragraph(f"督办事由：{n.reason}")
        if n.answer:
            doc.add_paragraph(f"书面答复（{_fmt(n.answered_at)}）：{n.answer}")
        else:
            doc.add_paragraph("书面答复：未答复。")
    doc.add_paragraph(f"材料生成时间：{_fmt(timezone.now())}")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
