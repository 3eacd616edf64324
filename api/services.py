"""API keys: make, revoke, authenticate. Keyword-only, typed, one transaction each."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import DomainError, InvalidInput, NotFound
from orgs import access
from orgs.models import OrgNode, Role, User

from .models import ApiKey

KEY_PREFIX = "bsk_"
# Roles a key may never carry: a key is a service, not an administrator.
FORBIDDEN_KEY_ROLES = frozenset({Role.ADMIN})


class AuthenticationFailed(DomainError):
    code = "unauthenticated"
    status = 401
    message = "请登录，或在请求头 X-API-Key 中提供有效的API密钥"


def _hash(secret: str) -> str:
    # Keys carry 256 random bits, so a plain SHA-256 cannot be brute-forced and
    # stays valid when SECRET_KEY is rotated (an HMAC would not).
    return hashlib.sha256(secret.encode()).hexdigest()


def apikey_create(
    *,
    actor: User,
    name: str,
    node: OrgNode,
    scope: str = ApiKey.Scope.READ,
    roles: list[str] | tuple[str, ...] = (),
    expires_at: datetime | None = None,
    note: str = "",
) -> tuple[ApiKey, str]:
    """Make a key and its service user; return the key and the raw secret (shown once)."""
    access.require_staff(actor)
    access.require_role(actor, Role.ADMIN)
    if not access.covers(actor, node):
        raise NotFound()
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = ["请填写密钥名称"]
    elif len(name) > 100:
        errors["name"] = ["名称不能超过100字"]
    if scope not in ApiKey.Scope.values:
        errors["scope"] = ["权限只能是只读或读写"]
    roles = list(dict.fromkeys(roles))
    bad = set(roles) & FORBIDDEN_KEY_ROLES
    unknown = set(roles) - set(Role.objects.filter(code__in=roles).values_list("code", flat=True))
    if bad:
        errors["roles"] = ["API密钥不能拥有系统管理员角色"]
    elif unknown:
        errors["roles"] = ["角色不存在：" + "、".join(sorted(unknown))]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = ["有效期必须晚于当前时间"]
    if errors:
        raise InvalidInput(next(iter(errors.values()))[0], fields=errors)

    with transaction.atomic():
        prefix = secrets.token_hex(4)
        while ApiKey.objects.filter(prefix=prefix).exists():  # pragma: no cover - 2^32
            prefix = secrets.token_hex(4)
        secret = secrets.token_urlsafe(32)
        user = User(
            username=f"apikey_{prefix}",
            full_name=f"接口：{name}"[:50],
            node=node,
            is_active=True,
            is_staff=False,
            is_service_account=True,
        )
        user.set_unusable_password()
        user.save()
        user.roles.set(Role.objects.filter(code__in=roles))
        key = ApiKey.objects.create(
            name=name,
            prefix=prefix,
            key_hash=_hash(secret),
            node=node,
            scope=scope,
            user=user,
            created_by=actor,
            expires_at=expires_at,
            note=note.strip()[:200],
        )
        key.roles.set(Role.objects.filter(code__in=roles))
    return key, f"{KEY_PREFIX}{prefix}_{secret}"


def apikey_sync_user(*, key: ApiKey) -> None:
    """Keep the service user in step with its key (node, roles, active) after an edit."""
    user = key.user
    user.node = key.node
    user.is_active = key.is_active
    user.full_name = f"接口：{key.name}"[:50]
    user.save(update_fields=["node", "is_active", "full_name"])
    user.roles.set(key.roles.exclude(code__in=FORBIDDEN_KEY_ROLES))


def apikey_revoke(*, actor: User, key: ApiKey) -> ApiKey:
    """Revoke for good: the key stops working and its service user is deactivated."""
    access.require_staff(actor)
    access.require_role(actor, Role.ADMIN)
    if not access.covers(actor, key.node):
        raise NotFound()
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key.pk)
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
        User.objects.filter(pk=key.user_id).update(is_active=False)
    return key


def apikey_authenticate(*, raw: str) -> ApiKey:
    """The key for a raw secret, or AuthenticationFailed (unknown, revoked or expired)."""
    raw = (raw or "").strip()
    if not raw.startswith(KEY_PREFIX) or "_" not in raw[len(KEY_PREFIX) :]:
        raise AuthenticationFailed("API密钥无效", code="invalid_key")
    prefix, _, secret = raw[len(KEY_PREFIX) :].partition("_")
    key = ApiKey.objects.select_related("user", "user__node", "node").filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.key_hash, _hash(secret)):
        raise AuthenticationFailed("API密钥无效", code="invalid_key")
    if key.revoked_at is not None:
        raise AuthenticationFailed("该API密钥已被吊销", code="key_revoked")
    if not key.is_active or not key.user.is_active:
        raise AuthenticationFailed("该API密钥已过期", code="key_expired")
    now = timezone.now()
    # One write per few minutes at most, not one per request.
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=5):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


# --- case import (hotline work orders, ledgers) -------------------------------

IMPORT_ROLES = (Role.OFFICE, Role.ADMIN)
IMPORT_CHUNK = 2000
IMPORT_ASPECT = "其他（导入）"


def import_check_actor(*, actor: User | None, node: OrgNode, create_missing: bool) -> None:
    """The office of a node (or an administrator) imports into its subtree; the CLI runs as
    the system (actor None)."""
    if actor is None:
        return
    access.require_staff(actor)
    access.require_role(actor, *IMPORT_ROLES)
    if not access.covers(actor, node):
        raise NotFound()
    if create_missing:
        access.require_role(actor, Role.ADMIN)


def _create_missing(plan, *, node: OrgNode) -> tuple[dict[str, int], dict[str, int]]:
    """Make the categories and units the file names but the system lacks."""
    from taxonomy.models import Aspect, Category

    from .importer import Lookups

    cats: dict[str, int] = {}
    if plan.missing_categories:
        aspect, _ = Aspect.objects.get_or_create(name=IMPORT_ASPECT, defaults={"order": 99})
        n = Category.objects.filter(code__startswith="IMP").count()
        for name in sorted(plan.missing_categories):
            n += 1
            while Category.objects.filter(code=f"IMP{n:04d}").exists():
                n += 1
            cats[name] = Category.objects.create(
                aspect=aspect, code=f"IMP{n:04d}", name=name[:60], order=n
            ).pk
    units: dict[str, int] = {}
    if plan.missing_units:
        county = Lookups._county(node)
        n = OrgNode.objects.filter(code__startswith="IMPU").count()
        for name in sorted(plan.missing_units):
            n += 1
            while OrgNode.objects.filter(code=f"IMPU{n:04d}").exists():
                n += 1
            county.refresh_from_db()
            units[name] = OrgNode.objects.add_child(
                county, {"code": f"IMPU{n:04d}", "name": name[:100], "kind": "department"}
            ).pk
    return cats, units


def cases_import(
    *,
    actor: User | None,
    plan,
    node: OrgNode,
    create_missing: bool = False,
    progress=None,
) -> int:
    """Write the rows of a checked plan (importer.check_file) as ordinary cases, in bulk.

    All or nothing: refused if any row has an error. Each case gets one timeline
    entry "导入" naming the source and its 编号. Times the file does not give are
    taken as the call time (来电时间): dispatched and signed, and replied unless the
    optional 办结时间 column says otherwise.
    """
    from django.contrib.contenttypes.models import ContentType

    from cases import textsearch
    from cases.models import Case, Channel, Kind
    from taxonomy.models import Category
    from tracking import workdays
    from tracking.models import TimelineEntry
    from tracking.services import actor_label

    import_check_actor(actor=actor, node=node, create_missing=create_missing)
    if not plan.ok:
        first = plan.errors[0] if plan.errors else None
        raise InvalidInput(
            f"共有{plan.error_count}处错误，未导入任何数据" + (f"。{first}" if first else ""),
            fields={"file": [str(e) for e in plan.errors[:50]]},
        )
    if (plan.missing_categories or plan.missing_units) and not create_missing:
        raise InvalidInput(
            "文件中有系统里没有的分类或单位", fields={"file": ["请加 --create-missing"]}
        )
    source = plan.source
    days = dict(Category.objects.values_list("id", "default_days"))
    deadline_cache: dict[tuple, object] = {}

    def deadline_for(start, cat_id):
        key = (start, days.get(cat_id) or 10)
        if key not in deadline_cache:
            deadline_cache[key] = workdays.add_working_days(start, key[1])
        return deadline_cache[key]

    ct = ContentType.objects.get_for_model(Case)
    label = actor_label(actor)
    now = timezone.now()
    written = 0
    with transaction.atomic():
        new_cats, new_units = _create_missing(plan, node=node) if create_missing else ({}, {})
        if new_cats:
            days.update(
                Category.objects.filter(pk__in=new_cats.values()).values_list("id", "default_days")
            )
        rows = plan.rows
        for start in range(0, len(rows), IMPORT_CHUNK):
            chunk = rows[start : start + IMPORT_CHUNK]
            cases = []
            for r in chunk:
                cat_id = r.category_id or new_cats.get(r.category_key)
                unit_id = r.unit_id or new_units.get(r.unit_key)
                when = r.collected_at
                working = r.state in ("dispatched", "signed", "in_progress", "replied", "rated")
                finished = r.state in ("replied", "rated", "closed")
                cases.append(
                    Case(
                        state=r.state,
                        state_changed_at=now,
                        place_id=r.place_id,
                        owner_unit_id=unit_id,
                        deadline=deadline_for(timezone.localdate(when), cat_id)
                        if unit_id and working
                        else None,
                        kind=Kind.REQUEST,
                        channel=Channel.HOTLINE,
                        title=r.title,
                        text=r.text,
                        category_id=cat_id,
                        item_id=r.item_id,
                        address=r.address,
                        collected_at=when,
                        collected_by=actor,
                        external_source=source,
                        external_ref=r.external_ref,
                        result=r.result,
                        dispatched_at=when if unit_id and working else None,
                        signed_at=when
                        if r.state in ("signed", "in_progress", "replied", "rated")
                        else None,
                        replied_at=(r.replied_at or when) if finished else None,
                        closed_at=now if r.state in ("closed", "declined", "merged") else None,
                        created_at=when,
                    )
                )
            try:
                Case.objects.bulk_create(cases, batch_size=500)
            except IntegrityError:
                raise InvalidInput(
                    "同一来源的数据正在被同时导入，请稍后重试",
                    fields={"file": ["编号冲突，请重新导入"]},
                ) from None
            TimelineEntry.objects.bulk_create(
                [
                    TimelineEntry(
                        item_type=ct,
                        item_id=c.pk,
                        actor=actor,
                        actor_label=label,
                        action="case.import",
                        action_label="导入",
                        to_state=c.state,
                        note=f"从“{source}”导入，原编号{r.external_ref}"
                        if not r.external_ref.startswith("h:")
                        else f"从“{source}”导入（第{r.row}行）",
                        data={"source": source, "ref": r.external_ref, "row": r.row},
                        created_at=now,
                    )
                    for c, r in zip(cases, chunk, strict=True)
                ],
                batch_size=1000,
            )
            # Searchable and known to the duplicate finder like any case (textintel's
            # "case" documents; the suggesters train from the Case rows themselves).
            textsearch.index_cases(cases)
            written += len(cases)
            if progress is not None:
                progress(written)
        transaction.on_commit(lambda: _after_import(source))
    return written


# Apps that keep derived data of cases (search index, suggestion models) register a
# callable here; it is called after an import commits with the source name.
_import_listeners: list = []


def on_cases_imported(callback) -> None:
    _import_listeners.append(callback)


def _after_import(source: str) -> None:
    for cb in _import_listeners:
        cb(source)


def import_job_create(
    *,
    actor: User,
    file,
    node: OrgNode,
    source: str,
    mapping: dict[str, str] | None = None,
    create_missing: bool = False,
    check_only: bool = False,
):
    """Record an upload from the import page; jobs.start runs it."""
    from .models import ImportJob

    import_check_actor(actor=actor, node=node, create_missing=create_missing)
    source = (source or "").strip()
    if not source or len(source) > 32:
        raise InvalidInput(
            "请填写来源（不超过32字）", fields={"source": ["请填写来源（不超过32字）"]}
        )
    return ImportJob.objects.create(
        created_by=actor,
        node=node,
        source=source,
        filename=(getattr(file, "name", "") or "upload")[:200],
        file=file,
        mapping=mapping or {},
        create_missing=create_missing,
        check_only=check_only,
    )
