"""Case use cases: intake on every channel and each workflow step (DESIGN §4).

Every state change goes through tracking.services.item_transition; these wrap it
with the case's own checks (reasons, units, deadlines, codes, the reopen rule).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from core import sms
from core.errors import InvalidInput, NotFound, PermissionDenied, WorkflowError
from orgs import access
from orgs.models import OrgNode, Role, User
from taxonomy.models import Category, Item
from tracking import services as kernel
from tracking import workdays
from tracking.models import RatingValue

from . import textsearch
from .models import (
    PUBLIC_KINDS,
    STAFF_CHANNELS,
    Case,
    CaseContact,
    Channel,
    Kind,
    PendingSubmission,
    State,
    new_tracking_code,
)
from .photos import clean_photos

MAX_TEXT = 5000
PLACE_KINDS = (OrgNode.Kind.TOWN, OrgNode.Kind.VILLAGE, OrgNode.Kind.GRID)
INTAKE_ROLES = (Role.GRID_WORKER, Role.OFFICE, Role.UNIT_HANDLER, Role.UNIT_HEAD)


def default_days(category: Category | None) -> int:
    if category is not None and category.default_days:
        return category.default_days
    return int(getattr(settings, "CASES_DEFAULT_DAYS", 10))


# --- validation -------------------------------------------------------------


class _Errors:
    """Collect every field's message, then raise once (the form shows them all)."""

    def __init__(self, prefix: str = ""):
        self.prefix = prefix
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, msg: str) -> None:
        self.fields.setdefault(self.prefix + field, []).append(msg)

    def raise_if_any(self) -> None:
        if self.fields:
            first = next(iter(self.fields.values()))[0]
            raise InvalidInput(first, fields=self.fields)


def _clean_fields(
    errors: _Errors,
    *,
    text: str,
    kind: str,
    place: Any,
    category: Any = None,
    item: Any = None,
    address: str = "",
    latitude: Any = None,
    longitude: Any = None,
    kinds: Sequence[str] = PUBLIC_KINDS,
    title: str = "",
) -> dict[str, Any]:
    text = (text or "").strip()
    if not text:
        errors.add("text", "请填写诉求内容")
    elif len(text) > MAX_TEXT:
        errors.add("text", f"诉求内容不能超过{MAX_TEXT}字（当前{len(text)}字）")
    title = (title or "").strip()
    if len(title) > 200:
        errors.add("title", "标题不能超过200字")
    if kind not in kinds:
        errors.add("kind", "请选择诉求类型")
    node = place if isinstance(place, OrgNode) else None
    if node is None and place not in (None, ""):
        try:
            node = OrgNode.objects.filter(pk=int(place), kind__in=PLACE_KINDS).first()
        except (TypeError, ValueError):
            node = None
    if node is None or node.kind not in PLACE_KINDS:
        errors.add("place", "请选择所在乡镇（街道）和村（社区）")
        node = None
    cat = category if isinstance(category, Category) else None
    if cat is None and category not in (None, ""):
        try:
            cat = Category.objects.filter(pk=int(category), is_active=True).first()
        except (TypeError, ValueError):
            cat = None
        if cat is None:
            errors.add("category", "所选类别不存在")
    itm = item if isinstance(item, Item) else None
    if itm is None and item not in (None, ""):
        try:
            itm = Item.objects.filter(pk=int(item)).first()
        except (TypeError, ValueError):
            itm = None
        if itm is None or (cat is not None and itm.category_id != cat.pk):
            errors.add("item", "所选小项不存在")
            itm = None
    if itm is not None and cat is None:
        cat = itm.category
    address = (address or "").strip()
    if len(address) > 200:
        errors.add("address", "详细地址不能超过200字")
    lat = lng = None
    if latitude not in (None, "") or longitude not in (None, ""):
        try:
            lat, lng = Decimal(str(latitude)), Decimal(str(longitude))
            if not (-90 <= lat <= 90 and -180 <= lng <= 180):
                raise InvalidOperation
            lat, lng = round(lat, 6), round(lng, 6)
        except (InvalidOperation, ValueError, TypeError):
            errors.add("location", "地图位置无效，请重新选择")
            lat = lng = None
    return {
        "text": text,
        "title": title,
        "kind": kind,
        "place": node,
        "category": cat,
        "item": itm,
        "address": address,
        "latitude": lat,
        "longitude": lng,
    }


