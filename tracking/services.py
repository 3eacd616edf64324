"""The kernel's use cases: one transition service for every tracked item, the
timeline, ratings and the personal-data access log.

Each function is keyword-only, takes the actor (None = the system) and runs in
one transaction. Apps wrap these with their own rules; they never write state,
timeline or ratings any other way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.bulk import insert_many
from core.errors import InvalidInput, NotFound, PermissionDenied, WorkflowError
from orgs import access
from orgs.models import User

from .models import (
    Evidence,
    PersonalDataAccess,
    Rating,
    RatingValue,
    TimelineEntry,
    TrackedItem,
)

T = TypeVar("T", bound=TrackedItem)

# Called after commit with (item, entry); supervision and notifications subscribe.
_after_transition: list[Callable[[TrackedItem, TimelineEntry], None]] = []


def on_transition(callback: Callable[[TrackedItem, TimelineEntry], None]) -> None:
    _after_transition.append(callback)


def actor_label(actor: User | None) -> str:
    if actor is None:
        return "系统"
    name = actor.full_name or actor.username
    return f"{name}（{actor.node.name}）" if actor.node_id else name


def timeline_append(
    *,
    item: TrackedItem,
    actor: User | None,
    action: str,
    action_label: str,
    note: str = "",
    from_state: str = "",
    to_state: str = "",
    data: dict[str, Any] | None = None,
    evidence: Sequence[UploadedFile] = (),
    is_public: bool = False,
) -> TimelineEntry:
    """Append one timeline entry (and its evidence files) for an item."""
    entry = TimelineEntry.objects.create(
        item_type=ContentType.objects.get_for_model(type(item)),
        item_id=item.pk,
        actor=actor,
        actor_label=actor_label(actor),
        action=action,
        action_label=action_label,
        from_state=from_state,
        to_state=to_state,
        note=note,
        data=data or {},
        is_public=is_public,
    )
    for f in evidence:
        Evidence.objects.create(
            entry=entry,
            file=f,
            original_name=getattr(f, "name", "file")[:200],
            content_type=getattr(f, "content_type", "") or "application/octet-stream",
            size=getattr(f, "size", 0) or 0,
        )
    return entry


def check_transition(actor: User | None, item: TrackedItem, name: str):
    """Why the actor may not take transition `name` now, as a raised DomainError."""
    wf = type(item).WORKFLOW
    t = wf.transitions.get(name)
    if t is None:
        raise WorkflowError(f"未知操作：{name}", code="unknown_transition")
    if actor is None:
        if not t.system:
            raise PermissionDenied("此操作须由工作人员完成")
    else:
        access.require_staff(actor)
        if not access.can_see_tracked(actor, item):
            raise NotFound()
        if not (access.sees_everything(actor) or actor.has_role(*t.roles)):
            raise PermissionDenied(f"您的角色不能执行“{t.label}”")
        if not access.actor_relation_ok(actor, item, t.relation):
            raise PermissionDenied(f"只有责任范围内的人员才能执行“{t.label}”")
    if item.state not in t.sources:
        raise WorkflowError(
            f"当前状态为“{wf.label(item.state)}”，不能{t.label}", code="wrong_state"
        )
    return t


def allowed_transitions(actor: User, item: TrackedItem) -> list:
    """The transitions the actor could take now (for buttons)."""
    out = []
    for t in type(item).WORKFLOW.available(item.state):
        try:
            check_transition(actor, item, t.name)
        except (PermissionDenied, NotFound, WorkflowError):
            continue
        out.append(t)
    return out


def item_transition(
    *,
    actor: User | None,
    item: T,
    name: str,
    note: str = "",
    changes: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    evidence: Sequence[UploadedFile] = (),
    require_note: bool = False,
) -> T:
    """Take one workflow transition: lock, check right and guard, write, log.

    `changes` are extra field values the transition sets (unit, deadline, result).
    """
    model = type(item)
    if require_note and not note.strip():
        raise InvalidInput("请填写说明", fields={"note": ["请填写说明"]})
    with transaction.atomic():
        locked = model.objects.select_for_update().get(pk=item.pk)
        t = check_transition(actor, locked, name)
        if t.guard is not None:
            t.guard(actor=actor, item=locked, changes=changes or {}, data=data or {})
        old = locked.state
        fields: list[str] = ["updated_at"]
        if t.target and t.target != old:
            locked.state = t.target
            locked.state_changed_at = timezone.now()
            fields += ["state", "state_changed_at"]
        for key, value in (changes or {}).items():
            setattr(locked, key, value)
            fields.append(key)
        locked.save(update_fields=fields)
        entry = timeline_append(
            item=locked,
            actor=actor,
            action=f"{model.WORKFLOW.key}.{t.name}",
            action_label=t.label,
            note=note.strip(),
            from_state=old,
            to_state=locked.state,
            data=data,
            evidence=evidence,
            is_public=t.public,
        )
        for callback in _after_transition:
            transaction.on_commit(lambda cb=callback: cb(locked, entry))
    return locked


def rater_key(secret: str) -> str:
    """A stable, non-reversible key for a rater (phone or code), salted by SECRET_KEY."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{secret}".encode()).hexdigest()[:40]


