"""Reading and checking a hotline / ledger file of cases (12345 work orders, 台账).

Phase one reads every row and checks it, collecting errors by row in Chinese;
nothing is written while any row is wrong. Phase two (services.cases_import) writes
the checked rows in bulk. Lookups (categories, units, places, known references) are
loaded once into dictionaries, so checking 100,000 rows costs a few queries.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from django.utils import timezone

from orgs.models import OrgNode
from taxonomy.models import Category, Item

# field -> (default header, accepted aliases). The mapping is configurable (CLI --map,
# the upload page, settings.API_IMPORT_COLUMNS); only 内容 or 标题 is required.
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "external_ref": ("编号", ("工单编号", "工单号", "序号", "受理编号", "编码")),
    "title": ("标题", ("诉求标题", "工单标题", "主题")),
    "text": ("内容", ("诉求内容", "问题描述", "来电内容", "反映内容", "工单内容")),
    "category": ("分类", ("诉求分类", "问题分类", "类别", "大类", "小项")),
    "unit": ("承办单位", ("承办部门", "责任单位", "办理单位", "处置单位")),
    "place": ("地点", ("所在地", "发生地点", "地址", "事发地点", "所属村居")),
    "collected_at": ("来电时间", ("受理时间", "登记时间", "来信时间", "反映时间", "创建时间")),
    "state": ("状态", ("办理状态", "工单状态", "处理状态")),
    "result": ("答复", ("答复内容", "办理结果", "处理结果", "回复内容")),
    # optional: when the reply was given (otherwise the call time stands in for it)
    "replied_at": ("办结时间", ("答复时间", "回复时间", "办结日期")),
}
FIELD_LABELS = {name: default for name, (default, _aliases) in FIELDS.items()}

# Chinese state words found in hotline ledgers -> case states.
STATE_WORDS: dict[str, str] = {
    "待受理": "submitted",
    "待处理": "submitted",
    "新建": "submitted",
    "未受理": "submitted",
    "已受理": "accepted",
    "受理": "accepted",
    "不予受理": "declined",
    "退件": "declined",
    "已合并": "merged",
    "重复件": "merged",
    "已交办": "dispatched",
    "已派单": "dispatched",
    "已转办": "dispatched",
    "待签收": "dispatched",
    "已签收": "signed",
    "办理中": "in_progress",
    "处理中": "in_progress",
    "已办结": "replied",
    "办结": "replied",
    "已答复": "replied",
    "已回复": "replied",
    "已处理": "replied",
    "已评价": "rated",
    "已回访": "rated",
    "已销号": "closed",
    "已关闭": "closed",
    "已归档": "closed",
    "已完结": "closed",
}
NEEDS_UNIT = frozenset({"dispatched", "signed", "in_progress", "replied", "rated"})
MAX_TEXT = 5000
MAX_ERRORS_KEPT = 2000
PLACE_KINDS = (OrgNode.Kind.TOWN, OrgNode.Kind.VILLAGE, OrgNode.Kind.GRID)
UNIT_KINDS = (OrgNode.Kind.DEPARTMENT, OrgNode.Kind.TOWN, OrgNode.Kind.VILLAGE)


@dataclass
class RowError:
    row: int  # the row number as the office sees it in Excel (header = row 1)
    column: str
    message: str

    def __str__(self) -> str:
        where = f"第{self.row}行" if self.row else "文件"
        return f"{where}" + (f"【{self.column}】" if self.column else "") + f"：{self.message}"


@dataclass
class CheckedRow:
    row: int
    external_ref: str
    title: str
    text: str
    category_key: str  # resolved later if created (create_missing)
    category_id: int | None
    item_id: int | None
    unit_key: str
    unit_id: int | None
    place_id: int
    address: str
    collected_at: dt.datetime
    state: str
    result: str
    replied_at: dt.datetime | None = None


@dataclass
class Plan:
    """The outcome of checking a file: rows to write, rows skipped, errors by row."""

    source: str
    rows: list[CheckedRow] = field(default_factory=list)
    skipped: int = 0  # already imported (same source and 编号)
    total: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    missing_categories: set[str] = field(default_factory=set)
    missing_units: set[str] = field(default_factory=set)
    headers: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)

    def add_error(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(RowError(row, column, message))

    @property
    def ok(self) -> bool:
        return self.error_count == 0


# --- reading ----------------------------------------------------------------


def _decode(data: bytes) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise ValueError("无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV")
    return str(best)


def read_table(file: BinaryIO | str | Path, filename: str = "") -> tuple[list[str], Iterator]:
    """(headers, iterator of (row number, [cells])) from a CSV or an Excel (.xlsx) file."""
    name = (filename or str(getattr(file, "name", file))).lower()
    if isinstance(file, str | Path):
        file = open(file, "rb")  # noqa: SIM115 - closed when the iterator ends
    if name.endswith((".xlsx", ".xlsm")):
        return _read_excel(file)
    if name.endswith(".xls"):
        raise ValueError("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV")
    data = file.read()
    if data[:2] == b"PK":  # an .xlsx under another name
        return _read_excel(io.BytesIO(data))
    text = _decode(data)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;，")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    return _with_header(enumerate(reader, start=1))


def _read_excel(file: BinaryIO) -> tuple[list[str], Iterator]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise ValueError("无法读取该 Excel 文件，请确认是 .xlsx 格式") from exc
    ws = wb.worksheets[0]
    rows = enumerate(ws.iter_rows(values_only=True), start=1)
    return _with_header(rows)


def _with_header(rows: Iterator) -> tuple[list[str], Iterator]:
    for number, cells in rows:
        if any(c not in (None, "") and str(c).strip() for c in cells):
            headers = [str(c).strip() if c is not None else "" for c in cells]
            return headers, ((n, list(c)) for n, c in rows)
        del number
    return [], iter(())


def count_rows(file: BinaryIO | str | Path, filename: str = "") -> int:
    _headers, rows = read_table(file, filename)
    return sum(1 for _ in rows)


# --- mapping ----------------------------------------------------------------


def parse_mapping(spec: str | Iterable[str] | dict | None) -> dict[str, str]:
    """ "内容=问题描述,编号=工单号" (or a dict) -> {field: header}. Keys may be the
    Chinese default header or the field name."""
    if not spec:
        return {}
    if isinstance(spec, dict):
        pairs = spec.items()
    else:
        parts = re.split(r"[,，;\n]", spec) if isinstance(spec, str) else list(spec)
        pairs = []
        for part in parts:
            if not part.strip():
                continue
            if "=" not in part:
                raise ValueError(f"列名对照“{part.strip()}”应写成 字段=表头，如 内容=问题描述")
            k, _, v = part.partition("=")
            pairs.append((k, v))
    by_label = {default: name for name, (default, _a) in FIELDS.items()}
    out: dict[str, str] = {}
    for key, header in pairs:
        key, header = str(key).strip(), str(header).strip()
        name = key if key in FIELDS else by_label.get(key)
        if name is None:
            raise ValueError(f"未知字段“{key}”，可用：{'、'.join(by_label)}")
        if header:
            out[name] = header
    return out


def resolve_columns(
    headers: list[str], mapping: dict[str, str]
) -> tuple[dict[str, int], list[str]]:
    """{field: column index} and the problems (a mapped header not in the file)."""
    index = {h: i for i, h in reversed(list(enumerate(headers))) if h}
    columns: dict[str, int] = {}
    problems: list[str] = []
    for name, (default, aliases) in FIELDS.items():
        if name in mapping:
            if mapping[name] in index:
                columns[name] = index[mapping[name]]
            else:
                problems.append(f"表头中没有“{mapping[name]}”列（对应“{default}”）")
            continue
        for candidate in (default, *aliases):
            if candidate in index:
                columns[name] = index[candidate]
                break
    if "text" not in columns and "title" not in columns and not problems:
        problems.append("找不到“内容”或“标题”列，请检查表头或设置列名对照")
    return columns, problems


# --- values -----------------------------------------------------------------

_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d %H:%M",
    "%Y.%m.%d",
    "%Y%m%d%H%M%S",
    "%Y%m%d",
    "%Y-%m-%dT%H:%M:%S",
)
_CN_DATE = re.compile(
    r"^(\d{4})年(\d{1,2})月(\d{1,2})日(?:\s*(\d{1,2})[时:：](\d{1,2})(?:分|[:：](\d{1,2}))?(?:\d{1,2}秒)?)?$"
)


def parse_time(value: Any) -> dt.datetime | None:
    """Excel dates, ISO text, 2026/1/5 8:30, 2026年1月5日8时30分 -> aware datetime; None if not a date."""
    if isinstance(value, dt.datetime):
        naive = value
    elif isinstance(value, dt.date):
        naive = dt.datetime.combine(value, dt.time(9, 0))
    elif isinstance(value, int | float) and 20000 < value < 80000:
        naive = dt.datetime(1899, 12, 30) + dt.timedelta(days=float(value))  # Excel serial
    else:
        text = str(value).strip().replace("T", " ") if value is not None else ""
        text = re.sub(r"\s+", " ", text)
        naive = None
        m = _CN_DATE.match(text.replace(" ", ""))
        if m:
            y, mo, d, h, mi, s = (int(x) if x else 0 for x in m.groups())
            try:
                naive = dt.datetime(y, mo, d, h, mi, s)
            except ValueError:
                return None
        else:
            text = re.sub(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", _pad_date, text)
            for fmt in _DATE_FORMATS:
                try:
                    naive = dt.datetime.strptime(text.replace(" ", "T" if "T" in fmt else " "), fmt)
                    break
                except ValueError:
                    continue
            if naive is None:
                try:
                    parsed = dt.datetime.fromisoformat(text)
                except ValueError:
                    return None
                return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
    if naive.year < 1990:
        return None
    return timezone.make_aware(naive) if timezone.is_naive(naive) else naive


def _pad_date(m: re.Match) -> str:
    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel turns 2026001 into 2026001.0
    return str(value).replace("\x00", "").strip()


def derived_ref(title: str, text: str, when: str, place: str) -> str:
    """A stable reference for a row without 编号, so importing it again adds nothing."""
    digest = hashlib.sha1(f"{title}\x1f{text}\x1f{when}\x1f{place}".encode()).hexdigest()
    return f"h:{digest[:30]}"


# --- lookups ----------------------------------------------------------------


class Lookups:
    """Everything rows are matched against, loaded once."""

    def __init__(self, *, node: OrgNode, source: str):
        from cases.models import Case
        from orgs.access import subtree_q

        self.node = node
        self.categories: dict[str, tuple[int, int | None]] = {}
        for c in Category.objects.all().only("id", "code", "name"):
            self.categories.setdefault(c.name, (c.pk, None))
            self.categories[c.code] = (c.pk, None)
        for i in Item.objects.all().only("id", "code", "name", "category_id"):
            self.categories.setdefault(i.name, (i.category_id, i.pk))
            self.categories.setdefault(i.code, (i.category_id, i.pk))
        # Units: departments anywhere above or below the node's county, towns and villages
        # in the node's subtree. A name shared by two units is ambiguous (None).
        county = self._county(node)
        self.units: dict[str, int | None] = {}
        unit_qs = OrgNode.objects.filter(subtree_q(county), kind__in=UNIT_KINDS).only(
            "id", "code", "name", "path"
        )
        for u in unit_qs:
            self.units[u.name] = None if u.name in self.units else u.pk
            self.units[u.code] = u.pk
        # Places inside the node's subtree, longest names first for substring matching.
        self.places: dict[str, int | None] = {}
        self.labels: dict[str, int] = {}
        place_qs = OrgNode.objects.filter(subtree_q(node), kind__in=PLACE_KINDS).only(
            "id", "code", "name", "path", "depth"
        )
        nodes = list(place_qs)
        by_path = {n.path: n for n in nodes}
        for n in nodes:
            self.places[n.name] = None if n.name in self.places else n.pk
            self.places[n.code] = n.pk
            parent = by_path.get(n.path[: -OrgNode.steplen])
            if parent is not None:
                self.labels[parent.name + n.name] = n.pk
        self.place_names = sorted(
            (k for k, v in self.places.items() if v is not None and not k.isascii()),
            key=len,
            reverse=True,
        )
        self.known_refs: set[str] = set(
            Case.objects.filter(external_source=source)
            .exclude(external_ref="")
            .values_list("external_ref", flat=True)
            .iterator(chunk_size=5000)
        )
        self.default_place = node.pk

    @staticmethod
    def _county(node: OrgNode) -> OrgNode:
        if node.kind in (OrgNode.Kind.PROVINCE, OrgNode.Kind.CITY, OrgNode.Kind.COUNTY):
            return node
        for anc in reversed(list(OrgNode.objects.filter(path__in=_ancestor_paths(node)))):
            if anc.kind == OrgNode.Kind.COUNTY:
                return anc
        return OrgNode.objects.filter(path=node.path[: OrgNode.steplen]).first() or node

    def place_for(self, text: str) -> tuple[int | None, str]:
        """(node id, the rest as a private address) for a 地点 cell."""
        text = text.strip()
        if not text:
            return self.default_place, ""
        if text in self.labels:
            return self.labels[text], ""
        if text in self.places:
            return self.places[text], ""
        # "城关街道幸福社区3号楼2单元": the deepest node named inside the text.
        best = None
        for name in self.place_names:
            if len(name) >= 2 and name in text:
                best = self.places[name]
                break
        return (best or self.default_place), text


def _ancestor_paths(node: OrgNode) -> list[str]:
    step = OrgNode.steplen
    return [node.path[: i * step] for i in range(1, len(node.path) // step)]


# --- checking ---------------------------------------------------------------


def check_file(
    file: BinaryIO | str | Path,
    *,
    filename: str = "",
    node: OrgNode,
    source: str,
    mapping: dict[str, str] | None = None,
    create_missing: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Plan:
    """Read and check every row. Nothing is written."""
    plan = Plan(source=source)
    try:
        headers, rows = read_table(file, filename)
    except ValueError as exc:
        plan.add_error(0, "", str(exc))
        return plan
    plan.headers = headers
    if not headers:
        plan.add_error(0, "", "文件是空的")
        return plan
    from django.conf import settings

    # A deployment's usual headers (settings), then this file's own mapping.
    mapping = {**parse_mapping(getattr(settings, "API_IMPORT_COLUMNS", None)), **(mapping or {})}
    columns, problems = resolve_columns(headers, mapping)
    plan.mapping = {name: headers[i] for name, i in columns.items()}
    for p in problems:
        plan.add_error(1, "", p)
    if problems:
        return plan
    look = Lookups(node=node, source=source)
    seen: dict[str, int] = {}
    now = timezone.now()
    labels = FIELD_LABELS

    def get(cells: list, name: str) -> Any:
        i = columns.get(name)
        return cells[i] if i is not None and i < len(cells) else None

    for number, cells in rows:
        if progress is not None and number % 1000 == 0:
            progress(number)
        if not any(cell_text(c) for c in cells):
            continue
        plan.total += 1
        errors_before = plan.error_count
        title = cell_text(get(cells, "title"))
        text = cell_text(get(cells, "text")) or title
        if not text:
            plan.add_error(number, "内容", "内容和标题都为空")
        if len(text) > MAX_TEXT:
            plan.add_error(number, labels["text"], f"内容不能超过{MAX_TEXT}字（当前{len(text)}字）")
        if len(title) > 200:
            plan.add_error(number, labels["title"], f"标题不能超过200字（当前{len(title)}字）")

        raw_time = get(cells, "collected_at")
        when = now
        if cell_text(raw_time):
            parsed = parse_time(raw_time)
            if parsed is None:
                plan.add_error(
                    number,
                    labels["collected_at"],
                    f"无法识别的时间“{cell_text(raw_time)[:30]}”，请写成 2026-01-31 08:30",
                )
            elif parsed > now + dt.timedelta(minutes=5):
                plan.add_error(number, labels["collected_at"], "时间不能晚于现在")
            else:
                when = parsed

        cat_text = cell_text(get(cells, "category"))
        cat_id = item_id = None
        if cat_text:
            found = look.categories.get(cat_text) or look.categories.get(cat_text.split("/")[-1])
            if found:
                cat_id, item_id = found
            elif create_missing:
                if len(cat_text) > 60:
                    plan.add_error(number, labels["category"], "分类名称不能超过60字")
                plan.missing_categories.add(cat_text)
            else:
                plan.add_error(
                    number,
                    labels["category"],
                    f"分类“{cat_text}”不存在（可选“自动新建”：命令行加 --create-missing）",
                )

        unit_text = cell_text(get(cells, "unit"))
        unit_id = None
        if unit_text:
            if unit_text in look.units:
                unit_id = look.units[unit_text]
                if unit_id is None:
                    plan.add_error(
                        number, labels["unit"], f"有多个名为“{unit_text}”的单位，请改写为单位编码"
                    )
            elif create_missing:
                if len(unit_text) > 100:
                    plan.add_error(number, labels["unit"], "单位名称不能超过100字")
                plan.missing_units.add(unit_text)
            else:
                plan.add_error(
                    number,
                    labels["unit"],
                    f"承办单位“{unit_text}”不存在（可选“自动新建”：命令行加 --create-missing）",
                )

        place_text = cell_text(get(cells, "place"))
        place_id, address = look.place_for(place_text)
        if place_id is None:
            plan.add_error(
                number, labels["place"], f"有多个名为“{place_text}”的地点，请写成“乡镇+村（社区）”"
            )
        if len(address) > 200:
            address = address[:200]

        state_text = cell_text(get(cells, "state"))
        result = cell_text(get(cells, "result"))
        if state_text:
            state = STATE_WORDS.get(state_text) or (
                state_text if state_text in set(STATE_WORDS.values()) else None
            )
            if state is None:
                plan.add_error(
                    number,
                    labels["state"],
                    f"无法识别的状态“{state_text[:20]}”，可用：待受理、已受理、已交办、已签收、办理中、已办结、已评价、已销号、不予受理",
                )
                state = "submitted"
        elif result:
            state = "replied"
        elif unit_text:
            state = "dispatched"
        else:
            state = "submitted"
        if state in NEEDS_UNIT and not unit_text:
            plan.add_error(number, labels["unit"], f"状态为“{state_text or state}”时须填写承办单位")
        replied_at = None
        raw_replied = get(cells, "replied_at")
        if cell_text(raw_replied):
            replied_at = parse_time(raw_replied)
            if replied_at is None or replied_at < when:
                plan.add_error(
                    number,
                    labels["replied_at"],
                    f"办结时间“{cell_text(raw_replied)[:30]}”无效或早于来电时间",
                )
        if len(result) > MAX_TEXT:
            plan.add_error(number, labels["result"], f"答复不能超过{MAX_TEXT}字")

        ref = cell_text(get(cells, "external_ref"))
        if len(ref) > 64:
            plan.add_error(number, labels["external_ref"], "编号不能超过64个字符")
        if not ref:
            ref = derived_ref(title, text, cell_text(raw_time), place_text)
        if ref in seen:
            plan.add_error(number, labels["external_ref"], f"编号“{ref[:64]}”与第{seen[ref]}行重复")
            continue
        seen[ref] = number
        if plan.error_count != errors_before:
            continue
        if ref in look.known_refs:
            plan.skipped += 1
            continue
        plan.rows.append(
            CheckedRow(
                row=number,
                external_ref=ref,
                title=title,
                text=text,
                category_key=cat_text,
                category_id=cat_id,
                item_id=item_id,
                unit_key=unit_text,
                unit_id=unit_id,
                place_id=place_id,
                address=address,
                collected_at=when,
                state=state,
                result=result,
                replied_at=replied_at,
            )
        )
    if plan.total == 0 and plan.ok:
        plan.add_error(0, "", "文件中没有数据行")
    return plan
