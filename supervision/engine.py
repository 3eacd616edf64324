"""Moving items up and down the ladder in bulk: levels, timeline, notices, listings,
referrals and notifications, for many items of one kind at once.

Used by the periodic job (actor None, many items) and by the manual services
(one item, an actor and a reason): one code path, so both leave the same trail.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from core.bulk import insert_many
from orgs.models import OrgNode, Role, User
from tracking import workdays
from tracking.models import EscalationLevel
from tracking.registry import TrackedKind
from tracking.services import timeline_bulk_append

from . import channels, hooks
from .models import BriefingListing, LadderPolicy, Notice, Notification, Referral

CHUNK = 2000
LEVEL_LABEL = dict(EscalationLevel.choices)
ACTION_LABEL = {
    1: "督办提醒",
    2: "下发督办单",
    3: "列入通报批评",
    4: "媒体曝光（公开督办）",
    5: "移送纪委",
}


def chunks(seq: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


def _titles(kind: TrackedKind, pks: Sequence[int]) -> dict[int, str]:
    model = kind.model
    field = hooks.get(kind, "title_field", "title")
    if not any(f.name == field for f in model._meta.get_fields()):
        return {}
    out: dict[int, str] = {}
    for part in chunks(pks):
        out.update(model.objects.filter(pk__in=part).values_list("pk", field))
    return out


def unit_staff(unit_ids: Iterable[int]) -> dict[int, list[User]]:
    """Handlers and heads of each unit: who is told about the unit's items."""
    out: dict[int, list[User]] = defaultdict(list)
    ids = [u for u in set(unit_ids) if u]
    for part in chunks(ids):
        for user in (
            User.objects.filter(
                node_id__in=part,
                is_active=True,
                is_service_account=False,
                roles__code__in=[Role.UNIT_HANDLER, Role.UNIT_HEAD],
            )
            .distinct()
            .only("id", "username", "phone", "node_id")
        ):
            out[user.node_id].append(user)
    return out


def discipline_staff() -> list[tuple[User, str]]:
    """Discipline-inspection users and the path of the subtree they oversee (a commission
    filed as a department oversees its county: selectors.jurisdiction)."""
    out = []
    for user in (
        User.objects.filter(
            is_active=True,
            is_service_account=False,
            roles__code=Role.DISCIPLINE,
            node__isnull=False,
        )
        .select_related("node")
        .distinct()
    ):
        node = user.node
        path = node.path[: -OrgNode.steplen] if node.kind == OrgNode.Kind.DEPARTMENT else node.path
        out.append((user, path or node.path))
    return out


# A unit that gets more than this many items on one rung in one run is told once,
# with the count, instead of once per item: a backlog must not flood the bell.
DIGEST_OVER = 20

NOTIFICATION_FIELDS = (
    "recipient_id", "title", "body", "url", "item_type_id", "item_id", "level", "created_at",
)  # fmt: skip


def notify(
    rows: list[tuple[User, str, str, str, ContentType | None, int | None, int]],
    *,
    outside: bool,
) -> int:
    """rows: (recipient, title, body, url, item_type, item_id, level). In-app always;
    SMS / WeChat Work too when `outside`."""
    now = timezone.now()
    insert_many(
        Notification,
        NOTIFICATION_FIELDS,
        (
            (u.pk, t[:120], b, url, ct.pk if ct else None, pk, lvl, now)
            for u, t, b, url, ct, pk, lvl in rows
        ),
    )
    if outside:
        channels.send_many(
            [
                channels.Message(u.pk, u.username, u.phone or "", t, b, url)
                for u, t, b, url, _ct, _pk, _lvl in rows
            ]
        )
    return len(rows)


def _next_numbers(ct: ContentType, pks: Sequence[int], today: dt.date) -> dict[int, str]:
    counts: dict[int, int] = {}
    for part in chunks(pks):
        counts.update(
            Notice.objects.filter(item_type=ct, item_id__in=part)
            .values("item_id")
            .annotate(n=Count("id"))
            .values_list("item_id", "n")
        )
    return {pk: f"DB{today:%Y%m%d}-{ct.pk}-{pk}-{counts.get(pk, 0) + 1}" for pk in pks}