def _clean_contact(errors: _Errors, *, name: str, phone: str, required: bool) -> tuple[str, str]:
    name = (name or "").strip()
    phone_raw = (phone or "").strip()
    if len(name) > 50:
        errors.add("name", "姓名不能超过50字")
    if required and not name:
        errors.add("name", "请填写姓名")
    clean_phone = ""
    if phone_raw or required:
        try:
            clean_phone = sms.normalise_phone(phone_raw)
        except InvalidInput as e:
            errors.add("phone", e.message)
    return name, clean_phone


def _same_sender(case: Case, phone: str) -> Case:
    """A repeated form is answered with its case only for the same phone (the key is
    no way to learn someone else's tracking code)."""
    contact = CaseContact.objects.filter(case=case).first()
    try:
        same = contact is not None and contact.phone == sms.normalise_phone(phone)
    except InvalidInput:
        same = False
    if not same:
        msg = "该表单已提交过，请刷新页面后重新填写"
        raise InvalidInput(msg, fields={"form": [msg]})
    return case


def _keyed() -> models.QuerySet[Case]:
    # The partial unique index (intake_key <> '') serves a lookup only when the query
    # repeats its condition (SQLite); no ORDER BY, or SQLite walks the primary key.
    return Case.objects.exclude(intake_key="").order_by()


def _existing_for_key(intake_key: str) -> Case | None:
    if not intake_key:
        return None
    return next(iter(_keyed().filter(intake_key=intake_key)[:1]), None)


def _create_case(
    *,
    fields: dict[str, Any],
    channel: str,
    name: str,
    phone: str,
    phone_verified: bool = False,
    collected_at: dt.datetime | None = None,
    collected_by: User | None = None,
    intake_key: str = "",
    external_source: str = "",
    external_ref: str = "",
    photos: Sequence = (),
    actor: User | None = None,
    note: str = "",
    tracking_code: str = "",
    index: bool = True,
) -> Case:
    now = timezone.now()
    if tracking_code:
        fields = {**fields, "tracking_code": tracking_code}
    case = Case.objects.create(
        state=Case.WORKFLOW.initial,
        channel=channel,
        collected_at=collected_at or now,
        collected_by=collected_by,
        intake_key=intake_key,
        external_source=external_source,
        external_ref=external_ref,
        created_at=now,
        state_changed_at=now,
        **fields,
    )
    if name or phone:
        CaseContact.objects.create(case=case, name=name, phone=phone, phone_verified=phone_verified)
    kernel.timeline_append(
        item=case,
        actor=actor,
        action="case.submit",
        action_label="提交" if actor is None else "代为登记",
        to_state=case.state,
        note=note,
        data={"channel": channel},
        evidence=photos,
        # The submission with its photos is seen by staff and the code holder only.
        is_public=False,
    )
    if index:  # a drain indexes its whole batch in one write instead
        textsearch.index_case(case)
    return case


# --- intake -----------------------------------------------------------------


