"""The province-size data set: org tree, staff, cases, commitments — by bulk inserts.

Org nodes are django-treebeard MP nodes (alphabet digits, steplen 5, see
orgs/models.py); their paths are computed here directly so the whole tree goes
in with a few bulk_create calls instead of one add_child (and one UPDATE of the
parent) per node.
"""

from __future__ import annotations

import contextlib
import time

from django.db import connection, transaction

from orgs.models import OrgNode, Role, User

from .scales import FULL, QUICK, SCALES, TINY, Scale  # noqa: F401 (re-exported)

STEPLEN = OrgNode.steplen
BATCH = 5000

CITY_NAMES = ["东陵", "西川", "南江", "北原", "中州", "青岚", "云台", "金沙", "玉泉", "银湖"]
COUNTY_TAILS = ["县", "县", "区", "县", "市", "县", "区", "县", "县", "县"]
COUNTY_HEADS = "安宁丰和华康永平顺兴福寿泰长清河"
TOWN_TAILS = ["镇", "镇", "乡", "街道", "镇"]
VILLAGE_TAILS = ["村", "村", "社区", "村"]
VILLAGE_HEADS = "安乐丰和华康宁平顺兴旺福寿永新前后东西南北上下大小李王张刘陈杨赵黄周吴"
DEPARTMENTS = [
    "教育局",
    "卫生健康局",
    "人力资源和社会保障局",
    "民政局",
    "住房和城乡建设局",
    "自然资源和规划局",
    "交通运输局",
    "水利局",
    "农业农村局",
    "生态环境分局",
    "市场监督管理局",
    "公安局",
    "城市管理局",
    "行政审批服务局",
    "医疗保障局",
    "应急管理局",
    "文化和旅游局",
    "司法局",
    "县纪委监委",
    "县委政法委",
]


def _step(i: int) -> str:
    return str(i).zfill(STEPLEN)


class TreeBuilder:
    """Collects OrgNode rows with computed paths; flushes them level by level."""

    def __init__(self) -> None:
        self.rows: list[OrgNode] = []
        self.children: dict[str, int] = {}

    def add(self, parent_path: str | None, code: str, name: str, kind: str) -> str:
        key = parent_path or ""
        n = self.children.get(key, 0) + 1
        self.children[key] = n
        path = key + _step(n)
        self.rows.append(
            OrgNode(
                path=path, depth=len(path) // STEPLEN, numchild=0, code=code, name=name, kind=kind
            )
        )
        return path

    def save(self) -> int:
        for row in self.rows:
            row.numchild = self.children.get(row.path, 0)
        OrgNode.objects.bulk_create(self.rows, batch_size=BATCH)
        return len(self.rows)


def build_tree(scale: Scale) -> dict:
    """Province -> cities -> counties -> (departments, towns -> villages -> grids)."""
    started = time.perf_counter()
    last_root = (
        OrgNode.objects.filter(depth=1).order_by("-path").values_list("path", flat=True).first()
    )
    b = TreeBuilder()
    # Start numbering roots after those already there (the demo county).
    b.children[""] = int(last_root) if last_root else 0
    province = b.add(None, "P", "示范省", OrgNode.Kind.PROVINCE)
    for c in range(1, scale.cities + 1):
        cname = CITY_NAMES[(c - 1) % len(CITY_NAMES)] + ("市" if c <= 10 else f"{c}市")
        city = b.add(province, f"P{c:02d}", cname, OrgNode.Kind.CITY)
        for k in range(1, scale.counties_per_city + 1):
            kcode = f"P{c:02d}K{k:02d}"
            head = (
                COUNTY_HEADS[(c * 7 + k) % len(COUNTY_HEADS)]
                + COUNTY_HEADS[(c + k * 3) % len(COUNTY_HEADS)]
            )
            county = b.add(
                city, kcode, head + COUNTY_TAILS[k % len(COUNTY_TAILS)], OrgNode.Kind.COUNTY
            )
            for d in range(1, scale.departments_per_county + 1):
                b.add(
                    county,
                    f"{kcode}D{d:02d}",
                    DEPARTMENTS[(d - 1) % len(DEPARTMENTS)],
                    OrgNode.Kind.DEPARTMENT,
                )
            for t in range(1, scale.towns_per_county + 1):
                tcode = f"{kcode}T{t:02d}"
                tname = (
                    VILLAGE_HEADS[(t * 5 + k) % len(VILLAGE_HEADS)]
                    + VILLAGE_HEADS[(t + c) % len(VILLAGE_HEADS)]
                    + TOWN_TAILS[t % len(TOWN_TAILS)]
                )
                town = b.add(county, tcode, tname, OrgNode.Kind.TOWN)
                for v in range(1, scale.villages_per_town + 1):
                    vcode = f"{tcode}V{v:02d}"
                    vname = (
                        VILLAGE_HEADS[(v * 3 + t) % len(VILLAGE_HEADS)]
                        + VILLAGE_HEADS[(v + t * 7 + k) % len(VILLAGE_HEADS)]
                        + VILLAGE_TAILS[v % len(VILLAGE_TAILS)]
                    )
                    village = b.add(town, vcode, vname, OrgNode.Kind.VILLAGE)
                    for g in range(1, scale.grids_per_village + 1):
                        b.add(village, f"{vcode}G{g}", f"第{g}网格", OrgNode.Kind.GRID)
    with transaction.atomic():
        n = b.save()
    return {"nodes": n, "seconds": round(time.perf_counter() - started, 2)}