def _existing(model, ct: ContentType, pks: Sequence[int], **filters) -> set[int]:
    have: set[int] = set()
    for part in chunks(pks):
        have.update(
            model.objects.filter(item_type=ct, item_id__in=part, **filters).values_list(
                "item_id", flat=True
            )
        )
    return have


def _url_for(name: str, *args) -> Callable[[int], str]:
    """reverse() once, then fill in the pk: reversing per item costs more than the insert."""
    template = reverse(name, args=[*args, 999999999])
    head, tail = template.split("999999999")
    return lambda pk: f"{head}{pk}{tail}"


def escalate(
    *,
    kind: TrackedKind,
    rows: Sequence[tuple[int, int, int | None]],
    level: int,
    policy: LadderPolicy,
    today: dt.date,
    actor: User | None = None,
    reason: str = "",
) -> int:
    """Raise items to `level`. rows: (pk, current level, owner unit id), current < level.

    Every rung passed leaves its record: a notice (2), a briefing listing (3), the
    public mark (4: the level itself, public timeline entry), a referral (5).
    """
    if not rows:
        return 0
    model = kind.model
    ct = ContentType.objects.get_for_model(model)
    pks = [r[0] for r in rows]
    old = {r[0]: r[1] for r in rows}
    unit_of = {r[0]: r[2] for r in rows}
    note = reason or f"{kind.label}达到“{LEVEL_LABEL[level]}”督办条件"
    for part in chunks(pks):
        model.objects.filter(pk__in=part).update(escalation_level=level)
    manual = actor is not None
    data_by_old = {lv: {"from": lv, "to": level, "manual": manual} for lv in set(old.values())}
    timeline_bulk_append(
        model=model,
        item_ids=pks,
        actor=actor,
        action="supervision.escalate",
        action_label=ACTION_LABEL[level],
        note=note,
        data_for=lambda pk: data_by_old[old[pk]],
        is_public=level >= EscalationLevel.MEDIA,
    )
    now = timezone.now()
    actor_id = actor.pk if actor else None
    due = workdays.add_working_days(today, policy.notice_answer_workdays)

    new_notices: list[int] = []
    if level >= EscalationLevel.NOTICE:
        have = _existing(Notice, ct, pks, status=Notice.Status.OPEN)
        new_notices = [pk for pk in pks if pk not in have]
        numbers = _next_numbers(ct, new_notices, today)
        insert_many(
            Notice,
            (
                "item_type_id",
                "item_id",
                "unit_id",
                "created_at",
                "number",
                "level",
                "reason",
                "answer_due",
                "status",
                "answer",
                "issued_by_id",
            ),  # fmt: skip
            (
                (
                    ct.pk,
                    pk,
                    unit_of[pk],
                    now,
                    numbers[pk],
                    level,
                    note,
                    due,
                    Notice.Status.OPEN.value,
                    "",
                    actor_id,
                )  # fmt: skip
                for pk in new_notices
            ),
        )
    if level >= EscalationLevel.CRITICISM:
        have = _existing(BriefingListing, ct, pks, briefed_at__isnull=True)
        insert_many(
            BriefingListing,
            ("item_type_id", "item_id", "unit_id", "created_at", "reason"),
            ((ct.pk, pk, unit_of[pk], now, note) for pk in pks if pk not in have),
        )
    referred: list[int] = []
    if level >= EscalationLevel.REFERRAL:
        have = _existing(Referral, ct, pks)
        referred = [pk for pk in pks if pk not in have]
        insert_many(
            Referral,
            ("item_type_id", "item_id", "unit_id", "created_at", "reason", "created_by_id"),
            ((ct.pk, pk, unit_of[pk], now, note, actor_id) for pk in referred),
        )

    # Notifications: the unit's handlers and heads; discipline inspection for referrals.
    staff = unit_staff(unit_of.values())
    notices_url = reverse("supervision:notices")
    item_url = _url_for("supervision:item", hooks.key(kind))
    by_unit: dict[int | None, list[int]] = defaultdict(list)
    for pk in pks:
        by_unit[unit_of[pk]].append(pk)
    titles = _titles(
        kind,
        [
            pk
            for unit, ids in by_unit.items()
            if len(ids) <= DIGEST_OVER and staff.get(unit)
            for pk in ids
        ],
    )
    label = LEVEL_LABEL[level]
    notice_set = set(new_notices)
    out = []
    for unit, ids in by_unit.items():
        users = staff.get(unit, [])
        if not users:
            continue
        with_notice = any(pk in notice_set for pk in ids)
        if len(ids) > DIGEST_OVER:
            body = f"{note}。" + (
                f"请于{due:%Y年%m月%d日}前逐件书面答复督办单。" if with_notice else ""
            )
            title = f"【{label}】贵单位{len(ids)}件{kind.label}升级为“{label}”"
            url = notices_url if with_notice else reverse("supervision:board")
            out += [(u, title, body, url, ct, None, level) for u in users]
            continue
        for pk in ids:
            title = f"【{label}】{kind.label}：{titles.get(pk) or f'#{pk}'}"
            if pk in notice_set:
                body, url = f"请于{due:%Y年%m月%d日}前书面答复督办单。{note}", notices_url
            else:
                body, url = note, item_url(pk)
            out += [(u, title, body, url, ct, pk, level) for u in users]
    if referred:
        # Each commission hears of the referrals in the subtree it oversees.
        paths = dict(
            OrgNode.objects.filter(
                pk__in={unit_of[pk] for pk in referred if unit_of[pk]}
            ).values_list("pk", "path")
        )
        referrals_url = reverse("supervision:referrals")
        for user, scope in discipline_staff():
            mine = [pk for pk in referred if paths.get(unit_of[pk], "").startswith(scope)]
            if len(mine) > DIGEST_OVER:
                title = f"【移送纪委】新移送{kind.label}{len(mine)}件"
                out.append((user, title, note, referrals_url, ct, None, level))
                continue
            more = _titles(kind, mine) if mine else {}
            out += [
                (
                    user,
                    f"【移送纪委】{kind.label}：{more.get(pk) or f'#{pk}'}",
                    note,
                    referrals_url,
                    ct,
                    pk,
                    level,
                )
                for pk in mine
            ]
    notify(out, outside=level >= EscalationLevel.NOTICE)
    return len(pks)