def _clean_public(
    *,
    text: str,
    kind: str,
    place: Any,
    name: str,
    phone: str,
    category: Any = None,
    address: str = "",
    latitude: Any = None,
    longitude: Any = None,
    sms_code: str = "",
) -> tuple[dict[str, Any], str, str, bool]:
    """The public form's checks: (fields, name, phone, phone verified), or InvalidInput."""
    errors = _Errors()
    fields = _clean_fields(
        errors,
        text=text,
        kind=kind,
        place=place,
        category=category,
        address=address,
        latitude=latitude,
        longitude=longitude,
    )
    name, phone = _clean_contact(errors, name=name, phone=phone, required=True)
    verified = False
    if phone and getattr(settings, "CASES_VERIFY_PHONE", False):
        verified = sms.is_verified(phone, "case") or (
            bool(sms_code) and sms.verify_code(phone, "case", sms_code)
        )
        if not verified:
            errors.add("sms_code", "短信验证码不正确或已过期")
    errors.raise_if_any()
    return fields, name, phone, verified


def case_submit_public(
    *,
    text: str,
    kind: str,
    place: Any,
    name: str,
    phone: str,
    category: Any = None,
    address: str = "",
    latitude: Any = None,
    longitude: Any = None,
    photos: Sequence = (),
    intake_key: str = "",
    sms_code: str = "",
) -> Case:
    """A resident's submission from the public page (no account). Idempotent per intake_key:
    a form posted again hits the unique key on insert and is answered with its case."""
    fields, name, phone, verified = _clean_public(
        text=text,
        kind=kind,
        place=place,
        name=name,
        phone=phone,
        category=category,
        address=address,
        latitude=latitude,
        longitude=longitude,
        sms_code=sms_code,
    )
    clean = clean_photos(photos)
    try:
        with transaction.atomic():
            return _create_case(
                fields=fields,
                channel=Channel.WEB,
                name=name,
                phone=phone,
                phone_verified=verified,
                intake_key=intake_key,
                photos=clean,
            )
    except IntegrityError:
        # The same form posted again (a resend, a double click): the first one saved it.
        existing = _existing_for_key(intake_key)
        if existing is None:
            raise
        return _same_sender(existing, phone)


def submission_receive(*, intake_key: str = "", **fields: Any) -> str:
    """A resident's submission without photos, acknowledged by one durable row: checked
    as case_submit_public checks it (the same fields, without photos), and answered
    with its tracking code. The case is made by submissions_drain, which runs right
    after the answer."""
    clean, name, phone, verified = _clean_public(**fields)
    form = {
        **{k: clean[k] for k in ("text", "title", "kind", "address")},
        **{k: clean[k].pk if clean[k] else None for k in ("place", "category", "item")},
        **{k: str(clean[k]) if clean[k] is not None else None for k in ("latitude", "longitude")},
        "name": name,
        "phone": phone,
        "phone_verified": verified,
    }
    try:
        if connection.in_atomic_block:  # a caller's transaction stays usable on a repeat
            with transaction.atomic():
                return _enqueue(intake_key, form)
        # Else one statement in autocommit: committed when it returns, in one round trip
        # (and on SQLite the write lock is held for that statement only).
        return _enqueue(intake_key, form)
    except IntegrityError:
        # The same form posted again: answered with the first one's code, same phone only.
        row = PendingSubmission.objects.filter(intake_key=intake_key).exclude(intake_key="").first()
        if row is None:
            raise
        if row.case_id is not None:
            return _same_sender(row.case, phone).tracking_code
        if row.form.get("phone") != phone:
            msg = "该表单已提交过，请刷新页面后重新填写"
            raise InvalidInput(msg, fields={"form": [msg]}) from None
        return row.tracking_code


def _enqueue(intake_key: str, form: dict[str, Any]) -> str:
    # One plain INSERT: the ORM's save machinery was a fifth of the busy path's time.
    code = new_tracking_code()
    ops = connection.ops
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {PendingSubmission._meta.db_table} "
            "(tracking_code, intake_key, form, received_at, error) VALUES (%s, %s, %s, %s, '')",
            [code, intake_key, json.dumps(form), ops.adapt_datetimefield_value(timezone.now())],
        )
    return code


