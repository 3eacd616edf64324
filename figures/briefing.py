"""The monthly 工作通报 as a Word document (python-docx), laid out like a real one
(GB/T 9704 党政机关公文格式): red issuer line and rule, document number, 方正小标宋
title, 仿宋 三号 body on a 28-point line grid, 黑体/楷体 headings, A4 with 37/35/28/26 mm
margins, "— 1 —" page numbers."""

from __future__ import annotations

import io

from django.conf import settings
from django.utils import timezone
from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from orgs.models import OrgNode

from . import selectors as sel
from .exports import pct
from .models import Briefing, ScoreWeights
from .periods import Period
from .sentences import all_sentences, text_of

RED = RGBColor(0xC8, 0x16, 0x1D)
FANGSONG, HEITI, KAITI, XIAOBIAOSONG = "仿宋_GB2312", "黑体", "楷体_GB2312", "方正小标宋简体"
BODY_PT = 16  # 三号
LINE_PT = 28


def issuer_name(node: OrgNode) -> str:
    return (
        getattr(settings, "FIGURES_BRIEFING_ISSUER", "") or f"{node.name}党史学习教育领导小组办公室"
    )


def doc_number(node: OrgNode, briefing: Briefing) -> str:
    prefix = getattr(settings, "FIGURES_BRIEFING_PREFIX", "") or f"{node.name}办实事"
    return f"{prefix}〔{briefing.year}〕{briefing.number}号"


def _font(run, name: str, size: float, *, bold: bool = False, color: RGBColor | None = None):
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)
    if color is not None:
        run.font.color.rgb = color
    return run


def _para(
    doc,
    text: str = "",
    *,
    font=FANGSONG,
    size=BODY_PT,
    bold=False,
    align=None,
    indent=True,
    color=None,
    space_before=0,
    space_after=0,
    line=LINE_PT,
):
    p = doc.add_paragraph()
    fmt = p.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(line)
    fmt.space_before = Pt(space_before)
    fmt.space_after = Pt(space_after)
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    if align is not None:
        p.alignment = align
    if text:
        _font(p.add_run(text), font, size, bold=bold, color=color)
    return p


