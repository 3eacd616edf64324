"""Use cases of public participation: polls, micro-wishes, volunteer orders, the wall.

Keyword-only, typed, one transaction each, validating before writing. Residents have
no account: their services take a phone that core.sms has verified for a purpose,
and only a salted hash of it (tracking.services.rater_key) is kept with a vote or a
rating. State changes of wishes and orders go through tracking.services.item_transition.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core import sms
from core.errors import InvalidInput, NotFound, PermissionDenied, WorkflowError
from orgs import access
from orgs.models import OrgNode, Role, User
from tracking import registry
from tracking.models import TrackedItem
from tracking.services import item_transition, rater_key, rating_record, timeline_append

from . import selectors
from .masking import mask_name
from .models import (
    CLAIMANT_ROLES,
    MenuItem,
    MicroWish,
    OrderContact,
    Poll,
    PollOption,
    ServiceHours,
    Team,
    TeamMember,
    VolunteerOrder,
    Vote,
    WishContact,
)

# SMS purposes: a code verified for one use does not open another.
PURPOSE_VOTE = "vote"
PURPOSE_RATE = "rate"
PURPOSE_WISH = "wish"
PURPOSE_ORDER = "order"
PURPOSES = (PURPOSE_VOTE, PURPOSE_RATE, PURPOSE_WISH, PURPOSE_ORDER)


def _require(value: str, field: str, label: str, max_len: int | None = None) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"请填写{label}", fields={field: [f"请填写{label}"]})
    if max_len and len(value) > max_len:
        msg = f"{label}不能超过{max_len}字"
        raise InvalidInput(msg, fields={field: [msg]})
    return value


def _verified_phone(phone: str, purpose: str) -> str:
    phone = sms.normalise_phone(phone)
    if not sms.is_verified(phone, purpose):
        raise PermissionDenied("请先获取并填写短信验证码，验证手机号")
    return phone


def _village(node: OrgNode | None) -> OrgNode:
    if node is None or node.kind not in (OrgNode.Kind.VILLAGE, OrgNode.Kind.GRID):
        raise InvalidInput("请选择所在村(社区)", fields={"village": ["请选择所在村(社区)"]})
    return node


def phone_verify(*, phone: str, purpose: str, code: str) -> str:
    """Check an SMS code; returns the normalised phone, verified for `purpose`."""
    if purpose not in PURPOSES:
        raise InvalidInput("未知的验证用途")
    phone = sms.normalise_phone(phone)
    if sms.is_verified(phone, purpose):
        return phone
    if not (code or "").strip():
        raise InvalidInput("请填写短信验证码", fields={"code": ["请填写短信验证码"]})
    if not sms.verify_code(phone, purpose, code):
        raise InvalidInput(
            "验证码不正确或已过期，请重新获取", fields={"code": ["验证码不正确或已过期"]}
        )
    return phone


# --- polls ----------------------------------------------------------------------


def _office(actor: User) -> User:
    access.require_staff(actor)
    access.require_role(actor, Role.OFFICE)
    return actor


def poll_create(
    *,
    actor: User,
    title: str,
    description: str = "",
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    options: Sequence[dict[str, Any]] = (),
    max_choices: int = 1,
) -> Poll:
    _office(actor)
    title = _require(title, "title", "比选名称", 200)
    if not starts_at or not ends_at or ends_at <= starts_at:
        raise InvalidInput("截止时间须晚于开始时间", fields={"ends_at": ["截止时间须晚于开始时间"]})
    if max_choices < 1:
        raise InvalidInput("每人可选项数至少为1", fields={"max_choices": ["至少为1"]})
    with transaction.atomic():
        poll = Poll.objects.create(
            title=title,
            description=(description or "").strip(),
            starts_at=starts_at,
            ends_at=ends_at,
            max_choices=max_choices,
            created_by=actor,
        )
        for opt in options:
            poll_option_add(actor=actor, poll=poll, **opt)
    return poll


def poll_option_add(
    *,
    actor: User,
    poll: Poll,
    title: str,
    description: str = "",
    target: TrackedItem | None = None,
) -> PollOption:
    """Add an option; `target` links it to a tracked item (a commitment) shown publicly."""
    _office(actor)
    title = _require(title, "title", "选项名称", 200)
    if poll.status != Poll.Status.DRAFT:
        raise WorkflowError("比选已开始，不能再增加选项")
    if target is not None and not selectors.is_public(target):
        raise InvalidInput("只能选择已公开的项目", fields={"target": ["只能选择已公开的项目"]})
    return PollOption.objects.create(
        poll=poll,
        title=title,
        description=(description or "").strip(),
        target_type=ContentType.objects.get_for_model(type(target)) if target else None,
        target_id=target.pk if target else None,
        order=poll.options.count(),
    )


def _lock_poll(poll: Poll) -> Poll:
    return Poll.objects.select_for_update().get(pk=poll.pk)


def poll_open(*, actor: User, poll: Poll) -> Poll:
    _office(actor)
    with transaction.atomic():
        poll = _lock_poll(poll)
        if poll.status != Poll.Status.DRAFT:
            raise WorkflowError(f"当前状态为“{poll.get_status_display()}”，不能开启")
        if poll.options.count() < 2:
            raise WorkflowError("比选至少需要两个选项")
        if poll.ends_at <= timezone.now():
            raise WorkflowError("截止时间已过，请先修改截止时间")
        poll.status = Poll.Status.OPEN
        poll.opened_at = timezone.now()
        poll.save(update_fields=["status", "opened_at"])
    return poll


def poll_close(*, actor: User | None, poll: Poll) -> Poll:
    """The office closes a poll; the system closes it at its end time (actor None)."""
    if actor is not None:
        _office(actor)
    with transaction.atomic():
        poll = _lock_poll(poll)
        if poll.status != Poll.Status.OPEN:
            raise WorkflowError(f"当前状态为“{poll.get_status_display()}”，不能截止")
        poll.status = Poll.Status.CLOSED
        poll.closed_at = timezone.now()
        poll.save(update_fields=["status", "closed_at"])
    return poll


def poll_publish(*, actor: User, poll: Poll, outcome: str) -> Poll:
    _office(actor)
    outcome = _require(outcome, "outcome", "比选结果", 2000)
    with transaction.atomic():
        poll = _lock_poll(poll)
        if poll.status != Poll.Status.CLOSED:
            raise WorkflowError("须先截止投票，再公布结果")
        poll.status = Poll.Status.PUBLISHED
        poll.outcome = outcome
        poll.published_at = timezone.now()
        poll.save(update_fields=["status", "outcome", "published_at"])
    return poll


def poll_vote(*, poll: Poll, option_ids: Sequence[int | str], phone: str) -> list[Vote]:
    """One verified phone, one ballot per poll (of up to max_choices options)."""
    phone = _verified_phone(phone, PURPOSE_VOTE)
    try:
        ids = sorted({int(i) for i in option_ids})
    except (TypeError, ValueError):
        ids = []
    if not ids:
        raise InvalidInput("请选择一个选项", fields={"option": ["请选择一个选项"]})
    key = rater_key(phone)
    with transaction.atomic():
        poll = _lock_poll(poll)
        if not poll.accepting_votes():
            if poll.status == Poll.Status.DRAFT or timezone.now() < poll.starts_at:
                raise WorkflowError("比选尚未开始", code="poll_not_open")
            raise WorkflowError("比选投票已截止", code="poll_closed")
        if len(ids) > poll.max_choices:
            msg = f"每人最多选择{poll.max_choices}项"
            raise InvalidInput(msg, fields={"option": [msg]})
        options = list(poll.options.filter(pk__in=ids))
        if len(options) != len(ids):
            raise InvalidInput("所选选项不属于本次比选", fields={"option": ["选项无效"]})
        if Vote.objects.filter(poll=poll, voter_key=key).exists():
            raise WorkflowError("该手机号已在本次比选中投过票", code="already_voted")
        try:
            votes = [Vote.objects.create(poll=poll, option=o, voter_key=key) for o in options]
        except IntegrityError:
            raise WorkflowError("该手机号已在本次比选中投过票", code="already_voted") from None
        PollOption.objects.filter(pk__in=ids).update(votes=F("votes") + 1)
        Poll.objects.filter(pk=poll.pk).update(vote_count=F("vote_count") + 1)
    return votes


def polls_close_expired() -> dict[str, int]:
    """Periodic job: close open polls whose end time has passed (idempotent)."""
    closed = 0
    for poll in Poll.objects.filter(status=Poll.Status.OPEN, ends_at__lte=timezone.now()):
        poll_close(actor=None, poll=poll)
        closed += 1
    return {"closed": closed}


# --- micro-wishes -----------------------------------------------------------------


def require_claimant(actor: User, wish: MicroWish) -> None:
    """Only the 圆梦人 (or a colleague of the claiming unit) acts on a claimed wish."""
    if wish.claimant_id == actor.pk:
        return
    if wish.claimant_unit_id and wish.claimant_unit_id == actor.node_id:
        return
    raise PermissionDenied("只有认领该心愿的圆梦人才能操作")


def _wish_create(
    *,
    actor: User | None,
    village: OrgNode,
    title: str,
    text: str,
    name: str,
    phone: str,
    address: str,
    source: str,
    source_case_id: int | None = None,
) -> MicroWish:
    wish = MicroWish.objects.create(
        state=MicroWish.WORKFLOW.initial,
        place=village,
        title=title,
        text=text,
        wisher_label=mask_name(name),
        source=source,
        source_case_id=source_case_id,
        posted_by=actor,
    )
    WishContact.objects.create(wish=wish, name=name, phone=phone, address=address)
    timeline_append(
        item=wish,
        actor=actor,
        action="microwish.post",
        action_label="发布心愿",
        to_state=wish.state,
    )
    return wish


def _wish_fields(title: str, text: str, name: str) -> tuple[str, str, str]:
    return (
        _require(title, "title", "心愿", 100),
        (text or "").strip()[:2000],
        _require(name, "name", "姓名", 50),
    )


def wish_post_public(
    *,
    phone: str,
    village: OrgNode | None,
    title: str,
    text: str = "",
    name: str,
    address: str = "",
) -> MicroWish:
    """A resident posts a wish (phone verified); it waits for the village's review."""
    village = _village(village)
    title, text, name = _wish_fields(title, text, name)
    phone = _verified_phone(phone, PURPOSE_WISH)
    with transaction.atomic():
        return _wish_create(
            actor=None,
            village=village,
            title=title,
            text=text,
            name=name,
            phone=phone,
            address=(address or "").strip()[:200],
            source=MicroWish.Source.RESIDENT,
        )


