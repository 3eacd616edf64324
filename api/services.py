"""API keys: make, revoke, authenticate. Keyword-only, typed, one transaction each."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.db import transaction
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