# Staff used to time the pages: who sees how much.
BENCH_USERS = [
    # username, node code, roles
    ("b_province", "P", [Role.OFFICE]),
    ("b_county", "P01K01", [Role.OFFICE]),
    ("b_unit", "P01K01D01", [Role.UNIT_HANDLER]),
    ("b_unithead", "P01K01D01", [Role.UNIT_HEAD]),
    ("b_town", "P01K01T01", [Role.OFFICE, Role.UNIT_HANDLER, Role.UNIT_HEAD]),
    ("b_inspector", "P", [Role.INSPECTOR]),
]


def make_users() -> dict[str, int]:
    ids = {}
    for username, code, roles in BENCH_USERS:
        user = User(username=username, full_name=username, node=OrgNode.objects.get(code=code))
        user.set_unusable_password()
        user.save()
        user.roles.set(Role.objects.filter(code__in=roles))
        ids[username] = user.pk
    return ids


def vendor() -> str:
    return connection.vendor


@contextlib.contextmanager
def bulk_load():
    """SQLite, while the generated rows go in: a large page cache (random inserts
    into the unique and secondary indexes of a million-row table otherwise reread
    their pages from disk) and no per-row foreign-key lookups (the generator writes
    only ids it has just read or written). PostgreSQL needs nothing here."""
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    with connection.cursor() as c:
        c.execute("PRAGMA cache_size = -1000000")  # KiB: up to 1 GiB
    try:
        with connection.constraint_checks_disabled():
            yield
    finally:
        with connection.cursor() as c:
            c.execute("PRAGMA cache_size = -2000")


def generate_items(scale: Scale) -> dict:
    """Cases and commitments, when those apps are on this branch."""
    with bulk_load():
        return _generate_items(scale)


def _generate_items(scale: Scale) -> dict:
    out: dict = {}
    if _has_model("cases", "Case"):
        from . import gen_cases

        out["cases"] = gen_cases.generate(scale.cases, years=scale.years)
    else:
        out["cases"] = {"skipped": "cases app not on this branch yet"}
    if _has_model("cases", "Case") and _has_model("textintel", "SearchDocument"):
        from . import gen_textintel

        out["textintel"] = gen_textintel.build()
    if _has_model("commitments", "Commitment"):
        from . import gen_commitments

        out["commitments"] = gen_commitments.generate(scale.commitments, years=scale.years)
    else:
        out["commitments"] = {"skipped": "commitments app not on this branch yet"}
    return out


def _has_model(app: str, name: str) -> bool:
    from django.apps import apps

    try:
        apps.get_model(app, name)
        return True
    except LookupError:
        return False


def counts() -> dict[str, int]:
    """Rows of the generated set (a reused data set says what it holds)."""
    out = {"org_nodes": OrgNode.objects.count()}
    for app, name in (("cases", "Case"), ("commitments", "Commitment")):
        if _has_model(app, name):
            from django.apps import apps

            out[name.lower() + "s"] = apps.get_model(app, name).objects.count()
    return out


def submit_places(n: int = 50) -> list[int]:
    """Villages of the generated province that residents pick on the public form."""
    ids = list(
        OrgNode.objects.filter(kind=OrgNode.Kind.VILLAGE, code__startswith="P")
        .order_by("path")
        .values_list("id", flat=True)
    )
    step = max(1, len(ids) // n)
    return ids[::step][:n]