def wish_post(
    *,
    actor: User,
    village: OrgNode | None,
    title: str,
    text: str = "",
    name: str,
    phone: str = "",
    address: str = "",
) -> MicroWish:
    """A village (grid worker) posts a wish on behalf of a resident."""
    access.require_staff(actor)
    access.require_role(actor, Role.GRID_WORKER, Role.OFFICE)
    village = _village(village)
    if not access.covers(actor, village):
        raise NotFound()
    title, text, name = _wish_fields(title, text, name)
    if phone:
        phone = sms.normalise_phone(phone)
    with transaction.atomic():
        return _wish_create(
            actor=actor,
            village=village,
            title=title,
            text=text,
            name=name,
            phone=phone,
            address=(address or "").strip()[:200],
            source=MicroWish.Source.VILLAGE,
        )


def wish_approve(*, actor: User, wish: MicroWish, note: str = "") -> MicroWish:
    return item_transition(
        actor=actor, item=wish, name="approve", note=note, changes={"is_public": True}
    )


def wish_reject(*, actor: User, wish: MicroWish, note: str) -> MicroWish:
    return item_transition(actor=actor, item=wish, name="reject", note=note, require_note=True)


def _claimant_label(actor: User) -> tuple[OrgNode | None, str]:
    """A unit claims through its staff; a party member claims in person."""
    if actor.has_role(Role.VOLUNTEER):
        return None, f"{mask_name(actor.full_name or actor.username)}（党员志愿者）"
    return actor.node, actor.node.name if actor.node_id else ""


