"""Demo activities for 示范县 over the last 12 months, linked to the cases collected on
the same visits and forums, then the rollups built. Idempotent: rows carry a demo key."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from orgs.models import OrgNode, User

from .models import Activity, ActivityCase, ActivityKind
from .periods import last_months
from .selectors import has_model

STUDY = ["党史专题集中学习", "“三会一课”专题学习", "理论学习中心组学习", "读原著学原文专题学习"]
LECTURE = ["“5个一”党史宣讲进村", "百姓宣讲团走进社区", "老党员讲党史", "政策宣讲进院坝"]
TRAINING = ["基层党组织书记专题培训班", "网格员业务能力培训", "村（社区）干部办实事能力培训"]
VISIT = ["入户走访收集民意", "“进村入户大走访”", "党员干部下沉网格走访", "走访困难群众和独居老人"]
FORUM = ["“我为群众办实事”征求意见座谈会", "民生实事议事座谈会", "“百姓说事”座谈会"]
NOTES = {
    "visit": "逐户了解群众急难愁盼，现场能解决的当场解决，不能当场解决的录入诉求台账交办。",
    "forum": "邀请党员、居民代表、物业和共建单位参加，逐条梳理意见建议，明确责任单位和时限。",
    "lecture": "结合身边变化讲党史、讲政策，现场答疑并发放宣传资料。",
    "study": "围绕学史明理、学史增信、学史崇德、学史力行开展交流研讨。",
    "training": "围绕群众诉求办理流程、系统使用和群众工作方法开展培训。",
}


def seed() -> str:
    rng = random.Random(2026)
    today = timezone.localdate()
    months = last_months(12, today)
    towns = list(OrgNode.objects.filter(kind=OrgNode.Kind.TOWN).order_by("code"))
    recorder = (
        User.objects.filter(username="town").first()
        or User.objects.filter(username="office").first()
    )
    existing = set(Activity.objects.exclude(demo_key="").values_list("demo_key", flat=True))
    new: list[Activity] = []
    for t in towns:
        villages = list(OrgNode.objects.get_children(t).order_by("code"))
        if not villages:
            continue
        for mi, month in enumerate(months):
            last_day = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(
                days=1
            )
            last_day = min(last_day, today)
            plan = [
                ("study", 1),
                ("lecture", rng.randint(1, 3)),
                ("training", 1 if mi % 3 == 0 else 0),
                ("visit", rng.randint(2, 4)),
                ("forum", rng.randint(1, 2)),
            ]
            for kind, count in plan:
                for i in range(count):
                    key = f"{t.code}-{month:%Y%m}-{kind}-{i}"
                    day = month + dt.timedelta(days=rng.randint(0, (last_day - month).days))
                    place = t if kind in ("study", "training") else rng.choice(villages)
                    pools = {
                        "study": STUDY,
                        "lecture": LECTURE,
                        "training": TRAINING,
                        "visit": VISIT,
                        "forum": FORUM,
                    }
                    a = Activity(
                        demo_key=key,
                        date=day,
                        place=place,
                        kind=kind,
                        title=f"{place.name}{rng.choice(pools[kind])}",
                        people_reached={
                            "study": rng.randint(15, 40),
                            "lecture": rng.randint(40, 220),
                            "training": rng.randint(30, 90),
                            "visit": rng.randint(25, 120),
                            "forum": rng.randint(12, 35),
                        }[kind],
                        participants=rng.randint(4, 30),
                        groups_visited=rng.randint(2, 6) if kind == "visit" else 0,
                        problems_collected=rng.randint(2, 9) if kind in ("visit", "forum") else 0,
                        suggestions_collected=rng.randint(1, 8)
                        if kind in ("visit", "forum")
                        else 0,
                        note=NOTES[kind],
                        recorded_by=recorder,
                    )
                    if key not in existing:
                        new.append(a)
    with transaction.atomic():
        Activity.objects.bulk_create(new, batch_size=500)
    linked = _link_cases()
    rollup = ""
    if has_model("cases.Case"):
        from .jobs import rollup_refresh, snapshot_refresh

        result = rollup_refresh(full=True)
        snapshot_refresh()
        rollup = f"，汇总{len(result['months'])}个月{result['rows']}行"
    total = Activity.objects.exclude(demo_key="").count()
    return f"活动记录{total}条（新增{len(new)}条），关联诉求{linked}件{rollup}"


def _link_cases() -> int:
    """Cases collected on a visit or forum in the same village and month go to that activity."""
    try:
        from cases.models import Case
    except ImportError:  # pragma: no cover - cases not installed
        return 0
    channel_for = {"visit": "visit", "forum": "forum"}
    acts = list(
        Activity.objects.exclude(demo_key="")
        .filter(kind__in=list(channel_for))
        .values("id", "kind", "place_id", "date")
    )
    index: dict[tuple, list[int]] = {}
    for a in acts:
        index.setdefault(
            (channel_for[a["kind"]], a["place_id"], a["date"].year, a["date"].month), []
        ).append(a["id"])
    links = []
    village_of = dict(OrgNode.objects.filter(kind=OrgNode.Kind.GRID).values_list("id", "path"))
    path_to_id = dict(OrgNode.objects.values_list("path", "id"))
    cases = Case.objects.filter(channel__in=list(channel_for.values())).values(
        "id", "channel", "place_id", "collected_at"
    )
    for c in cases.iterator():
        place = c["place_id"]
        if place in village_of:  # a grid: its village holds the activity
            place = path_to_id.get(village_of[place][: -OrgNode.steplen], place)
        when = timezone.localtime(c["collected_at"])
        ids = index.get((c["channel"], place, when.year, when.month))
        if ids:
            links.append(ActivityCase(activity_id=ids[c["id"] % len(ids)], case_id=c["id"]))
    ActivityCase.objects.bulk_create(links, ignore_conflicts=True, batch_size=1000)
    return ActivityCase.objects.count()


__all__ = ["ActivityKind"]
