"""Demo data: teams and the service menu, a running poll and a published one, about
200 micro-wishes in every state and about 300 volunteer orders, made through the
services so each has its timeline. Idempotent: a second run changes nothing.

All names and phones are invented (138 0000 xxxx is never a real subscriber block here).
"""

from __future__ import annotations

import datetime as dt
import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.utils import timezone

from orgs.demo import DEMO_PASSWORD
from orgs.models import OrgNode, Role, User
from tracking.services import rater_key, rating_record

from . import services
from .models import MenuItem, MicroWish, Poll, PollOption, Team, TeamMember, VolunteerOrder, Vote

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = [
    "秀英",
    "桂兰",
    "建华",
    "玉梅",
    "志强",
    "海燕",
    "国庆",
    "淑珍",
    "春生",
    "丽娟",
    "德明",
    "小军",
    "文静",
    "金凤",
    "永福",
    "红霞",
]

WISHES = [
    ("希望有一台助听器", "老人听力下降，和家人交流困难。"),
    ("想要一套新书包和文具", "孩子今年上小学，家里经济困难。"),
    ("冬天需要一床厚棉被", "独居老人，家中被褥单薄。"),
    ("希望有人帮忙更换厨房灯泡", "老人行动不便，够不着高处。"),
    ("想学会用智能手机视频通话", "子女在外地打工，想和孙子视频。"),
    ("希望孩子暑假能参加托管班", "双职工家庭，暑假无人照看。"),
    ("需要一辆轮椅", "腿脚不便，出门看病困难。"),
    ("想要几本课外书", "留守儿童，喜欢读书。"),
    ("希望有人陪同去县医院体检", "独居老人，不熟悉就医流程。"),
    ("家里水龙头漏水想请人修理", "老两口不会修，一直漏水。"),
    ("希望得到一台二手电脑学习", "高中生，上网课没有电脑。"),
    ("想要一副老花镜", "眼睛花了，看不清药盒说明。"),
    ("希望有人帮忙打扫房屋", "老人年纪大，过年前想收拾一下。"),
    ("想要一个电饭煲", "旧电饭煲坏了，做饭不方便。"),
    ("希望给孩子辅导数学", "孩子数学成绩差，家长辅导不了。"),
    ("想要一双保暖棉鞋", "冬天脚冷，旧鞋破了。"),
    ("希望有人帮忙申请残疾人补贴", "不清楚办理流程。"),
    ("想要一台收音机", "老人喜欢听戏，眼睛不好看不了电视。"),
]
FULFIL = ["已送达并教会使用", "已上门完成，老人很满意", "已购置送到家中", "已联系专业人员上门解决"]

SERVICES = [
    ("义诊和健康咨询", "测血压血糖、健康咨询、常见病用药指导。", "医疗卫生志愿服务队"),
    ("法律咨询", "婚姻家庭、劳动纠纷、土地承包等法律问题咨询。", "法律服务志愿服务队"),
    ("家电维修", "小家电、电路检修，免费上门。", "党员先锋志愿服务队"),
    ("理发", "为行动不便的老人上门理发。", "城关街道志愿服务队"),
    ("助老陪护", "陪同就医、代购药品、聊天陪伴。", "党员先锋志愿服务队"),
    ("课业辅导", "为留守儿童辅导功课、开展阅读活动。", "县新时代文明实践志愿服务总队"),
    ("环境清洁", "清理房前屋后垃圾、整治庭院环境。", "南湖镇志愿服务队"),
    ("政策代办", "社保、医保、养老认证等事项帮办代办。", "县新时代文明实践志愿服务总队"),
    ("智能手机教学", "教老人使用健康码、视频通话、防诈骗。", "城关街道志愿服务队"),
    ("农技指导", "种植养殖技术指导、病虫害防治。", "南湖镇志愿服务队"),
]
LECTURES = [
    ("党史学习教育专题宣讲", "县委宣讲团"),
    ("民法典进村入户", "县司法局普法讲师团"),
    ("防范电信网络诈骗", "县公安局反诈中心"),
    ("医保政策解读", "县医疗保障局"),
    ("乡村振兴政策宣讲", "县农业农村局"),
    ("移风易俗与文明新风", "县文明办"),
]
TEAMS = [
    ("县新时代文明实践志愿服务总队", "C", "理论宣讲、政策代办、关爱帮扶"),
    ("党员先锋志愿服务队", "C", "党员志愿者：助老、维修、应急"),
    ("医疗卫生志愿服务队", "D02", "义诊、健康知识普及"),
    ("法律服务志愿服务队", "D13", "法律咨询、矛盾调解"),
    ("城关街道志愿服务队", "T01", "社区服务、智能手机教学"),
    ("南湖镇志愿服务队", "T04", "农技指导、环境整治"),
]
POLL_OPTIONS = [
    ("城区老旧小区加装电梯", "在城关街道、东城街道选取条件成熟的老旧小区试点加装电梯。"),
    ("农村饮水安全提升", "为南湖镇、北山镇12个村更新供水管网。"),
    ("社区食堂（长者助餐点）", "新建10个社区长者助餐点，解决老人吃饭难。"),
    ("中小学校门口护学岗与停车位", "缓解上下学时段校门口拥堵。"),
    ("乡村公路安全防护", "为山区县乡道增设护栏、警示标志。"),
    ("城区公共充电桩", "新增电动自行车集中充电设施200处。"),
]


