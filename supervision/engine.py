"""Moving items up and down the ladder in bulk: levels, timeline, notices, listings,
referrals and notifications, for many items of one kind at once.

Used by the periodic job (actor None, many items) and by the manual services
(one item, an actor and a reason): one code path, so both leave the same trail.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from orgs.models import Role, User
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
                roles__code__in=[Role.UNIT_HANDLER, Role.UNIT_HEAD],
            )
            .distinct()
            .only("id", "username", "phone", "node_id")
        ):
            out[user.node_id].append(user)
    return out


def discipline_staff() -> list[User]:
    return list(
        User.objects.filter(is_active=True, roles__code=Role.DISCIPLINE)
        .distinct()
        .only("id", "username", "phone")
    )


def notify(
    rows: list[tuple[User, str, str, str, ContentType | None, int | None, int]],
    *,
    outside: bool,
) -> int:
    """rows: (recipient, title, body, url, item_type, item_id, level). In-app always;
    SMS / WeChat Work too when `outside`."""
    now = timezone.now()
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=u,
                title=t[:120],
                body=b,
                url=url,
                item_type=ct,
                item_id=pk,
                level=lvl,
                created_at=now,
            )
            for u, t, b, url, ct, pk, lvl in rows
        ],
        batch_size=CHUNK,
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
    note = reason or f"{kind.label}达到“{LEVEL_LABEL[level]}”督办条件，系统自动升级"
    for part in chunks(pks):
        model.objects.filter(pk__in=part).update(escalation_level=level)
    timeline_bulk_append(
        model=model,
        item_ids=pks,
        actor=actor,
        action="supervision.escalate",
        action_label=ACTION_LABEL[level],
        note=note,
        data_for=lambda pk: {"from": old[pk], "to": level, "manual": actor is not None},
        is_public=level >= EscalationLevel.MEDIA,
    )
    now = timezone.now()
    titles = _titles(kind, pks)

    notice_pks: set[int] = set()
    if level >= EscalationLevel.NOTICE:
        have = set()
        for part in chunks(pks):
            have.update(
                Notice.objects.filter(
                    item_type=ct, item_id__in=part, status=Notice.Status.OPEN
                ).values_list("item_id", flat=True)
            )
        new = [pk for pk in pks if pk not in have]
        numbers = _next_numbers(ct, new, today)
        due = workdays.add_working_days(today, policy.notice_answer_workdays)
        Notice.objects.bulk_create(
            [
                Notice(
                    item_type=ct,
                    item_id=pk,
                    unit_id=unit_of[pk],
                    number=numbers[pk],
                    level=level,
                    reason=note,
                    answer_due=due,
                    issued_by=actor,
                    created_at=now,
                )
                for pk in new
            ],
            batch_size=CHUNK,
        )
        notice_pks = set(new)
    if level >= EscalationLevel.CRITICISM:
        have = set()
        for part in chunks(pks):
            have.update(
                BriefingListing.objects.filter(
                    item_type=ct, item_id__in=part, briefed_at__isnull=True
                ).values_list("item_id", flat=True)
            )
        BriefingListing.objects.bulk_create(
            [
                BriefingListing(
                    item_type=ct, item_id=pk, unit_id=unit_of[pk], reason=note, created_at=now
                )
                for pk in pks
                if pk not in have
            ],
            batch_size=CHUNK,
        )
    referred: list[int] = []
    if level >= EscalationLevel.REFERRAL:
        have = set()
        for part in chunks(pks):
            have.update(
                Referral.objects.filter(item_type=ct, item_id__in=part).values_list(
                    "item_id", flat=True
                )
            )
        referred = [pk for pk in pks if pk not in have]
        Referral.objects.bulk_create(
            [
                Referral(
                    item_type=ct,
                    item_id=pk,
                    unit_id=unit_of[pk],
                    reason=note,
                    created_by=actor,
                    created_at=now,
                )
                for pk in referred
            ],
            batch_size=CHUNK,
        )

    # Notifications: the unit's handlers and heads; discipline inspection for referrals.
    staff = unit_staff(unit_of.values())
    key = hooks.key(kind)
    item_url = {pk: reverse("supervision:item", args=[key, pk]) for pk in pks}
    notices_url = reverse("supervision:notices")
    rows_out = []
    for pk in pks:
        title = f"【{LEVEL_LABEL[level]}】{kind.label}：{titles.get(pk) or f'#{pk}'}"
        if pk in notice_pks:
            body = f"请于{workdays.add_working_days(today, policy.notice_answer_workdays):%Y年%m月%d日}前书面答复督办单。{note}"
            url = notices_url
        else:
            body = note
            url = item_url[pk]
        for user in staff.get(unit_of[pk], []):
            rows_out.append((user, title, body, url, ct, pk, level))
    if referred:
        for user in discipline_staff():
            for pk in referred:
                rows_out.append(
                    (
                        user,
                        f"【移送纪委】{kind.label}：{titles.get(pk) or f'#{pk}'}",
                        note,
                        reverse("supervision:referrals"),
                        ct,
                        pk,
                        level,
                    )
                )
    notify(rows_out, outside=level >= EscalationLevel.NOTICE)
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