def wish_claim(*, actor: User, wish: MicroWish, note: str = "") -> MicroWish:
    access.require_staff(actor)
    if not actor.has_role(*CLAIMANT_ROLES):
        raise PermissionDenied("只有党员志愿者或单位可以认领心愿")
    unit, label = _claimant_label(actor)
    return item_transition(
        actor=actor,
        item=wish,
        name="claim",
        note=note,
        changes={
            "claimant": actor,
            "claimant_unit": unit,
            "claimant_label": label,
            "claimed_at": timezone.now(),
            "owner_unit": unit,
        },
    )


def wish_release(*, actor: User, wish: MicroWish, note: str) -> MicroWish:
    access.require_staff(actor)
    if not actor.has_role(Role.OFFICE):
        require_claimant(actor, wish)
    return item_transition(
        actor=actor,
        item=wish,
        name="release",
        note=note,
        require_note=True,
        changes={
            "claimant": None,
            "claimant_unit": None,
            "claimant_label": "",
            "claimed_at": None,
            "owner_unit": None,
        },
    )


def wish_fulfil(
    *, actor: User, wish: MicroWish, fulfilment: str, evidence: Sequence[UploadedFile] = ()
) -> MicroWish:
    return item_transition(
        actor=actor,
        item=wish,
        name="fulfil",
        note=(fulfilment or "").strip()[:500],
        changes={"fulfilment": (fulfilment or "").strip(), "fulfilled_at": timezone.now()},
        data={"evidence_count": len(evidence)},
        evidence=evidence,
    )