def submissions_drain(*, limit: int | None = None) -> int:
    """Make cases of acknowledged submissions (PendingSubmission), oldest first: after
    each answer, on a lookup of a code not yet made a case, and in the periodic run.
    Drains may run at once: PostgreSQL hands each its own rows (SKIP LOCKED), SQLite
    runs one writer at a time. Returns the number of rows handled."""
    if limit is None:
        # SQLite has one writer: a short batch keeps the answers' inserts waiting
        # milliseconds behind a drain, not the drain of hundreds of rows.
        limit = 8 if connection.vendor == "sqlite" else 200
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # The rows are on disk already: this commit need not wait for the flush. A
            # crash loses at most this drain, and then its rows are still pending.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        rows = list(
            PendingSubmission.objects.filter(case__isnull=True, error="")
            .order_by("id")
            .select_for_update(skip_locked=True)[:limit]
        )
        if not rows:
            return 0
        refs = {
            "place": OrgNode.objects.in_bulk({r.form.get("place") for r in rows}),
            "category": Category.objects.in_bulk({r.form.get("category") for r in rows} - {None}),
            "item": Item.objects.in_bulk({r.form.get("item") for r in rows} - {None}),
        }
        made = [case for row in rows if (case := _drain_one(row, refs)) is not None]
        textsearch.index_cases(made)
    return len(rows)


def submissions_drain_due(*, quiet: float, max_lag: float) -> bool:
    """Whether the drain process should file the queue now. Acknowledgements come
    first: while submissions keep arriving (the newest is under `quiet` seconds old)
    filing waits, but the oldest row never waits more than `max_lag` seconds. A code
    looked up meanwhile is filed at once (case_by_code)."""
    pending = PendingSubmission.objects.filter(case__isnull=True, error="")
    oldest = pending.order_by("id").values_list("received_at", flat=True).first()
    if oldest is None:
        return False
    now = timezone.now()
    if (now - oldest).total_seconds() >= max_lag:
        return True
    newest = pending.order_by("-id").values_list("received_at", flat=True).first()
    return (now - newest).total_seconds() >= quiet


def _drain_one(row: PendingSubmission, refs: dict[str, dict]) -> Case | None:
    """The case of one queued row (None if set aside), not yet search-indexed."""
    form = row.form
    fields = {k: form.get(k, "") for k in ("text", "title", "kind", "address")}
    fields.update({k: refs[k].get(form.get(k)) for k in refs})
    for k in ("latitude", "longitude"):
        fields[k] = Decimal(form[k]) if form.get(k) is not None else None
    if fields["place"] is None:
        row.error = "所在村（社区）已不存在"
        row.save(update_fields=["error"])
        return None
    made = None
    try:
        with transaction.atomic():
            row.case = _create_case(
                fields=fields,
                channel=Channel.WEB,
                name=form.get("name", ""),
                phone=form.get("phone", ""),
                phone_verified=bool(form.get("phone_verified")),
                intake_key=row.intake_key,
                collected_at=row.received_at,
                tracking_code=row.tracking_code,
                index=False,
            )
            made = row.case
    except IntegrityError:
        # Its form was saved by the photo path before (same intake key): that case.
        row.case = _existing_for_key(row.intake_key)
        if row.case is None:
            row.error = "登记失败（查询码重复）"
    if row.case is not None:
        row.form = {}
    row.save(update_fields=["case", "form", "error"])
    return made


