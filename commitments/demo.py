"""Demo: "2026年我为群众办实事项目清单" — about 150 commitments (10 flagship) in every
state, a rectification list on all four levels, and 6 months of progress reports
with some missing and some late. Idempotent: a second run finds the programme and stops.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from orgs.models import OrgNode, User
from taxonomy.models import Category
from tracking import services as kernel

from . import cadence, services
from .models import (
    Commitment,
    Kind,
    ProblemLevel,
    Programme,
    ProgressReport,
    RectificationProblem,
    ReportKind,
    ReportStatus,
)

PROGRAMME = "2026年我为群众办实事项目清单"

# category -> [(title, tasks, target quantity, unit, budget 万元)]; {town} is filled in.
POOL: dict[str, list[tuple[str, str, int, str, int]]] = {
    "产业发展": [
        ("{town}特色农产品品牌培育", "培育区域公用品牌，开展包装设计和展销推介", 12, "个品牌", 80),
        ("{town}高标准农田建设", "完成土地平整、灌排渠系和田间道路配套", 5000, "亩", 750),
    ],
    "营商环境": [
        ("企业开办“一日办结”", "整合设立登记、刻章、申领发票等环节，实行一窗受理", 100, "%", 20),
        (
            "惠企政策“免申即享”",
            "梳理惠企政策清单，实现符合条件企业免申请直接兑现",
            60,
            "项政策",
            30,
        ),
    ],
    "生态环境": [
        ("{town}黑臭水体治理", "完成截污纳管、清淤疏浚和生态修复", 3, "条", 420),
        (
            "{town}垃圾分类示范小区建设",
            "设置分类投放点，配备督导员，开展入户宣传",
            36,
            "个小区",
            150,
        ),
    ],
    "科技创新": [
        ("科技特派员进村服务", "选派科技特派员驻村开展技术指导和培训", 120, "个村", 40),
    ],
    "城乡融合": [
        ("{town}农村改厕提质", "完成户厕改造和粪污资源化利用设施配套", 9399, "户", 560),
        ("{town}村庄亮化工程", "在主干道和村民聚居点安装太阳能路灯", 800, "盏", 96),
        ("{town}污水管网延伸", "新建污水主管网并实现农户接入", 12, "公里", 680),
    ],
    "防止返贫监测": [
        ("防返贫动态监测全覆盖", "每月开展一次排查，对监测户落实帮扶措施", 1260, "户", 15),
    ],
    "就业帮扶": [
        ("{town}家门口就业服务站建设", "建设就业服务站，开展岗位推荐和技能培训", 8, "个", 60),
        ("脱贫劳动力技能培训", "开展电工、家政、电商等实用技能培训", 2000, "人次", 120),
    ],
    "产业帮扶": [
        ("{town}帮扶车间提档升级", "改造帮扶车间厂房，吸纳脱贫群众就近就业", 6, "个", 210),
    ],
    "饮水安全": [
        ("{town}农村供水管网改造", "更换老旧供水管网，解决季节性缺水问题", 3200, "户", 390),
    ],
    "住房安全": [
        ("农村危房改造", "对鉴定为C、D级的农村危房实施改造", 156, "户", 470),
    ],
    "教育": [
        ("新建城区第三幼儿园", "新建12个班的公办幼儿园，新增学位360个", 360, "个学位", 2400),
        ("{town}中小学校舍改造", "实施校舍加固、厕所改造和食堂升级", 9, "所", 860),
        ("课后延时服务全覆盖", "义务教育学校全面开展课后服务", 48, "所学校", 90),
    ],
    "医疗卫生": [
        ("{town}村卫生室标准化建设", "完善村卫生室设备，配齐乡村医生", 24, "个", 180),
        ("县医院胸痛卒中中心建设", "建设胸痛中心和卒中中心，缩短救治时间", 2, "个中心", 1500),
    ],
    "养老服务": [
        ("{town}老年助餐点建设", "建设社区老年食堂和助餐点，提供优惠助餐", 15, "个", 225),
        ("失能老人家庭适老化改造", "为失能、半失能老人家庭实施适老化改造", 50, "户", 25),
    ],
    "社会保障": [
        ("灵活就业人员社保补贴", "为符合条件的灵活就业人员发放社保补贴", 390, "人", 388),
    ],
    "医疗保障": [
        ("医保报销“一站式”结算", "在乡镇卫生院实现医保报销一站式结算", 12, "个乡镇", 60),
    ],
    "住房保障": [
        ("{town}老旧小区改造", "改造供排水、外墙保温、停车位和无障碍设施", 8, "个小区", 1350),
        ("保障性租赁住房筹集", "筹集保障性租赁住房，解决新市民住房困难", 500, "套", 4200),
    ],
    "交通出行": [
        ("{town}农村公路提档升级", "拓宽改造农村公路，完善安全防护设施", 35, "公里", 2100),
        ("城乡公交线路优化", "新开和优化城乡公交线路，实现行政村通公交", 18, "条线路", 320),
    ],
    "一网通办": [
        ("高频事项“一网通办”", "推动高频政务服务事项全程网办", 200, "项", 50),
    ],
    "便民服务": [
        ("{town}便民服务中心标准化", "推行综合窗口和帮办代办服务", 1, "个中心", 40),
    ],
    "不动产登记": [
        ("不动产登记“交房即交证”", "新建商品房项目实现交房即交证", 20, "个项目", 10),
    ],
    "公安政务服务": [
        ("户籍业务“跨省通办”", "实现户籍类高频业务跨省通办", 15, "项", 8),
    ],
    "矛盾纠纷化解": [
        ("{town}矛盾纠纷调处中心建设", "整合信访、调解、法律服务资源，一站式化解矛盾", 1, "个", 35),
    ],
    "社会治安": [
        ("“雪亮工程”视频监控补点", "在重点路段和村口补建视频监控点位", 420, "个点位", 260),
    ],
    "网格化管理": [
        ("{town}网格员配备和培训", "按标准配齐专职网格员并开展轮训", 45, "名", 30),
    ],
    "市容环境": [
        ("{town}背街小巷整治", "硬化路面、规范管线、整治乱搭乱建", 26, "条", 310),
        ("城区公厕新建改造", "新建和改造城区公共厕所", 30, "座", 270),
    ],
    "安全生产": [
        ("燃气安全隐患排查整治", "对餐饮场所和居民用户燃气设施开展排查整治", 5600, "户", 90),
    ],
    "岗位建功": [
        ("党员干部“岗位建功”行动", "机关党员亮身份、做承诺，服务窗口评星定级", 86, "个窗口", 5),
    ],
    "志愿服务": [
        ("{town}新时代文明实践站提升", "完善实践站功能，建立志愿服务点单机制", 14, "个站", 70),
    ],
    "文化惠民": [
        ("{town}农家书屋提档", "更新图书，配置数字阅读设备", 13, "个", 26),
        ("送戏下乡文化惠民演出", "组织文艺院团送戏下乡", 120, "场", 48),
    ],
    "微心愿": [
        ("困难群众“微心愿”认领", "征集困难群众微心愿，组织党员认领圆梦", 500, "个", 10),
    ],
}
LEADS = ["李卫东", "张明华", "王建军", "刘春燕", "陈立新", "杨志刚", "赵红梅", "黄国平", "周海峰"]
FLAGSHIP = {
    "新建城区第三幼儿园",
    "县医院胸痛卒中中心建设",
    "保障性租赁住房筹集",
    "城区公厕新建改造",
    "城乡公交线路优化",
}

RECTIFICATION: list[tuple[str, str, list[tuple[str, bool, str]]]] = [
    (
        ProblemLevel.TEAM,
        "调查研究不够深入，解决群众急难愁盼问题的办法不多",
        [
            ("班子成员每人牵头一个重点课题开展蹲点调研", False, "县直机关工委"),
            ("建立领导干部定点下访和接访制度", True, ""),
        ],
    ),
    (
        ProblemLevel.TEAM,
        "推动重点项目落地的统筹协调力度不够",
        [
            ("实行重点项目“一个项目、一名领导、一套班子”推进机制", False, "住房和城乡建设局"),
            ("每月召开一次重点项目调度会", True, ""),
        ],
    ),
    (
        ProblemLevel.TEAM,
        "民生实事“重安排、轻落实”，跟踪问效不够",
        [
            ("建立民生实事进度月报和挂图作战机制", True, ""),
            ("将民生实事完成情况纳入年度考核", False, "县直机关工委"),
        ],
    ),
    (
        ProblemLevel.CADRE,
        "个别领导干部深入基层少，了解群众诉求不及时",
        [
            ("每名县级领导干部每月至少下基层4天", False, "县直机关工委"),
        ],
    ),
    (
        ProblemLevel.CADRE,
        "担当作为不够，遇到矛盾问题绕着走",
        [
            ("建立信访积案领导包案制度", False, "司法局"),
            ("开展“担当作为”专题组织生活会", True, ""),
        ],
    ),
    (
        ProblemLevel.CADRE,
        "政策学习不系统，服务企业群众能力有短板",
        [
            ("开展惠企惠民政策专题培训", False, "行政审批服务局"),
        ],
    ),
    (
        ProblemLevel.ORG,
        "部分村党组织“三会一课”不规范",
        [
            ("开展“三会一课”规范化督导", False, "南湖镇"),
            ("统一印发组织生活记录本", True, ""),
        ],
    ),
    (
        ProblemLevel.ORG,
        "村级集体经济薄弱，带动群众增收能力不强",
        [
            ("每个薄弱村制定一村一策发展方案", False, "农业农村局"),
            ("选派驻村第一书记开展帮带", False, "北山镇"),
        ],
    ),
    (
        ProblemLevel.ORG,
        "社区服务群众的阵地作用发挥不充分",
        [
            ("推行社区党群服务中心错时延时服务", True, ""),
            ("社区党群服务中心功能提升", False, "城关街道"),
        ],
    ),
    (
        ProblemLevel.MEMBER,
        "部分党员宗旨意识淡化，联系群众不紧密",
        [
            ("开展党员“亮身份、践承诺”活动", True, ""),
            ("每名党员联系服务不少于5户群众", False, "城关街道"),
        ],
    ),
    (
        ProblemLevel.MEMBER,
        "个别党员参加组织生活不积极",
        [
            ("对长期不参加组织生活的党员进行谈心谈话", True, ""),
        ],
    ),
    (
        ProblemLevel.MEMBER,
        "流动党员管理不到位",
        [
            ("建立流动党员台账和线上学习群", False, "青石镇"),
        ],
    ),
]

# state → how many of the ~150 items end in it (the rest stay in progress).
PLAN = [("draft", 8), ("published", 12), ("completed", 16), ("accepted", 14), ("closed", 22)]
PATHS = {
    "draft": [],
    "published": ["publish"],
    "in_progress": ["publish", "start"],
    "completed": ["publish", "start", "complete"],
    "accepted": ["publish", "start", "complete", "accept"],
    "closed": ["publish", "start", "complete", "accept", "close"],
}
PHOTO = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _photo(name: str) -> ContentFile:
    f = ContentFile(PHOTO, name=name)
    f.content_type = "image/png"
    return f


@transaction.atomic
def seed() -> str:
    if Programme.objects.filter(name=PROGRAMME).exists():
        p = Programme.objects.get(name=PROGRAMME)
        return f"{PROGRAMME}已存在（{p.commitments.count()}项）"
    rnd = random.Random(2026)
    today = timezone.localdate()
    admin = User.objects.filter(is_superuser=True).first()
    office = User.objects.get(username="office")
    inspector = User.objects.get(username="inspector")
    unit_user = User.objects.get(username="unit")
    town_user = User.objects.get(username="town")
    workers = {unit_user.node_id: unit_user, town_user.node_id: town_user}
    programme = Programme.objects.create(
        name=PROGRAMME,
        year=2026,
        description="围绕群众急难愁盼，县委、县政府确定的年度民生实事项目清单，实行清单管理、挂图作战。",
    )
    towns = list(OrgNode.objects.filter(kind=OrgNode.Kind.TOWN).order_by("code"))
    categories = {c.name: c for c in Category.objects.select_related("default_unit")}
    d05 = OrgNode.objects.get(code="D05")

    # --- ~150 commitments ----------------------------------------------------------
    specs = []
    rounds = 0
    while len(specs) < 148:
        for cat_name, entries in POOL.items():
            for title, tasks, qty, unit_label, budget in entries:
                if len(specs) >= 148:
                    break
                templated = "{town}" in title
                if not templated and rounds:
                    continue
                town = towns[(len(specs) * 5 + rounds) % len(towns)]
                specs.append(
                    (
                        cat_name,
                        title.format(town=town.name),
                        tasks,
                        qty,
                        unit_label,
                        budget,
                        town if templated else None,
                    )
                )
        rounds += 1
    states = []
    for state, n in PLAN:
        states += [state] * n
    states += ["in_progress"] * (len(specs) - len(states))
    rnd.shuffle(states)
    flagship_left = 10 - len(FLAGSHIP)
    items: list[Commitment] = []
    for i, (cat_name, title, tasks, qty, unit_label, budget, town) in enumerate(specs):
        cat = categories.get(cat_name)
        owner = town if (town and i % 2) else (cat.default_unit if cat else d05)
        if i % 9 == 4:
            owner = d05  # the demo unit handler's department has a bit of everything
        co = [town] if town and owner != town else []
        deadline = dt.date(2026, rnd.choice([6, 8, 9, 10, 11, 12, 12, 12]), 28)
        is_flag = title in FLAGSHIP or (flagship_left > 0 and budget >= 400 and i % 3 == 0)
        if is_flag and title not in FLAGSHIP:
            flagship_left -= 1
        item = services.commitment_create(
            actor=office,
            programme=programme,
            data={
                "kind": Kind.KEY_TASK if i % 11 == 3 else Kind.PROJECT,
                "title": title,
                "tasks": tasks + "。",
                "lead_official": LEADS[i % len(LEADS)],
                "owner_unit": owner,
                "co_units": co,
                "deadline": deadline,
                "target_quantity": Decimal(qty),
                "target_unit": unit_label,
                "budget": Decimal(budget),
                "category": cat,
                "is_flagship": is_flag,
                "seq": i + 1,
            },
            note="县委常委会研究确定，列入年度民生实事项目清单",
        )
        _walk(item, states[i], office, inspector, admin, workers, rnd, today)
        items.append(item)

    # --- rectification on all four levels ----------------------------------------------
    county = OrgNode.objects.get(code="C")
    all_units = {n.name: n for n in OrgNode.objects.filter(kind__in=["department", "town"])}
    seq = len(items)
    for n, (level, text, measures) in enumerate(RECTIFICATION):
        fallback = all_units.get("县直机关工委", county)
        first_unit = next((all_units.get(u) for _, _, u in measures if u), None) or fallback
        problem = RectificationProblem.objects.create(
            programme=programme, level=level, text=text, unit=first_unit
        )
        for m, (title, immediate, unit_name) in enumerate(measures):
            seq += 1
            unit = all_units.get(unit_name) or (first_unit if first_unit.is_unit else d05)
            measure = services.commitment_create(
                actor=office,
                programme=programme,
                data={
                    "kind": Kind.RECTIFICATION,
                    "title": title,
                    "problem": problem,
                    "is_immediate": immediate,
                    "owner_unit": unit,
                    "deadline": None if immediate else dt.date(2026, 12, 31),
                    "responsible_person": "" if immediate else LEADS[(n + m) % len(LEADS)],
                    "seq": seq,
                },
                note="检视整改清单",
            )
            state = "closed" if immediate else ["in_progress", "completed", "accepted"][(n + m) % 3]
            _walk(measure, state, office, inspector, admin, workers, rnd, today)

    # --- 6 months of reports, some missing, some late ------------------------------------
    reports = _history(programme, today, rnd)
    created = services.report_slots_generate(today=today)
    return (
        f"{PROGRAMME}：{Commitment.objects.filter(programme=programme).count()}项，"
        f"检视问题{RectificationProblem.objects.filter(programme=programme).count()}条，"
        f"进度报送{reports + created['created']}条"
    )


def _walk(item, target, office, inspector, admin, workers, rnd, today) -> None:
    worker = workers.get(item.owner_unit_id, admin)
    for step in PATHS[target]:
        if step == "publish":
            item = services.commitment_publish(actor=office, commitment=item)
        elif step == "start":
            item = services.commitment_start(actor=worker, commitment=item, note="已制定实施方案")
            pct = rnd.choice([15, 30, 45, 60, 70, 85]) if target == "in_progress" else 80
            item = kernel.item_transition(
                actor=worker,
                item=item,
                name="progress",
                note="按计划推进",
                changes={
                    "progress_percent": pct,
                    "done_quantity": (item.target_quantity or 0) * pct / 100
                    if item.target_quantity
                    else None,
                },
            )
        elif step == "complete":
            item = services.commitment_complete(
                actor=worker,
                commitment=item,
                note="已按计划全部完成，现场照片附后",
                evidence=[_photo("完工照片.png")],
            )
        elif step == "accept":
            checker = inspector if item.pk % 2 else office
            if checker.pk == item.claimed_by_id:
                checker = inspector
            item = services.commitment_accept(actor=checker, commitment=item, note="现场验收合格")
        elif step == "close":
            item = services.commitment_close(
                actor=office, commitment=item, note="完成一个、验收一个、销号一个"
            )
    if target == "in_progress" and item.deadline and item.deadline < today:
        Commitment.objects.filter(pk=item.pk).update(supervision_status="overdue")
    elif target == "in_progress" and item.progress_percent < 30 and rnd.random() < 0.5:
        Commitment.objects.filter(pk=item.pk).update(supervision_status="at_risk")


def _history(programme: Programme, today: dt.date, rnd: random.Random) -> int:
    """Past report slots (monthly and weekly) for the last six months."""
    unit_user = User.objects.get(username="unit")
    head = User.objects.get(username="unithead")
    rows: list[ProgressReport] = []
    items = list(
        Commitment.objects.filter(programme=programme).exclude(state__in=["draft", "published"])
    )
    months = []
    y, m = today.year, today.month
    for _ in range(6):
        m -= 1
        if m == 0:
            y, m = y - 1, 12
        months.append((y, m))

    def fill(r: ProgressReport, pct: int | None) -> None:
        roll = rnd.random()
        if roll < 0.08:
            r.status = ReportStatus.MISSING
            return
        late = roll < 0.2
        r.is_late = late
        submitted = r.due_date + dt.timedelta(
            days=rnd.randint(1, 6) if late else -rnd.randint(0, 3)
        )
        r.submitted_at = timezone.make_aware(dt.datetime.combine(submitted, dt.time(16, 30)))
        r.submitted_by = unit_user if r.unit.code == "D05" else None
        r.status = ReportStatus.APPROVED
        r.approved_at = r.submitted_at + dt.timedelta(hours=20)
        r.approved_by = head if r.unit.code == "D05" else None
        r.percent = pct
        r.narrative = rnd.choice(
            [
                "按照实施方案有序推进，本月完成阶段性任务。",
                "施工队伍已进场，主体工程完成过半。",
                "完成入户摸排和方案公示，群众参与积极。",
                "召开推进会，协调解决用地和资金问题。",
            ]
        )
        r.problems = rnd.choice(["", "雨季影响施工进度。", "部分资金尚未到位。"])
        r.next_steps = "加快施工进度，确保按期完成。"

    for item in items:
        for k, (yy, mm) in enumerate(reversed(months)):
            due = cadence.monthly_due(programme, yy, mm)
            r = ProgressReport(
                programme=programme,
                kind=ReportKind.MONTHLY,
                commitment=item,
                unit=item.owner_unit,
                period=f"{yy}-{mm:02d}",
                period_start=dt.date(yy, mm, 1),
                due_date=due,
            )
            fill(r, min(100, 10 + k * 15))
            rows.append(r)
    lead_units = {i.owner_unit for i in items}
    start = today - dt.timedelta(weeks=26)
    for unit in sorted(lead_units, key=lambda u: u.code):
        day = start
        current_week = cadence.week_period(today)[0]
        while cadence.week_period(day)[0] != current_week:
            period, week_start, iy, iw = cadence.week_period(day)
            r = ProgressReport(
                programme=programme,
                kind=ReportKind.WEEKLY,
                unit=unit,
                period=period,
                period_start=week_start,
                due_date=cadence.weekly_due(programme, iy, iw),
            )
            fill(r, None)
            if r.status == ReportStatus.APPROVED:
                r.highlights = rnd.choice(
                    [
                        "推行“群众点单、部门接单”服务模式。",
                        "建立周调度、月通报工作机制。",
                        "组建党员先锋队攻坚克难。",
                    ]
                )
            rows.append(r)
            day += dt.timedelta(weeks=1)
    ProgressReport.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