def wish_confirm(*, actor: User, wish: MicroWish, note: str = "") -> MicroWish:
    return item_transition(actor=actor, item=wish, name="confirm", note=note)


def microwish_create_from_case(*, actor: User, case) -> MicroWish:
    """Converter for cases.services.case_convert("microwish"): the case's need becomes
    a wish, approved at once (the office has already triaged it)."""
    access.require_staff(actor)
    access.require_role(actor, Role.OFFICE, Role.GRID_WORKER)
    if MicroWish.objects.filter(source_case_id=case.pk).exists():
        raise WorkflowError("该诉求已转为微心愿")
    contact = getattr(case, "contact", None)
    place = case.place
    if place.kind == OrgNode.Kind.GRID:
        place = OrgNode.objects.get(path=place.path[: -OrgNode.steplen])
    title = (getattr(case, "title", "") or case.text or "").strip()[:100] or "群众微心愿"
    with transaction.atomic():
        wish = _wish_create(
            actor=actor,
            village=_village(place),
            title=title,
            text=(case.text or "").strip(),
            name=getattr(contact, "name", "") or "",
            phone=getattr(contact, "phone", "") or "",
            address=getattr(case, "address", "") or "",
            source=MicroWish.Source.CASE,
            source_case_id=case.pk,
        )
        return wish_approve(actor=actor, wish=wish, note="由群众诉求转为微心愿")


# --- volunteer service ------------------------------------------------------------


def team_create(*, actor: User, name: str, node: OrgNode, description: str = "") -> Team:
    _office(actor)
    name = _require(name, "name", "队伍名称", 100)
    if not access.covers(actor, node):
        raise NotFound()
    if Team.objects.filter(name=name).exists():
        raise InvalidInput("已有同名队伍", fields={"name": ["已有同名队伍"]})
    return Team.objects.create(name=name, node=node, description=(description or "").strip())


def team_member_add(*, actor: User, team: Team, user: User, is_leader: bool = False) -> TeamMember:
    _office(actor)
    if not user.has_role(Role.VOLUNTEER):
        raise InvalidInput("只能添加党员/志愿者账号", fields={"user": ["须为党员/志愿者"]})
    member, _ = TeamMember.objects.update_or_create(
        team=team, user=user, defaults={"is_leader": is_leader}
    )
    return member


def menu_item_save(
    *,
    actor: User,
    kind: str,
    title: str,
    description: str = "",
    month: dt.date | None = None,
    speaker: str = "",
    default_team: Team | None = None,
    item: MenuItem | None = None,
) -> MenuItem:
    """The centre keeps the menu: add or edit a service or a monthly lecture."""
    _office(actor)
    if kind not in MenuItem.Kind.values:
        raise InvalidInput("请选择类别", fields={"kind": ["请选择类别"]})
    title = _require(title, "title", "服务项目", 120)
    if kind == MenuItem.Kind.LECTURE and month is None:
        raise InvalidInput("宣讲须注明月份", fields={"month": ["宣讲须注明月份"]})
    item = item or MenuItem()
    item.kind, item.title, item.description = kind, title, (description or "").strip()
    item.month = month.replace(day=1) if month else None
    item.speaker, item.default_team = (speaker or "").strip()[:80], default_team
    item.save()
    return item