def case_intake(
    *,
    actor: User,
    channel: str,
    items: Sequence[dict[str, Any]],
    collected_at: dt.datetime | dt.date | None = None,
    intake_key: str = "",
    note: str = "",
    external_source: str = "",
) -> list[Case]:
    """Staff record cases on behalf of residents: one, or many from one forum or visit.

    Each item: text, kind, place, category, item, address, name, phone, title,
    external_ref. All are validated first; either all are saved or none.
    """
    access.require_staff(actor)
    access.require_role(actor, *INTAKE_ROLES)
    if intake_key:
        # A range rather than LIKE: the index serves it (";" follows ":").
        done = list(
            _keyed()
            .filter(intake_key__gte=f"{intake_key}:", intake_key__lt=f"{intake_key};")
            .order_by("id")
        )
        if done:
            return done
    top = _Errors()
    if channel not in STAFF_CHANNELS and channel != Channel.API:
        top.add("channel", "请选择收集渠道")
    now = timezone.now()
    if collected_at is None or collected_at == "":
        when = now
    elif isinstance(collected_at, dt.datetime):
        when = (
            collected_at if timezone.is_aware(collected_at) else timezone.make_aware(collected_at)
        )
    elif isinstance(collected_at, dt.date):
        when = timezone.make_aware(dt.datetime.combine(collected_at, dt.time(9, 0)))
    else:
        when = None
        top.add("collected_at", "请填写正确的收集日期")
    if when is not None and when > now + dt.timedelta(minutes=5):
        top.add("collected_at", "收集日期不能晚于今天")
    if not items:
        top.add("items", "请至少填写一条诉求")
    if len(items) > 100:
        top.add("items", "一次最多登记100条")
    cleaned = []
    for i, raw in enumerate(items):
        errors = _Errors(prefix=f"items-{i}-" if len(items) > 1 else "")
        fields = _clean_fields(
            errors,
            text=raw.get("text", ""),
            kind=raw.get("kind") or Kind.REQUEST,
            place=raw.get("place"),
            category=raw.get("category"),
            item=raw.get("item"),
            address=raw.get("address", ""),
            latitude=raw.get("latitude"),
            longitude=raw.get("longitude"),
            kinds=Kind.values,
            title=raw.get("title", ""),
        )
        name, phone = _clean_contact(
            errors, name=raw.get("name", ""), phone=raw.get("phone", ""), required=False
        )
        if fields["place"] is not None and not access.covers(actor, fields["place"]):
            errors.add("place", "只能登记本辖区内的诉求")
        for k, v in errors.fields.items():
            top.fields.setdefault(k, []).extend(v)
        cleaned.append((fields, name, phone, (raw.get("external_ref") or "").strip()[:64]))
    top.raise_if_any()
    cases = []
    with transaction.atomic():
        for i, (fields, name, phone, ext_ref) in enumerate(cleaned):
            if external_source and ext_ref:
                if Case.objects.filter(
                    external_source=external_source, external_ref=ext_ref
                ).exists():
                    raise InvalidInput(
                        f"外部编号{ext_ref}已导入过", fields={"external_ref": ["该编号已导入"]}
                    )
            cases.append(
                _create_case(
                    fields=fields,
                    channel=channel,
                    name=name,
                    phone=phone,
                    collected_at=when,
                    collected_by=actor,
                    intake_key=f"{intake_key}:{i}" if intake_key else "",
                    external_source=external_source if ext_ref else "",
                    external_ref=ext_ref,
                    actor=actor,
                    note=note,
                )
            )
    return cases


# --- workflow ---------------------------------------------------------------


def _reason(note: str, what: str) -> str:
    note = (note or "").strip()
    if not note:
        raise InvalidInput(f"请填写{what}", fields={"note": [f"请填写{what}"]})
    if len(note) > 2000:
        raise InvalidInput(f"{what}不能超过2000字", fields={"note": [f"{what}不能超过2000字"]})
    return note


def case_accept(*, actor: User, case: Case, note: str = "") -> Case:
    return kernel.item_transition(actor=actor, item=case, name="accept", note=note)


TRIAGE_STATES = (State.SUBMITTED, State.ACCEPTED)


