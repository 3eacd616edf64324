"""Demo cases: about 3,000 over the last 12 months, in every state and on every channel.

A fixed random seed and bulk inserts: running it twice gives the same rows (the
second run finds them and stops). Each case's timeline holds one entry per step
it reached, with the times the step happened, so the pages and the figures read
like a year of real work. Texts come from cases/demo_text.py.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from orgs.models import OrgNode, Role, User
from taxonomy.models import Category, Item
from tracking import workdays
from tracking.models import Rating, RatingValue, TimelineEntry
from tracking.services import actor_label, rater_key

from . import demo_text
from .models import CODE_ALPHABET, CODE_LENGTH, Case, CaseContact, Channel, Kind, State

COUNT = 3000
SEED = 20260101
SOURCE = "demo"

CHANNEL_WEIGHTS = {
    Channel.WEB: 30,
    Channel.PHONE: 8,
    Channel.FORUM: 10,
    Channel.VISIT: 15,
    Channel.BOX: 4,
    Channel.WECHAT: 10,
    Channel.WALL: 4,
    Channel.SURVEY: 6,
    Channel.HOTLINE: 11,
    Channel.API: 2,
}
STATE_LABELS = Case.WORKFLOW.states


@dataclass
class Step:
    action: str
    label: str
    at: dt.datetime
    actor: User | None
    from_state: str
    to_state: str
    note: str = ""
    data: dict = field(default_factory=dict)
    public: bool = False


def _hours(rng: random.Random, lo: float, hi: float) -> dt.timedelta:
    return dt.timedelta(hours=rng.uniform(lo, hi))


def _work_time(at: dt.datetime) -> dt.datetime:
    """Move a staff action into office hours (8:30–17:30 local) so timelines look real."""
    local = timezone.localtime(at)
    if local.hour < 8:
        local = local.replace(hour=8, minute=30 + local.minute % 30)
    elif local.hour >= 18:
        local = (local + dt.timedelta(days=1)).replace(hour=8, minute=40 + local.minute % 20)
    return local


class _People:
    """Staff acting in the demo: the README logins where they fit, invented handlers elsewhere."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.by_node: dict[tuple[int, str], User] = {}
        self.office = User.objects.get(username="office")

    def _user(self, node: OrgNode, role: str, prefix: str) -> User:
        key = (node.pk, role)
        if key in self.by_node:
            return self.by_node[key]
        user = (
            User.objects.filter(node=node, roles__code=role, is_active=True)
            .exclude(username__startswith="t_")
            .order_by("id")
            .first()
        )
        if user is None:
            username = f"demo_{prefix}_{node.code.lower()}"
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"full_name": demo_text.person_name(self.rng), "node": node},
            )
            if created:
                user.set_unusable_password()  # actors of the demo history, not logins
                user.save(update_fields=["password"])
                user.roles.add(Role.objects.get(code=role))
        self.by_node[key] = user
        return user

    def handler(self, unit: OrgNode) -> User:
        return self._user(unit, Role.UNIT_HANDLER, "h")

    def dispatcher(self, unit: OrgNode, town: OrgNode) -> User:
        return (
            self.office
            if unit.kind == OrgNode.Kind.DEPARTMENT
            else self._user(town, Role.OFFICE, "o")
        )

    def collector(self, place: OrgNode) -> User:
        return self._user(place, Role.GRID_WORKER, "g")


def _tracking_code(rng: random.Random, used: set[str]) -> str:
    while True:
        code = "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if code not in used:
            used.add(code)
            return code


def _kind_for(rng: random.Random, code: str) -> str:
    if code == "A6C04":
        return Kind.WISH
    if code == "A6C02" and rng.random() < 0.5:
        return Kind.VOLUNTEER
    if code in ("A3C03", "A4C01", "A4C02") and rng.random() < 0.3:
        return Kind.HOME_SERVICE
    r = rng.random()
    return Kind.REQUEST if r < 0.62 else Kind.COMPLAINT if r < 0.82 else Kind.SUGGESTION