def menu_item_withdraw(*, actor: User, item: MenuItem) -> MenuItem:
    _office(actor)
    item.is_active = False
    item.save(update_fields=["is_active"])
    return item


def require_team_member(actor: User, team_id: int | None) -> None:
    if not (team_id and TeamMember.objects.filter(team_id=team_id, user=actor).exists()):
        raise PermissionDenied("只有承接队伍的队员才能操作")


def _order_fields(menu_item: MenuItem | None, needs: str) -> tuple[MenuItem, str]:
    if menu_item is None or not menu_item.is_active:
        raise InvalidInput("请选择服务项目", fields={"menu_item": ["请选择服务项目"]})
    return menu_item, (needs or "").strip()[:1000]


def _order_create(*, actor, menu_item, village, needs, wanted_date, kind) -> VolunteerOrder:
    order = VolunteerOrder.objects.create(
        state=VolunteerOrder.WORKFLOW.initial,
        place=village,
        menu_item=menu_item,
        orderer_kind=kind,
        ordered_by=actor,
        needs=needs,
        wanted_date=wanted_date,
        is_public=False,
    )
    timeline_append(
        item=order,
        actor=actor,
        action="volunteer_order.order",
        action_label="点单",
        to_state="ordered",
    )
    return order


def order_place_public(
    *,
    phone: str,
    name: str,
    menu_item: MenuItem | None,
    village: OrgNode | None,
    needs: str = "",
    wanted_date: dt.date | None = None,
) -> VolunteerOrder:
    """群众点单: a resident orders from the menu (phone verified); gets a tracking code."""
    menu_item, needs = _order_fields(menu_item, needs)
    village = _village(village)
    name = _require(name, "name", "姓名", 50)
    phone = _verified_phone(phone, PURPOSE_ORDER)
    with transaction.atomic():
        order = _order_create(
            actor=None,
            menu_item=menu_item,
            village=village,
            needs=needs,
            wanted_date=wanted_date,
            kind=VolunteerOrder.Orderer.RESIDENT,
        )
        OrderContact.objects.create(order=order, name=name, phone=phone)
    return order


def order_place(
    *,
    actor: User,
    menu_item: MenuItem | None,
    village: OrgNode | None,
    needs: str = "",
    wanted_date: dt.date | None = None,
) -> VolunteerOrder:
    """村(社区)点单: village staff order for their community."""
    access.require_staff(actor)
    access.require_role(actor, Role.GRID_WORKER, Role.OFFICE)
    menu_item, needs = _order_fields(menu_item, needs)
    village = _village(village)
    if not access.covers(actor, village):
        raise NotFound()
    with transaction.atomic():
        return _order_create(
            actor=actor,
            menu_item=menu_item,
            village=village,
            needs=needs,
            wanted_date=wanted_date,
            kind=VolunteerOrder.Orderer.VILLAGE,
        )


def order_dispatch(
    *, actor: User, order: VolunteerOrder, team: Team | None, note: str = ""
) -> VolunteerOrder:
    """中心派单."""
    if team is not None and not team.is_active:
        raise InvalidInput("该队伍已停用", fields={"team": ["该队伍已停用"]})
    return item_transition(
        actor=actor,
        item=order,
        name="dispatch",
        note=note or (f"派给{team.name}" if team else ""),
        changes={"team": team},
    )


def order_accept(*, actor: User, order: VolunteerOrder, note: str = "") -> VolunteerOrder:
    """志愿者接单."""
    return item_transition(actor=actor, item=order, name="accept", note=note)


def order_cancel(*, actor: User, order: VolunteerOrder, note: str) -> VolunteerOrder:
    return item_transition(actor=actor, item=order, name="cancel", note=note, require_note=True)


def order_decline(*, actor: User, order: VolunteerOrder, note: str) -> VolunteerOrder:
    return item_transition(actor=actor, item=order, name="decline", note=note, require_note=True)