def _photo(seed: int) -> SimpleUploadedFile:
    from PIL import Image

    img = Image.new("RGB", (160, 120), ((seed * 37) % 200 + 30, (seed * 91) % 200 + 30, 160))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=70)
    return SimpleUploadedFile(f"photo_{seed}.jpg", buf.getvalue(), content_type="image/jpeg")


def _volunteers(rng: random.Random) -> list[User]:
    role = Role.objects.get(code=Role.VOLUNTEER)
    villages = list(OrgNode.objects.filter(kind=OrgNode.Kind.VILLAGE).order_by("path")[:60])
    people = [User.objects.get(username="volunteer")]
    for i in range(1, 25):
        user, created = User.objects.get_or_create(
            username=f"vol{i:02d}",
            defaults={
                "full_name": SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 5) % len(GIVEN)],
                "node": villages[(i * 7) % len(villages)],
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        user.roles.add(role)
        people.append(user)
    return people


def _teams(office: User, people: list[User]) -> dict[str, Team]:
    teams = {}
    for i, (name, code, desc) in enumerate(TEAMS):
        team = Team.objects.filter(name=name).first() or services.team_create(
            actor=office, name=name, node=OrgNode.objects.get(code=code), description=desc
        )
        teams[name] = team
        members = people[i * 4 : i * 4 + 5] or people[:3]
        if i in (1, 4):
            members = [people[0], *members]  # the demo login serves in two teams
        for j, user in enumerate(members):
            services.team_member_add(actor=office, team=team, user=user, is_leader=j == 0)
    return teams


def _menu(office: User, teams: dict[str, Team]) -> list[MenuItem]:
    items = []
    for title, desc, team in SERVICES:
        item = MenuItem.objects.filter(title=title, kind=MenuItem.Kind.SERVICE).first()
        items.append(
            item
            or services.menu_item_save(
                actor=office,
                kind="service",
                title=title,
                description=desc,
                default_team=teams[team],
            )
        )
    month = timezone.localdate().replace(day=1)
    for k in range(3):  # this month and the next two: the monthly lecture list
        m = (month + dt.timedelta(days=32 * k)).replace(day=1)
        for j in range(4):
            title, speaker = LECTURES[(k * 2 + j) % len(LECTURES)]
            item = MenuItem.objects.filter(kind="lecture", title=title, month=m).first()
            items.append(
                item
                or services.menu_item_save(
                    actor=office,
                    kind="lecture",
                    title=title,
                    month=m,
                    speaker=speaker,
                    description=f"{m.month}月宣讲，可预约到村(社区)、企业、学校。",
                    default_team=teams["县新时代文明实践志愿服务总队"],
                )
            )
    return items