_COUNTER = {
    RatingValue.SATISFIED: "rating_satisfied",
    RatingValue.NEUTRAL: "rating_neutral",
    RatingValue.UNSATISFIED: "rating_unsatisfied",
}


def rating_record(
    *,
    item: TrackedItem,
    value: str,
    comment: str = "",
    rater: str = "",
    source: str = "resident",
    once_per_rater: bool = True,
) -> Rating:
    """Record a three-face rating and bump the item's counters."""
    if value not in RatingValue.values:
        raise InvalidInput("请选择满意、基本满意或不满意", fields={"value": ["请选择评价"]})
    if len(comment) > 500:
        raise InvalidInput("留言不能超过500字", fields={"comment": ["留言不能超过500字"]})
    key = rater_key(rater) if rater else ""
    ct = ContentType.objects.get_for_model(type(item))
    with transaction.atomic():
        type(item).objects.select_for_update().filter(pk=item.pk).first()
        if (
            once_per_rater
            and key
            and Rating.objects.filter(item_type=ct, item_id=item.pk, rater_key=key).exists()
        ):
            raise WorkflowError("您已评价过，不能重复评价", code="already_rated")
        rating = Rating.objects.create(
            item_type=ct,
            item_id=item.pk,
            value=value,
            comment=comment.strip(),
            rater_key=key,
            source=source,
        )
        field = _COUNTER[RatingValue(value)]
        type(item).objects.filter(pk=item.pk).update(**{field: F(field) + 1})
    return rating


def personal_data_access_log(
    *, actor: User, item: TrackedItem, fields: Iterable[str], reason: str
) -> PersonalDataAccess:
    """Record one staff read of a person's contact data. Call it before showing the data."""
    return PersonalDataAccess.objects.create(
        actor=actor,
        item_type=ContentType.objects.get_for_model(type(item)),
        item_id=item.pk,
        fields=",".join(fields),
        reason=reason[:200],
    )


def timeline_bulk_append(
    *,
    model: type[TrackedItem],
    item_ids: Iterable[int],
    actor: User | None,
    action: str,
    action_label: str,
    note: str = "",
    data: dict[str, Any] | None = None,
    data_for: Callable[[int], dict[str, Any]] | None = None,
    is_public: bool = False,
    batch_size: int = 2000,
) -> int:
    """The same entry as timeline_append for many items at once (periodic jobs).

    One multi-row INSERT per batch (core.bulk.insert_many) instead of one per item;
    no evidence files. `data_for(pk)` gives per-item data when it differs.
    """
    ct = ContentType.objects.get_for_model(model)
    label = actor_label(actor)
    now = timezone.now()
    actor_id = actor.pk if actor is not None else None
    fields = (
        "item_type_id", "item_id", "actor_id", "actor_label", "action", "action_label",
        "from_state", "to_state", "note", "data", "is_public", "created_at",
    )  # fmt: skip
    rows = (
        (
            ct.pk,
            pk,
            actor_id,
            label,
            action,
            action_label,
            "",
            "",
            note,
            data_for(pk) if data_for else (data or {}),
            is_public,
            now,
        )  # fmt: skip
        for pk in item_ids
    )
    return insert_many(TimelineEntry, fields, rows, batch_size=batch_size)
