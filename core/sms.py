"""Phone verification by SMS code, behind one pluggable backend.

`send_code(phone, purpose)` texts a 6-digit code; `verify_code(phone, purpose, code)`
checks it (5 tries, 10 minutes) and, once verified, `is_verified` holds for an hour.
Codes are kept hashed in the cache (Redis in production).

Plugging in a real gateway: write a class with `send(phone: str, text: str) -> None`
(e.g. calling the provider's HTTP API) and point settings.SMS_BACKEND at it
(env SMS_BACKEND=package.module.ClassName). The default LogBackend only logs and
keeps the last messages in memory for development and tests.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections import deque
from importlib import import_module

from django.conf import settings
from django.core.cache import cache

from .errors import InvalidInput

log = logging.getLogger(__name__)

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
CODE_TTL = 600
VERIFIED_TTL = 3600
MAX_TRIES = 5


def normalise_phone(raw: str) -> str:
    """Accept spaces, dashes, full-width digits and a +86 prefix; refuse anything else."""
    phone = (raw or "").translate({0xFF10 + i: 0x30 + i for i in range(10)})
    phone = re.sub(r"[\s\-()（）]", "", phone)
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("86") and len(phone) == 13:
        phone = phone[2:]
    if not PHONE_RE.match(phone):
        raise InvalidInput(
            "请输入正确的11位手机号码", fields={"phone": ["请输入正确的11位手机号码"]}
        )
    return phone


class LogBackend:
    """Development and tests: log the text and keep the last 100 messages."""

    outbox: deque[tuple[str, str]] = deque(maxlen=100)

    def send(self, phone: str, text: str) -> None:
        self.outbox.append((phone, text))
        log.info("SMS to %s: %s", phone, text)


def backend():
    dotted = getattr(settings, "SMS_BACKEND", "core.sms.LogBackend")
    module, name = dotted.rsplit(".", 1)
    return getattr(import_module(module), name)()


def _key(kind: str, phone: str, purpose: str) -> str:
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{phone}".encode()).hexdigest()[:32]
    return f"sms:{kind}:{purpose}:{digest}"


def _hash(code: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{code}".encode()).hexdigest()


def send_code(phone: str, purpose: str) -> None:
    phone = normalise_phone(phone)
    code = f"{secrets.randbelow(1_000_000):06d}"
    cache.set(_key("code", phone, purpose), {"hash": _hash(code), "tries": 0}, CODE_TTL)
    backend().send(phone, f"【{settings.SITE_NAME}】您的验证码为{code}，10分钟内有效。")


def verify_code(phone: str, purpose: str, code: str) -> bool:
    phone = normalise_phone(phone)
    key = _key("code", phone, purpose)
    entry = cache.get(key)
    if not entry or entry["tries"] >= MAX_TRIES:
        return False
    if secrets.compare_digest(entry["hash"], _hash((code or "").strip())):
        cache.delete(key)
        cache.set(_key("ok", phone, purpose), True, VERIFIED_TTL)
        return True
    entry["tries"] += 1
    cache.set(key, entry, CODE_TTL)
    return False


def is_verified(phone: str, purpose: str) -> bool:
    return bool(cache.get(_key("ok", normalise_phone(phone), purpose)))


def last_code_for(phone: str) -> str | None:
    """Tests and the development server: the last code texted to a phone (LogBackend only)."""
    for to, text in reversed(LogBackend.outbox):
        if to == phone:
            m = re.search(r"验证码为(\d{6})", text)
            return m.group(1) if m else None
    return None