def _phone(i: int) -> str:
    return f"1380000{i:04d}"


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _wishes(rng: random.Random, office: User, people: list[User]) -> int:
    if MicroWish.objects.exists():
        return 0
    villages = list(OrgNode.objects.filter(kind=OrgNode.Kind.VILLAGE).order_by("path"))
    grid = User.objects.get(username="grid")
    unit = User.objects.get(username="unit")
    plan = (
        ["posted"] * 25
        + ["rejected"] * 10
        + ["approved"] * 50
        + ["claimed"] * 40
        + ["fulfilled"] * 30
        + ["confirmed"] * 45
    )
    rng.shuffle(plan)
    now = timezone.now()
    for i, target in enumerate(plan):
        title, text = WISHES[i % len(WISHES)]
        by_village = i % 5 == 0
        wish = (
            services.wish_post(
                actor=grid,
                village=grid.node,
                title=title,
                text=text,
                name=_name(rng),
                phone=_phone(i),
            )
            if by_village and i % 10 == 0
            else None
        )
        if wish is None:
            wish = services._wish_create(
                actor=None,
                village=rng.choice(villages),
                title=title,
                text=text,
                name=_name(rng),
                phone=_phone(i),
                address=f"{rng.randint(1, 40)}组{rng.randint(1, 99)}号",
                source=MicroWish.Source.RESIDENT,
            )
        if target == "posted":
            pass
        elif target == "rejected":
            services.wish_reject(actor=office, wish=wish, note="不属于微心愿范围，已转相关部门")
        else:
            wish = services.wish_approve(actor=office, wish=wish)
            if target != "approved":
                claimant = unit if i % 6 == 0 else people[i % len(people)]
                wish = services.wish_claim(actor=claimant, wish=wish)
                if target in ("fulfilled", "confirmed"):
                    wish = services.wish_fulfil(
                        actor=claimant,
                        wish=wish,
                        fulfilment=FULFIL[i % len(FULFIL)],
                        evidence=[_photo(i)],
                    )
                    for k in range(rng.randint(0, 6)):
                        value = rng.choices(
                            ["satisfied", "neutral", "unsatisfied"], weights=[8, 2, 1]
                        )[0]
                        rating_record(item=wish, value=value, rater=f"demo-{i}-{k}", source="wall")
                if target == "confirmed":
                    services.wish_confirm(actor=office, wish=wish, note="已回访，群众满意")
        age = dt.timedelta(days=rng.randint(1, 120), hours=rng.randint(0, 23))
        MicroWish.objects.filter(pk=wish.pk).update(
            created_at=now - age, state_changed_at=now - age / 3
        )
    return len(plan)


def _orders(rng: random.Random, office: User, teams: dict[str, Team], menu: list[MenuItem]) -> int:
    if VolunteerOrder.objects.exists():
        return 0
    villages = list(OrgNode.objects.filter(kind=OrgNode.Kind.VILLAGE).order_by("path"))
    grid = User.objects.get(username="grid")
    plan = (
        ["ordered"] * 30
        + ["dispatched"] * 40
        + ["accepted"] * 35
        + ["declined"] * 15
        + ["served"] * 70
        + ["rated"] * 100
        + ["cancelled"] * 10
    )
    rng.shuffle(plan)
    members = {
        t.pk: [m.user for m in TeamMember.objects.filter(team=t).select_related("user")]
        for t in teams.values()
    }
    today = timezone.localdate()
    for i, target in enumerate(plan):
        item = menu[i % len(menu)]
        wanted = today + dt.timedelta(days=rng.randint(-60, 20))
        if i % 8 == 0:
            order = services.order_place(
                actor=grid,
                menu_item=item,
                village=grid.node,
                needs="村里老人较多，希望集中服务。",
                wanted_date=wanted,
            )
        else:
            order = services._order_create(
                actor=None,
                menu_item=item,
                village=rng.choice(villages),
                needs="希望上门服务，时间可商量。",
                wanted_date=wanted,
                kind=VolunteerOrder.Orderer.RESIDENT,
            )
            from .models import OrderContact

            OrderContact.objects.create(order=order, name=_name(rng), phone=_phone(5000 + i))
        if target == "cancelled":
            services.order_cancel(actor=office, order=order, note="群众已自行解决")
            continue
        if target == "ordered":
            continue
        team = item.default_team or rng.choice(list(teams.values()))
        order = services.order_dispatch(actor=office, order=order, team=team)
        crew = members[team.pk]
        if target == "dispatched":
            continue
        if target == "declined":
            services.order_decline(actor=crew[0], order=order, note="该时段队员均有任务")
            continue
        order = services.order_accept(actor=crew[0], order=order)
        if target == "accepted":
            continue
        order = services.order_serve(
            actor=crew[0],
            order=order,
            hours=rng.choice([1, 1.5, 2, 2.5, 3, 4]),
            attendees=rng.randint(1, 60) if item.kind == "lecture" else rng.randint(1, 8),
            volunteers=crew[: rng.randint(1, len(crew))],
            note="服务顺利完成。",
        )
        if target == "rated":
            value = rng.choices(["satisfied", "neutral", "unsatisfied"], weights=[12, 3, 1])[0]
            if order.orderer_kind == VolunteerOrder.Orderer.VILLAGE:
                services.order_rate(actor=grid, order=order, value=value, comment="服务很周到")
            else:
                services.order_rate_public(
                    code=order.code,
                    phone_tail=order.contact.phone[-4:],
                    value=value,
                    comment="志愿者很耐心",
                )
    return len(plan)