def _hours(raw) -> Decimal:
    try:
        value = Decimal(str(raw)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        value = Decimal(0)
    if not (Decimal(0) < value <= Decimal(24)):
        raise InvalidInput("服务时长须在0到24小时之间", fields={"hours": ["请填写服务时长"]})
    return value


def order_serve(
    *,
    actor: User,
    order: VolunteerOrder,
    hours,
    attendees: int,
    volunteers: Sequence[User] = (),
    note: str = "",
    evidence: Sequence[UploadedFile] = (),
) -> VolunteerOrder:
    """After the service: hours (each listed volunteer gave them), attendees, a note."""
    value = _hours(hours)
    try:
        attendees = int(attendees)
    except (TypeError, ValueError):
        attendees = -1
    if attendees < 0 or attendees > 100000:
        raise InvalidInput("请填写服务人数", fields={"attendees": ["请填写服务人数"]})
    people = list({u.pk: u for u in (volunteers or [actor])}.values())
    members = set(
        TeamMember.objects.filter(team_id=order.team_id, user__in=people).values_list(
            "user_id", flat=True
        )
    )
    if any(u.pk not in members for u in people):
        raise InvalidInput("参与人员须为本队队员", fields={"volunteers": ["须为本队队员"]})
    with transaction.atomic():
        order = item_transition(
            actor=actor,
            item=order,
            name="serve",
            note=(note or "").strip(),
            changes={
                "hours": value,
                "attendees": attendees,
                "service_note": (note or "").strip(),
                "served_at": timezone.now(),
            },
            data={"hours": str(value), "attendees": attendees, "volunteers": len(people)},
            evidence=evidence,
        )
        for u in people:
            ServiceHours.objects.create(
                order=order, team_id=order.team_id, volunteer=u, hours=value
            )
    return order


def order_rate_public(
    *, code: str, phone_tail: str, value: str, comment: str = ""
) -> VolunteerOrder:
    """The resident who ordered rates the service, with the code and the phone's last 4 digits."""
    order = order_by_code(code=code, phone_tail=phone_tail)
    with transaction.atomic():
        if order.state != "served":
            raise WorkflowError(f"当前状态为“{order.state_label}”，不能评价")
        rating_record(item=order, value=value, comment=comment, rater=order.contact.phone)
        return item_transition(
            actor=None, item=order, name="rate", data={"value": value}, note=comment[:200]
        )


def order_rate(
    *, actor: User, order: VolunteerOrder, value: str, comment: str = ""
) -> VolunteerOrder:
    """The village that ordered rates the service."""
    access.require_staff(actor)
    if order.orderer_kind != VolunteerOrder.Orderer.VILLAGE or not access.covers(
        actor, order.place
    ):
        raise PermissionDenied("只有点单的村(社区)可以评价")
    with transaction.atomic():
        if order.state != "served":
            raise WorkflowError(f"当前状态为“{order.state_label}”，不能评价")
        rating_record(
            item=order, value=value, comment=comment, rater=f"user:{actor.pk}", source="village"
        )
        return item_transition(
            actor=actor, item=order, name="rate", data={"value": value}, note=comment[:200]
        )


def order_by_code(*, code: str, phone_tail: str) -> VolunteerOrder:
    """A resident's own order: code plus the phone's last four digits, else not found."""
    code = (code or "").strip().upper()
    tail = (phone_tail or "").strip()
    order = (
        VolunteerOrder.objects.select_related("contact", "menu_item", "team", "place")
        .filter(code=code, orderer_kind=VolunteerOrder.Orderer.RESIDENT)
        .first()
    )
    if order is None or len(tail) != 4 or not order.contact.phone.endswith(tail):
        raise NotFound("查询码或手机号后四位不正确")
    return order


# --- the rating wall ------------------------------------------------------------------


def wall_rate(*, item: TrackedItem, value: str, comment: str = "", phone: str) -> None:
    """A resident rates a finished public item on the wall: one rating per phone per item."""
    phone = _verified_phone(phone, PURPOSE_RATE)
    kind = registry.kind_for(type(item))
    if item.state not in kind.finished_states or not selectors.is_public(item):
        raise WorkflowError("该事项尚未办结，暂不能评价")
    from .masking import scrub_text

    rating_record(item=item, value=value, comment=scrub_text(comment), rater=phone, source="wall")