@transaction.atomic
def case_categorize(*, actor: User, case: Case, category: Category | int | str) -> Case:
    """Set the category while the case is in triage (one click on a suggestion)."""
    access.require_role(actor, Role.OFFICE)
    case = access.access_tracked(actor, Case.objects.select_for_update(of=("self",)), case.pk)
    if case.state not in TRIAGE_STATES:
        raise WorkflowError("只有待受理或已受理待交办的诉求可以调整分类")
    if not isinstance(category, Category):
        try:
            category = Category.objects.get(pk=int(category), is_active=True)
        except (Category.DoesNotExist, TypeError, ValueError):
            raise InvalidInput("请选择分类", fields={"category": ["分类不存在"]}) from None
    if case.category_id == category.pk:
        return case
    old = case.category.name if case.category else "未分类"
    case.category = category
    if case.item_id and case.item.category_id != category.pk:
        case.item = None
    case.save(update_fields=["category", "item", "updated_at"])
    kernel.timeline_append(
        item=case,
        actor=actor,
        action="case.categorize",
        action_label="调整分类",
        note=f"{old} → {category.name}",
        data={"category": category.pk},
    )
    return case


def case_decline(*, actor: User, case: Case, reason: str) -> Case:
    reason = _reason(reason, "不予受理的理由")
    return kernel.item_transition(
        actor=actor, item=case, name="decline", note=reason, changes={"closed_at": timezone.now()}
    )


def case_merge(*, actor: User, case: Case, into: Case | int | str, note: str = "") -> Case:
    """Merge a duplicate into another case the actor can see (the target keeps going)."""
    if not isinstance(into, Case):
        target = Case.objects.filter(tracking_code=str(into).strip().upper()).first()
        if target is None:
            try:
                target = Case.objects.filter(pk=int(into)).first()
            except (TypeError, ValueError):
                target = None
        if target is None:
            raise InvalidInput(
                "要合并到的诉求不存在", fields={"into": ["请填写正确的诉求编号或查询码"]}
            )
        into = target
    try:
        into = access.access_tracked(actor, Case.objects.all(), into.pk)
    except NotFound:
        raise InvalidInput(
            "要合并到的诉求不存在", fields={"into": ["请填写正确的诉求编号或查询码"]}
        ) from None
    if into.pk == case.pk:
        raise InvalidInput("不能合并到自身", fields={"into": ["不能合并到自身"]})
    if into.state == State.MERGED:
        raise InvalidInput(
            "目标诉求已被合并，请合并到主诉求", fields={"into": ["目标诉求已被合并"]}
        )
    return kernel.item_transition(
        actor=actor,
        item=case,
        name="merge",
        note=note or f"与{into.tracking_code}为同一事项，合并办理",
        changes={"merged_into": into},
        data={"into": into.pk, "into_code": into.tracking_code},
    )


def case_dispatch(
    *,
    actor: User,
    case: Case,
    unit: OrgNode | int | str,
    deadline: dt.date | None = None,
    note: str = "",
) -> Case:
    """Dispatch to a responsible unit with a deadline (default: the category's working days)."""
    if not isinstance(unit, OrgNode):
        try:
            unit = OrgNode.objects.get(pk=int(unit))
        except (OrgNode.DoesNotExist, TypeError, ValueError):
            raise InvalidInput("请选择承办单位", fields={"unit": ["请选择承办单位"]}) from None
    if not unit.is_unit:
        raise InvalidInput("所选组织不是承办单位", fields={"unit": ["请选择承办单位"]})
    if not access.covers(actor, unit):
        raise InvalidInput(
            "只能交办给本级及下辖的单位", fields={"unit": ["只能交办给本级及下辖的单位"]}
        )
    today = timezone.localdate()
    if deadline is None:
        deadline = workdays.add_working_days(today, default_days(case.category))
    if deadline < today:
        raise InvalidInput("办理时限不能早于今天", fields={"deadline": ["办理时限不能早于今天"]})
    return kernel.item_transition(
        actor=actor,
        item=case,
        name="dispatch",
        note=note,
        changes={
            "owner_unit": unit,
            "deadline": deadline,
            "dispatched_at": timezone.now(),
            "signed_at": None,
        },
        data={"unit": unit.pk, "unit_name": unit.name, "deadline": deadline.isoformat()},
    )


