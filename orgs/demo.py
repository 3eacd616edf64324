"""The invented demo county 示范县: towns, villages with grids, departments, one user per role."""

from __future__ import annotations

from django.db import transaction

from .models import OrgNode, Role, User

DEMO_PASSWORD = "Banshi@2026"

TOWNS = [
    ("城关街道", True),
    ("东城街道", True),
    ("西城街道", True),
    ("南湖镇", False),
    ("北山镇", False),
    ("青石镇", False),
    ("柳河镇", False),
    ("桃园乡", False),
    ("白马镇", False),
    ("龙泉镇", False),
    ("清水乡", False),
    ("石桥镇", False),
]
VILLAGE_HEADS = "安乐丰和华康宁平顺兴旺福寿永新前后东西南北上下大小李王张刘陈杨赵黄周吴"
VILLAGE_TAILS = ["庄", "家洼", "官屯", "河口", "岭", "店", "家庄", "湾", "坡", "营", "寨", "桥"]
STREET_TAILS = ["花园", "新村", "路", "苑", "里", "广场", "滨河", "锦绣"]

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
    "司法局",
    "城市管理局",
    "文化和旅游局",
    "行政审批服务局",
    "应急管理局",
    "科技和工业信息化局",
    "医疗保障局",
    "县委政法委",
    "县文明办",
    "县直机关工委",
    "县纪委监委",
]

# username, full name, node code, roles
USERS = [
    ("admin", "管理员", "C", [Role.ADMIN]),
    ("office", "周文静", "C", [Role.OFFICE]),
    ("unit", "刘建国", "D05", [Role.UNIT_HANDLER]),
    ("unithead", "陈志强", "D05", [Role.UNIT_HEAD]),
    ("town", "王海燕", "T01", [Role.OFFICE, Role.UNIT_HANDLER, Role.UNIT_HEAD]),
    ("town2", "赵立新", "T04", [Role.OFFICE, Role.UNIT_HANDLER, Role.UNIT_HEAD]),
    ("grid", "孙晓梅", "T01V01", [Role.GRID_WORKER]),
    ("inspector", "马德明", "C", [Role.INSPECTOR]),
    ("discipline", "郑国华", "D23", [Role.DISCIPLINE]),
    ("volunteer", "林小红", "T01V02", [Role.VOLUNTEER]),
]


def _node(code: str, name: str, kind: str, parent: OrgNode | None) -> OrgNode:
    node = OrgNode.objects.filter(code=code).first()
    if node:
        if node.name != name:
            node.name = name
            node.save(update_fields=["name"])
        return node
    if parent is None:
        return OrgNode.objects.add_root({"code": code, "name": name, "kind": kind})
    parent.refresh_from_db()
    return OrgNode.objects.add_child(parent, {"code": code, "name": name, "kind": kind})


def village_names(town_index: int, street: bool, count: int) -> list[str]:
    names: list[str] = []
    heads = VILLAGE_HEADS
    tails = STREET_TAILS if street else VILLAGE_TAILS
    i = town_index * 7
    while len(names) < count:
        head = heads[i % len(heads)] + (heads[(i * 3 + 1) % len(heads)] if street else "")
        name = head + tails[(i // len(heads) + i) % len(tails)] + ("社区" if street else "村")
        if name not in names:
            names.append(name)
        i += 1
    return names


@transaction.atomic
def seed() -> str:
    for code, name in Role.LABELS.items():
        Role.objects.update_or_create(code=code, defaults={"name": name})
    county = _node("C", "示范县", OrgNode.Kind.COUNTY, None)
    for i, dept in enumerate(DEPARTMENTS, start=1):
        _node(f"D{i:02d}", dept, OrgNode.Kind.DEPARTMENT, county)
    for t, (town_name, street) in enumerate(TOWNS, start=1):
        town = _node(f"T{t:02d}", town_name, OrgNode.Kind.TOWN, county)
        count = 12 + (t % 3)  # 12–14 villages a town: about 150 in all
        for v, vname in enumerate(village_names(t, street, count), start=1):
            village = _node(f"T{t:02d}V{v:02d}", vname, OrgNode.Kind.VILLAGE, town)
            for g in range(1, 3 + (v % 2)):
                _node(f"T{t:02d}V{v:02d}G{g}", f"第{g}网格", OrgNode.Kind.GRID, village)
    for username, full_name, node_code, roles in USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"full_name": full_name, "node": OrgNode.objects.get(code=node_code)},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.is_staff = Role.ADMIN in roles
            user.is_superuser = username == "admin"
            user.save()
        user.roles.set(Role.objects.filter(code__in=roles))
    return f"{OrgNode.objects.count()} 个组织节点，{User.objects.count()} 个用户"