def deescalate(
    *,
    kind: TrackedKind,
    rows: Sequence[tuple[int, int]],
    reason: str,
    actor: User | None = None,
    to_level: int = 0,
) -> int:
    """Lower items to `to_level` (rows: (pk, current level)); close their open notices
    when they leave the notice rung. Referrals stay on record."""
    if not rows:
        return 0
    model = kind.model
    ct = ContentType.objects.get_for_model(model)
    pks = [r[0] for r in rows]
    old = dict(rows)
    for part in chunks(pks):
        model.objects.filter(pk__in=part).update(escalation_level=to_level)
        if to_level < EscalationLevel.NOTICE:
            Notice.objects.filter(item_type=ct, item_id__in=part, status=Notice.Status.OPEN).update(
                status=Notice.Status.CLOSED
            )
    # Lifting a public mark (媒体曝光) is public too; the rest stays internal.
    for public in (True, False):
        ids = [pk for pk in pks if (old[pk] >= EscalationLevel.MEDIA) == public]
        if ids:
            timeline_bulk_append(
                model=model,
                item_ids=ids,
                actor=actor,
                action="supervision.deescalate",
                action_label="解除督办" if to_level == 0 else "降低督办级别",
                note=reason,
                data_for=lambda pk: {"from": old[pk], "to": to_level, "manual": actor is not None},
                is_public=public,
            )
    return len(pks)