def case_sign(*, actor: User, case: Case, note: str = "") -> Case:
    return kernel.item_transition(
        actor=actor, item=case, name="sign", note=note, changes={"signed_at": timezone.now()}
    )


def case_return(*, actor: User, case: Case, reason: str) -> Case:
    """A unit sends a wrongly routed case back to the centre, with its reason."""
    reason = _reason(reason, "退回理由")
    unit = case.owner_unit
    return kernel.item_transition(
        actor=actor,
        item=case,
        name="return",
        note=reason,
        changes={"owner_unit": None, "deadline": None, "signed_at": None, "dispatched_at": None},
        data={"unit": unit.pk if unit else None, "unit_name": unit.name if unit else ""},
    )


def case_note(*, actor: User, case: Case, note: str, evidence: Sequence = ()) -> Case:
    """A progress note: the responsible unit's moves the case to 办理中; others leave a remark."""
    note = _reason(note, "进展情况")
    clean = clean_photos(evidence) if evidence else []
    if case.state in (State.SIGNED, State.IN_PROGRESS) and access.actor_relation_ok(
        actor, case, "owner"
    ):
        try:
            return kernel.item_transition(
                actor=actor, item=case, name="progress", note=note, evidence=clean
            )
        except PermissionDenied:
            pass
    return kernel.item_transition(actor=actor, item=case, name="note", note=note, evidence=clean)


def case_reply(*, actor: User, case: Case, result: str, evidence: Sequence = ()) -> Case:
    """The unit replies with the result (and photos or scans as evidence)."""
    result = _reason(result, "办理结果")
    clean = clean_photos(evidence) if evidence else []
    return kernel.item_transition(
        actor=actor,
        item=case,
        name="reply",
        note=result,
        changes={"result": result, "replied_at": timezone.now()},
        evidence=clean,
    )


def normalise_code(code: str) -> str:
    return (code or "").strip().upper().replace(" ", "").replace("-", "")


def case_by_code(*, tracking_code: str, phone_last4: str) -> Case:
    """The case a resident may follow: the code and the last four digits of the phone match."""
    code = normalise_code(tracking_code)
    last4 = (phone_last4 or "").strip()
    msg = "查询码或手机号后四位不正确"
    if not code or len(last4) != 4 or not last4.isdigit():
        raise InvalidInput(msg, fields={"code": [msg]})
    case = Case.objects.select_related("contact").filter(tracking_code=code).first()
    if case is None and PendingSubmission.objects.filter(tracking_code=code, case=None).exists():
        # Acknowledged a moment ago and not yet a case: make it one now.
        submissions_drain()
        case = Case.objects.select_related("contact").filter(tracking_code=code).first()
    contact = getattr(case, "contact", None) if case else None
    if case is None or contact is None or not contact.phone.endswith(last4):
        raise InvalidInput(msg, fields={"code": [msg]})
    return case


def case_rate(*, tracking_code: str, phone_last4: str, value: str, comment: str = "") -> Case:
    """The resident rates the reply. Unsatisfied: reopened once (重办), then to supervision."""
    case = case_by_code(tracking_code=tracking_code, phone_last4=phone_last4)
    if value not in RatingValue.values:
        raise InvalidInput("请选择满意、基本满意或不满意", fields={"value": ["请选择评价"]})
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise InvalidInput("留言不能超过500字", fields={"comment": ["留言不能超过500字"]})
    if case.state == State.RATED:
        raise WorkflowError("您已评价过，不能重复评价", code="already_rated")
    if case.state == State.CLOSED:
        raise WorkflowError("该诉求已销号，不能再评价", code="wrong_state")
    if case.state != State.REPLIED:
        raise WorkflowError(f"当前状态为“{case.state_label}”，办结后才能评价", code="wrong_state")
    with transaction.atomic():
        case = kernel.item_transition(
            actor=None, item=case, name="rate", note=comment, data={"value": value}
        )
        kernel.rating_record(
            item=case,
            value=value,
            comment=comment,
            rater=f"case:{case.tracking_code}:{case.reopen_count}",
        )
        if value == RatingValue.UNSATISFIED:
            if case.reopen_count < 1:
                deadline = workdays.add_working_days(
                    timezone.localdate(), default_days(case.category)
                )
                case = kernel.item_transition(
                    actor=None,
                    item=case,
                    name="reopen",
                    note="群众评价不满意，退回承办单位重新办理",
                    changes={
                        "reopen_count": case.reopen_count + 1,
                        "deadline": deadline,
                        "result": "",
                    },
                    data={"deadline": deadline.isoformat()},
                )
            else:
                case = kernel.item_transition(
                    actor=None,
                    item=case,
                    name="flag",
                    note="重办后群众仍不满意，转入督办",
                    changes={"flagged_for_supervision": True},
                )
    case.refresh_from_db()  # the rating counters were bumped in the database
    return case