@transaction.atomic
def seed() -> str:
    existing = Case.objects.filter(external_source=SOURCE).count()
    if existing:
        return f"演示诉求已存在（{existing}件），未重复生成"
    rng = random.Random(SEED)
    now = timezone.now()
    people = _People(rng)
    categories = list(Category.objects.select_related("default_unit").order_by("id"))
    items_by_cat: dict[int, list[Item]] = {}
    for it in Item.objects.order_by("id"):
        items_by_cat.setdefault(it.category_id, []).append(it)
    towns = list(OrgNode.objects.filter(kind=OrgNode.Kind.TOWN).order_by("path"))
    villages_by_town = {
        t.pk: list(OrgNode.objects.get_children(t).filter(kind=OrgNode.Kind.VILLAGE)) for t in towns
    }
    grids_by_village: dict[int, list[OrgNode]] = {}
    for g in OrgNode.objects.filter(kind=OrgNode.Kind.GRID).order_by("path"):
        grids_by_village.setdefault(g.path[: -OrgNode.steplen], []).append(
            g
        )  # keyed by parent path
    channels, weights = zip(*CHANNEL_WEIGHTS.items(), strict=True)
    used_codes: set[str] = set()

    plans = []  # (case fields, contact, steps, ratings, merge_target_index)
    by_cat_index: dict[int, list[int]] = {}
    for i in range(COUNT):
        # Collection time: uniform over the last 365 days, a bit denser recently.
        age_days = 365 * (rng.random() ** 1.15)
        collected = now - dt.timedelta(days=age_days, minutes=rng.randrange(600))
        town = rng.choice(towns)
        village = rng.choice(villages_by_town[town.pk])
        grids = grids_by_village.get(village.path, [])
        place = rng.choice(grids) if grids and rng.random() < 0.35 else village
        cat = rng.choice(categories)
        item = rng.choice(items_by_cat.get(cat.pk, [None]))
        channel = rng.choices(channels, weights)[0]
        # Every channel appears: the first cases cycle through them.
        if i < len(channels):
            channel = channels[i]
        text, title = demo_text.compose(rng, cat.code, item.name if item else cat.name, channel)
        staff_channel = channel not in (Channel.WEB, Channel.API, Channel.HOTLINE)
        collector = people.collector(village) if staff_channel else None
        has_contact = channel == Channel.WEB or rng.random() < 0.8
        contact = (demo_text.person_name(rng), demo_text.phone_number(rng)) if has_contact else None
        fields = {
            "tracking_code": _tracking_code(rng, used_codes),
            "kind": _kind_for(rng, cat.code),
            "channel": channel,
            "text": text,
            "title": title,
            "category": cat,
            "item": item,
            "place": place,
            "collected_at": collected,
            "collected_by": collector,
            "external_source": SOURCE,
            "external_ref": f"DEMO-{i:05d}",
            "created_at": collected,
        }
        steps: list[Step] = [
            Step(
                "case.submit",
                "代为登记" if collector else "提交",
                collected,
                collector,
                "",
                State.SUBMITTED,
                data={"channel": channel},
            )
        ]
        ratings: list[tuple[str, str, dt.datetime, int]] = []
        merge_target = None
        state = State.SUBMITTED
        t = collected

        def step(action, label, at, actor, to, note="", data=None, public=True, _steps=steps):
            nonlocal state
            _steps.append(
                Step(action, label, at, actor, state, to or state, note, data or {}, public)
            )
            if to:
                state = to

        r = rng.random()
        town_of_place = town
        if r < 0.04 and age_days > 1:
            t = _work_time(t + _hours(rng, 2, 30))
            if t < now:
                step(
                    "case.decline",
                    "不予受理",
                    t,
                    people.office,
                    State.DECLINED,
                    rng.choice(demo_text.DECLINE_REASONS),
                )
                fields["closed_at"] = t
        elif r < 0.07 and (
            earlier := [
                j for j in by_cat_index.get(cat.pk, []) if plans[j][0]["collected_at"] < collected
            ]
        ):
            merge_target = plans[rng.choice(earlier[-30:])][0]["external_ref"]
            t = _work_time(t + _hours(rng, 2, 30))
            if t < now:
                step(
                    "case.merge",
                    "合并",
                    t,
                    people.office,
                    State.MERGED,
                    "与此前反映的同一事项合并办理",
                )
            else:
                merge_target = None
        else:
            # accept (or dispatch straight away), dispatch, sign, progress, reply, rate, close
            unit = cat.default_unit if cat.default_unit and rng.random() < 0.7 else town_of_place
            dispatcher = people.dispatcher(unit, town_of_place)
            handler = people.handler(unit)
            days = cat.default_days or 10
            # A backlog: recent cases (and a few old ones) stop at some stage, so
            # inboxes have work waiting, due soon and overdue.
            stall = ""
            if rng.random() < (0.5 if age_days < 75 else 0.06 if age_days < 120 else 0):
                stall = rng.choice(
                    ["accept", "dispatch", "sign", "sign", "reply", "reply", "reply"]
                )
            done = stall == "accept"
            if not done and rng.random() < 0.55:
                t = _work_time(t + _hours(rng, 1, 40))
                if t >= now:
                    done = True
                else:
                    step("case.accept", "受理", t, dispatcher, State.ACCEPTED)
            if not done:
                t = _work_time(t + _hours(rng, 0.5, 30))
                if t >= now or stall == "dispatch":
                    done = True
            if not done:
                deadline = workdays.add_working_days(timezone.localtime(t).date(), days)
                step(
                    "case.dispatch",
                    "交办",
                    t,
                    dispatcher,
                    State.DISPATCHED,
                    "请按时限办理并答复群众" if rng.random() < 0.3 else "",
                    {"unit": unit.pk, "unit_name": unit.name, "deadline": deadline.isoformat()},
                )
                fields.update(owner_unit=unit, deadline=deadline, dispatched_at=t)
                # A few wrongly routed cases go back and out again.
                if rng.random() < 0.05:
                    t2 = _work_time(t + _hours(rng, 2, 40))
                    if t2 < now:
                        step(
                            "case.return",
                            "退回",
                            t2,
                            handler,
                            State.ACCEPTED,
                            rng.choice(demo_text.RETURN_REASONS),
                            public=False,
                        )
                        unit = (
                            town_of_place
                            if unit.kind == OrgNode.Kind.DEPARTMENT
                            else (cat.default_unit or unit)
                        )
                        handler = people.handler(unit)
                        t = _work_time(t2 + _hours(rng, 1, 20))
                        if t < now:
                            deadline = workdays.add_working_days(timezone.localtime(t).date(), days)
                            step(
                                "case.dispatch",
                                "交办",
                                t,
                                people.dispatcher(unit, town_of_place),
                                State.DISPATCHED,
                                "重新交办",
                                {
                                    "unit": unit.pk,
                                    "unit_name": unit.name,
                                    "deadline": deadline.isoformat(),
                                },
                            )
                            fields.update(owner_unit=unit, deadline=deadline, dispatched_at=t)
                        else:
                            fields.update(owner_unit=None, deadline=None, dispatched_at=None)
                            done = True
            if not done and state == State.DISPATCHED and stall != "sign":
                slow = rng.random() < 0.1
                t = _work_time(t + _hours(rng, 0.3, 70 if slow else 20))
                if t < now:
                    step("case.sign", "签收", t, handler, State.SIGNED)
                    fields["signed_at"] = t
                else:
                    done = True
            reopened = 0
            while not done and state in (State.SIGNED, State.IN_PROGRESS):
                for _ in range(rng.choice([0, 1, 1, 2])):
                    t2 = _work_time(t + _hours(rng, 4, 24 * days / 3))
                    if t2 >= now:
                        done = True
                        break
                    t = t2
                    step(
                        "case.progress",
                        "办理进展",
                        t,
                        handler,
                        State.IN_PROGRESS,
                        rng.choice(demo_text.PROGRESS_NOTES),
                        public=False,
                    )
                if done:
                    break
                late = rng.random() < 0.12
                span = days * 1.4 * (rng.uniform(1.05, 1.8) if late else rng.uniform(0.15, 0.95))
                t2 = _work_time(t + dt.timedelta(days=span))
                if t2 >= now or stall == "reply":
                    done = True
                    break
                t = t2
                res = demo_text.result(rng, cat.code)
                step("case.reply", "办结答复", t, handler, State.REPLIED, res)
                fields.update(result=res, replied_at=t)
                # the resident rates (or not)
                if rng.random() < 0.68:
                    t2 = t + _hours(rng, 3, 24 * 6)
                    if t2 >= now:
                        done = True
                        break
                    t = t2
                    v = rng.random()
                    value = (
                        RatingValue.SATISFIED
                        if v < 0.8
                        else RatingValue.NEUTRAL
                        if v < 0.92
                        else RatingValue.UNSATISFIED
                    )
                    comment = demo_text.rating_comment(rng, value)
                    step("case.rate", "评价", t, None, State.RATED, comment, {"value": value})
                    ratings.append((value, comment, t, reopened))
                    if value == RatingValue.UNSATISFIED:
                        if reopened == 0:
                            reopened = 1
                            nd = workdays.add_working_days(timezone.localtime(t).date(), days)
                            step(
                                "case.reopen",
                                "重办",
                                t,
                                None,
                                State.IN_PROGRESS,
                                "群众评价不满意，退回承办单位重新办理",
                                {"deadline": nd.isoformat()},
                            )
                            fields.update(reopen_count=1, deadline=nd, result="")
                            continue
                        step("case.flag", "转入督办", t, None, None, "重办后群众仍不满意，转入督办")
                        fields["flagged_for_supervision"] = True
                break
            if not done and state in (State.REPLIED, State.RATED) and rng.random() < 0.85:
                t2 = _work_time(t + _hours(rng, 4, 24 * 8))
                if t2 < now:
                    step("case.close", "销号", t2, people.office, State.CLOSED, "")
                    fields["closed_at"] = t2
        fields["state"] = state
        fields["state_changed_at"] = steps[-1].at
        if state in (State.REPLIED, State.RATED, State.CLOSED) and rng.random() < 0.7:
            fields["is_public"] = True
        plans.append((fields, contact, steps, ratings, merge_target, None))
        if state not in (State.DECLINED, State.MERGED):
            by_cat_index.setdefault(cat.pk, []).append(i)

    # --- write -----------------------------------------------------------------
    # Ids follow collection time, as they do in real use (lists page by id).
    plans.sort(key=lambda p: p[0]["collected_at"])
    cases = []
    for fields, _contact, _steps, ratings, _m, _t in plans:
        c = Case(**fields)
        for value, *_ in ratings:
            attr = {"satisfied": "rating_satisfied", "neutral": "rating_neutral"}.get(
                value, "rating_unsatisfied"
            )
            setattr(c, attr, getattr(c, attr) + 1)
        cases.append(c)
    Case.objects.bulk_create(cases, batch_size=500)
    ids = dict(Case.objects.filter(external_source=SOURCE).values_list("external_ref", "id"))
    for c in cases:
        c.pk = ids[c.external_ref]
    merged = []
    for c, (_f, _c, _s, _r, target, _t) in zip(cases, plans, strict=True):
        if target is not None:
            c.merged_into_id = ids[target]
            merged.append(c)
    Case.objects.bulk_update(merged, ["merged_into"], batch_size=500)
    CaseContact.objects.bulk_create(
        [
            CaseContact(
                case_id=c.pk,
                name=contact[0],
                phone=contact[1],
                phone_verified=c.channel == Channel.WEB,
            )
            for c, (_f, contact, *_rest) in zip(cases, plans, strict=True)
            if contact
        ],
        batch_size=1000,
    )
    ct = ContentType.objects.get_for_model(Case)
    labels: dict[int | None, str] = {}

    def label(user):
        key = user.pk if user else None
        if key not in labels:
            labels[key] = actor_label(user)
        return labels[key]

    entries = []
    rating_rows = []
    for c, (_f, _contact, steps, ratings, _m, _t) in zip(cases, plans, strict=True):
        for s in steps:
            entries.append(
                TimelineEntry(
                    item_type=ct,
                    item_id=c.pk,
                    actor=s.actor,
                    actor_label="群众"
                    if s.actor is None and s.action in ("case.submit", "case.rate")
                    else label(s.actor),
                    action=s.action,
                    action_label=s.label,
                    from_state=s.from_state,
                    to_state=s.to_state,
                    note=s.note,
                    data=s.data,
                    is_public=s.public and s.action != "case.submit",
                    created_at=s.at,
                )
            )
        for value, comment, at, round_ in ratings:
            rating_rows.append(
                Rating(
                    item_type=ct,
                    item_id=c.pk,
                    value=value,
                    comment=comment,
                    rater_key=rater_key(f"case:{c.tracking_code}:{round_}"),
                    created_at=at,
                )
            )
    TimelineEntry.objects.bulk_create(entries, batch_size=1000)
    Rating.objects.bulk_create(rating_rows, batch_size=1000)
    counts: dict[str, int] = {}
    for c in cases:
        counts[c.state] = counts.get(c.state, 0) + 1
    summary = "、".join(
        f"{STATE_LABELS[s]}{n}" for s, n in sorted(counts.items(), key=lambda kv: -kv[1])
    )
    # the demo's handled cases index the search and teach the suggesters
    from textintel.jobs import train_all

    from . import textsearch

    textsearch.sync()
    train_all()
    return f"{len(cases)} 件演示诉求（{summary}），{len(entries)} 条纪实"