def _red_rule(paragraph) -> None:
    """The red separator under the document number (版头分隔线)."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), "18")  # eighths of a point: 2.25 pt
    bottom.set(qn("w:space"), "6")
    bottom.set(qn("w:color"), "C8161D")
    borders.append(bottom)
    ppr.append(borders)


def _page_number_footer(section) -> None:
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run("— "), FANGSONG, 14)
    run = p.add_run()
    _font(run, FANGSONG, 14)
    for tag, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if tag:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), tag)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)
    _font(p.add_run(" —"), FANGSONG, 14)


def _cell(cell, text, *, bold=False, align=WD_ALIGN_PARAGRAPH.CENTER, size=9):
    cell.text = ""
    p = cell.paragraphs[0]
    p.alignment = align
    p.paragraph_format.line_spacing = Pt(15)
    p.paragraph_format.first_line_indent = Pt(0)
    _font(p.add_run(str(text)), HEITI if bold else FANGSONG, size)


def _table(doc, headers: list[str], rows: list[list], widths_mm: list[float]):
    """A fixed-layout table (Word and LibreOffice both honour fixed widths)."""
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    for i, col in enumerate(table._tbl.tblGrid.findall(qn("w:gridCol"))):
        col.set(qn("w:w"), str(int(widths_mm[i] * 56.7)))  # twentieths of a point
    for i, h in enumerate(headers):
        _cell(table.rows[0].cells[i], h, bold=True)
    header_flag = OxmlElement("w:tblHeader")  # repeat the header row on each page
    table.rows[0]._tr.get_or_add_trPr().append(header_flag)
    for row in rows:
        cells = table.add_row().cells
        for i, v in enumerate(row):
            _cell(cells[i], "—" if v in (None, "") else v)
    for row in table.rows:
        for i, w in enumerate(widths_mm):
            row.cells[i].width = Mm(w)
    return table


def _heading(doc, text: str, level: int = 1):
    font = HEITI if level == 1 else KAITI
    p = _para(doc, text, font=font, indent=True)
    p.paragraph_format.keep_with_next = True
    return p


def _change(c) -> str:
    if c is None:
        return "新进"
    if c > 0:
        return f"↑{c}"
    if c < 0:
        return f"↓{-c}"
    return "—"


RANK_HEADERS = [
    "名次",
    "单位",
    "收到",
    "办结",
    "响应率",
    "解决率",
    "满意率",
    "按时办结率",
    "综合得分",
    "较上月",
]
RANK_WIDTHS = [10, 27, 11, 11, 17, 17, 17, 17, 15, 14]


def _pct(value) -> str:
    """Two decimals as the seeds print them ("99.69%"); a full score as "100%"."""
    if value is not None and value >= 100:
        return "100%"
    return pct(value)


def _rank_rows(rows: list[dict]) -> list[list]:
    return [
        [
            r["rank"],
            r["node"].name,
            r["received"],
            r["resolved"],
            _pct(r["response"]),
            _pct(r["resolution"]),
            _pct(r["satisfaction"]),
            _pct(r["on_time"]),
            "" if r["score"] is None else f"{r['score']:.2f}",
            _change(r["change"]),
        ]
        for r in rows
    ]


def build(*, node: OrgNode, period: Period, briefing: Briefing) -> bytes:
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(20)
    section.start_type = WD_SECTION.NEW_PAGE
    normal = doc.styles["Normal"]
    normal.font.name = FANGSONG
    normal.font.size = Pt(BODY_PT)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FANGSONG)

    # 版头: issuer in red (squeezed to one line as 发文机关标志 are), number, red rule
    head = f"{issuer_name(node)}文件"
    p = _para(
        doc,
        "",
        align=WD_ALIGN_PARAGRAPH.CENTER,
        indent=False,
        line=52,
        space_before=6,
        space_after=24,
    )
    run = _font(p.add_run(head), XIAOBIAOSONG, 30, color=RED)
    scale = min(100, int(440 * 100 / (len(head) * 30)))
    if scale < 100:
        w = OxmlElement("w:w")
        w.set(qn("w:val"), str(scale))
        run._element.get_or_add_rPr().append(w)
    number = _para(doc, doc_number(node, briefing), align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _red_rule(number)
    _para(doc, "", indent=False)

    title = f"关于{period.label}“我为群众办实事”实践活动进展情况的通报"
    _para(
        doc,
        title,
        font=XIAOBIAOSONG,
        size=22,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        indent=False,
        line=36,
        space_after=12,
    )
    addressee = (
        "各乡镇（街道）党（工）委，县直各部门："
        if node.kind == "county"
        else "各村（社区）党组织，各有关单位："
    )
    _para(doc, addressee, indent=False)
    _para(
        doc,
        f"现将{period.label}全{_level_word(node)}“我为群众办实事”实践活动进展情况通报如下：",
    )

    # 一、总体情况: the seeds' sentences, from the records
    _heading(doc, "一、总体进展情况")
    sentences = all_sentences(node, period)
    if not sentences:
        _para(doc, "本期无统计数据。")
    for s in sentences:
        _para(doc, text_of(s))

    # 二、排名
    _heading(doc, "二、综合排名情况")
    w = ScoreWeights.current()
    _para(
        doc,
        f"综合得分按响应率{w.response}%、解决率{w.resolution}%、满意率{w.satisfaction}%、"
        f"按时办结率{w.on_time}%的权重计算，排名如下。",
    )
    places = sel.ranking(node, period, kind="places")
    units = sel.ranking(node, period, kind="units")
    n = 0
    for label, rows in (("属地", places), ("承办单位", units)):
        if not rows:
            continue
        n += 1
        _heading(doc, f"（{'一二三'[n - 1]}）{label}综合排名", level=2)
        _table(doc, RANK_HEADERS, _rank_rows(rows), RANK_WIDTHS)
        _para(doc, "", indent=False, line=12)
    if not n:
        _para(doc, "本期无参与排名的单位。")

    # 三、亮点做法
    _heading(doc, "三、亮点做法")
    highlights = sel.highlights_for(node, period)
    if not highlights:
        _para(doc, "本期暂无选报的亮点做法。")
    for i, h in enumerate(highlights, 1):
        p = _para(doc, "")
        _font(p.add_run(f"{_cn_num(i)}是{h.unit.name}。"), KAITI, BODY_PT)
        _font(p.add_run(h.text), FANGSONG, BODY_PT)

    # 四、通报批评
    _heading(doc, "四、通报批评")
    criticised = sel.criticised_units(node)
    if not criticised:
        _para(doc, "本期无被通报批评的单位。")
    else:
        names = "、".join(c["unit"].name for c in criticised)
        _para(
            doc,
            f"经督办仍未按期整改到位，对以下{len(criticised)}个单位予以通报批评：{names}。"
            "相关事项如下：",
        )
        rows = []
        for c in criticised:
            for entry in c["items"]:
                item = entry["item"]
                rows.append(
                    [
                        c["unit"].name,
                        entry["kind"],
                        str(item)[:40],
                        item.deadline.isoformat() if item.deadline else "",
                        item.get_supervision_status_display(),
                        item.get_escalation_level_display(),
                    ]
                )
        _table(
            doc,
            ["责任单位", "类型", "事项", "完成时限", "督办状态", "督办级别"],
            rows,
            [32, 22, 60, 24, 18, 20],
        )
        _para(doc, "", indent=False, line=12)
        _para(doc, "被通报单位要在5个工作日内向县党史学习教育领导小组办公室书面报告整改情况。")

    # 五、下步要求
    _heading(doc, "五、下步工作要求")
    _para(
        doc,
        "各单位要对照本通报，认真梳理群众诉求和实事项目办理中存在的问题，逐项明确责任人和完成时限，"
        "做到“完成一个、验收一个、销号一个”；要严格落实每月25日报送项目推进进度的要求，"
        "确保“我为群众办实事”实践活动取得实效。",
    )

    _para(doc, "", indent=False)
    today = timezone.localdate()
    _para(doc, issuer_name(node), align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    _para(
        doc,
        f"{today.year}年{today.month}月{today.day}日",
        align=WD_ALIGN_PARAGRAPH.RIGHT,
        indent=False,
    )
    _page_number_footer(section)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _level_word(node: OrgNode) -> str:
    return {"county": "县", "town": "镇（街道）", "city": "市", "province": "省"}.get(node.kind, "")


def _cn_num(i: int) -> str:
    digits = "零一二三四五六七八九十"
    return digits[i] if i <= 10 else str(i)