def case_flag(*, actor: User, case: Case, reason: str) -> Case:
    """Staff send a finished case to supervision by hand."""
    reason = _reason(reason, "转入督办的理由")
    return kernel.item_transition(
        actor=actor, item=case, name="flag", note=reason, changes={"flagged_for_supervision": True}
    )


def case_close(*, actor: User | None, case: Case, note: str = "") -> Case:
    """销号: the office closes a replied or rated case (the system may close stale ones)."""
    return kernel.item_transition(
        actor=actor, item=case, name="close", note=note, changes={"closed_at": timezone.now()}
    )


# --- conversion hooks (立项, 微心愿) -----------------------------------------------
# Other apps register what a case can become; this app knows none of them.
# fn(*, actor, case, **options) -> the created object (its pk and str are recorded).

_converters: dict[str, tuple[str, Callable[..., Any]]] = {}


def register_converter(target: str, fn: Callable[..., Any], label: str = "") -> None:
    _converters[target] = (label or target, fn)


def converter_targets() -> dict[str, str]:
    return {k: label for k, (label, _) in _converters.items()}


def case_convert(*, actor: User, case: Case, target: str, note: str = "", **options: Any) -> Any:
    """Turn a case into a commitment draft (立项) or a micro-wish, via a registered converter."""
    entry = _converters.get(target)
    if entry is None:
        raise InvalidInput("不支持的转化类型", fields={"target": ["不支持的转化类型"]})
    label, fn = entry
    with transaction.atomic():
        fresh = Case.objects.select_for_update().get(pk=case.pk)
        kernel.check_transition(actor, fresh, "convert")
        obj = fn(actor=actor, case=fresh, **options)
        kernel.item_transition(
            actor=actor,
            item=fresh,
            name="convert",
            note=note or f"转为{label}：{obj}",
            data={"target": target, "ref": getattr(obj, "pk", None), "label": str(obj)[:200]},
        )
    return obj


# --- personal data ----------------------------------------------------------


def can_view_contact(actor: User, case: Case) -> bool:
    """Who may read a requester's contact: the office, the collecting grid and the responsible unit."""
    if access.sees_everything(actor):
        return True
    if actor.has_role(Role.OFFICE, Role.GRID_WORKER) and access.covers(actor, case.place):
        return True
    return actor.has_role(Role.UNIT_HANDLER, Role.UNIT_HEAD) and access.covers(
        actor, case.owner_unit
    )


def case_contact_view(*, actor: User, case: Case, reason: str = "办理诉求") -> CaseContact | None:
    """The contact data, logged (personal_data_access_log) before it is returned."""
    access.require_staff(actor)
    if not access.can_see_tracked(actor, case):
        raise NotFound()
    if not can_view_contact(actor, case):
        raise PermissionDenied("您无权查看诉求人联系方式")
    contact = CaseContact.objects.filter(case=case).first()
    if contact is None:
        return None
    kernel.personal_data_access_log(
        actor=actor, item=case, fields=["name", "phone", "address"], reason=reason
    )
    return contact