def _polls(rng: random.Random, office: User) -> str:
    now = timezone.now()
    title = f"{now.year + 1}年民生实事项目网络比选"
    if not Poll.objects.filter(title=title).exists():
        poll = services.poll_create(
            actor=office,
            title=title,
            description="以下候选项目由群众意见建议汇总而来，请选出您最希望明年办理的一项。",
            starts_at=now - dt.timedelta(days=3),
            ends_at=now + dt.timedelta(days=27),
            options=[{"title": t, "description": d} for t, d in POLL_OPTIONS],
        )
        services.poll_open(actor=office, poll=poll)
        _demo_ballots(rng, poll, 180, weights=[30, 22, 26, 10, 7, 5])
    _commitment_poll(rng, office, now)
    old = f"{now.year}年民生实事项目网络比选"
    if not Poll.objects.filter(title=old).exists():
        poll = services.poll_create(
            actor=office,
            title=old,
            description="去年组织的比选，结果已纳入今年民生实事项目清单。",
            starts_at=now - dt.timedelta(days=300),
            ends_at=now + dt.timedelta(days=1),
            options=[{"title": t, "description": d} for t, d in POLL_OPTIONS[1:5]],
        )
        services.poll_open(actor=office, poll=poll)
        _demo_ballots(rng, poll, 240, weights=[40, 25, 20, 15])
        services.poll_close(actor=office, poll=poll)
        services.poll_publish(
            actor=office,
            poll=poll,
            outcome="得票前两位的“农村饮水安全提升”“社区食堂（长者助餐点）”已列入本年度民生实事项目。",
        )
    return f"{Poll.objects.count()} 个比选"


def _commitment_poll(rng: random.Random, office: User, now) -> None:
    """比项目: residents pick the year's best finished commitments (options link to them)."""
    try:
        from commitments.models import Commitment
    except ImportError:
        return
    title = f"{now.year}年度群众最满意民生实事项目网络比选"
    if Poll.objects.filter(title=title).exists():
        return
    done = list(
        Commitment.objects.filter(state__in=("completed", "accepted", "closed"))
        .select_related("owner_unit")
        .order_by("-is_flagship", "id")[:6]
    )
    if len(done) < 2:
        return
    poll = services.poll_create(
        actor=office,
        title=title,
        description="从今年已完成的民生实事项目中，选出您最满意的一项。",
        starts_at=now - dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=20),
    )
    for c in done:
        services.poll_option_add(
            actor=office,
            poll=poll,
            title=c.title,
            description=f"责任单位：{c.owner_unit.name}" if c.owner_unit_id else "",
            target=c,
        )
    services.poll_open(actor=office, poll=poll)
    _demo_ballots(rng, poll, 120, weights=[25, 20, 18, 15, 12, 10])


def _demo_ballots(rng: random.Random, poll: Poll, n: int, weights: list[int]) -> None:
    """Demo ballots written directly: going through SMS verification would text phones."""
    options = list(poll.options.all())
    for i in range(n):
        option = rng.choices(options, weights=weights[: len(options)])[0]
        Vote.objects.create(
            poll=poll, option=option, voter_key=rater_key(f"demo-poll-{poll.pk}-{i}")
        )
        PollOption.objects.filter(pk=option.pk).update(votes=F("votes") + 1)
    Poll.objects.filter(pk=poll.pk).update(vote_count=F("vote_count") + n)


def _project_ratings(rng: random.Random) -> int:
    """Residents' faces on finished projects (民生实事墙)."""
    try:
        from commitments.models import Commitment
    except ImportError:
        return 0
    from django.contrib.contenttypes.models import ContentType

    from tracking.models import Rating

    ct = ContentType.objects.get_for_model(Commitment)
    if Rating.objects.filter(item_type=ct, source="wall").exists():
        return 0
    n = 0
    for c in Commitment.objects.filter(state__in=("completed", "accepted", "closed")).order_by(
        "id"
    ):
        for k in range(rng.randint(2, 14)):
            value = rng.choices(["satisfied", "neutral", "unsatisfied"], weights=[10, 3, 1])[0]
            rating_record(item=c, value=value, rater=f"demo-wall-{c.pk}-{k}", source="wall")
            n += 1
    return n


def seed() -> str:
    rng = random.Random(11)
    office = User.objects.get(username="office")
    people = _volunteers(rng)
    teams = _teams(office, people)
    menu = _menu(office, teams)
    polls = _polls(rng, office)
    w = _wishes(rng, office, people)
    o = _orders(rng, office, teams, menu)
    r = _project_ratings(rng)
    return (
        f"{len(teams)} 支队伍，{len(menu)} 项服务菜单，{polls}，"
        f"新增微心愿 {w} 个，新增志愿服务订单 {o} 个，新增项目评价 {r} 条"
    )
