"""Who is calling: a staff session or a partner API key, both ending as an actor.

A key acts as its own service user (see models.ApiKey), so every read goes through
orgs.access and every write through the services exactly as for a person. The
only thing decided here is the key's scope: a read-only key cannot write.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyCookie, APIKeyHeader

from core.errors import PermissionDenied
from orgs.models import User

from .models import ApiKey
from .services import apikey_authenticate

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Principal:
    actor: User
    key: ApiKey | None = None

    @property
    def can_write(self) -> bool:
        return self.key is None or self.key.can_write

    def __str__(self) -> str:  # the identity rate limits count by
        return f"key:{self.key.pk}" if self.key else f"user:{self.actor.pk}"


def check_scope(principal: Principal, method: str) -> Principal:
    if method.upper() not in SAFE_METHODS and not principal.can_write:
        raise PermissionDenied("只读API密钥不能执行写操作", code="read_only_key")
    return principal


def principal_for_key(raw: str, method: str) -> Principal:
    key = apikey_authenticate(raw=raw)
    return check_scope(Principal(actor=key.user, key=key), method)


class KeyAuth(APIKeyHeader):
    """X-API-Key: bsk_xxxxxxxx_secret"""

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Principal | None:
        if not key:
            return None
        return principal_for_key(key, request.method or "GET")


class StaffSession(APIKeyCookie):
    """The staff member's browser session (writes need the X-CSRFToken header)."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Principal | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        return Principal(actor=user)


def actor_of(request: HttpRequest) -> User:
    return request.auth.actor  # type: ignore[attr-defined]
