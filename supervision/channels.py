"""Outside channels (SMS, WeChat Work 企业微信) behind one interface.

A channel is a class with `send_many(messages: list[Message]) -> None`. The list
in settings.SUPERVISION_CHANNELS names the active ones (dotted paths); the
default log backends only log and keep the last messages for development and
tests. A real gateway: subclass Channel, call the provider's API in send_many
(batch it), and put its dotted path in the setting.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    user_id: int
    username: str
    phone: str
    title: str
    body: str
    url: str = ""


class Channel:
    name = "channel"

    def send_many(self, messages: list[Message]) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class LogSMS(Channel):
    """SMS through the log: to each recipient with a phone number."""

    name = "sms"
    outbox: deque[tuple[str, str]] = deque(maxlen=500)

    def send_many(self, messages: list[Message]) -> None:
        for m in messages:
            if m.phone:
                text = f"【{settings.SITE_NAME}】{m.title}：{m.body}"
                self.outbox.append((m.phone, text))
                log.info("SMS to %s: %s", m.phone, text)


class LogWeCom(Channel):
    """WeChat Work (企业微信) application messages through the log, by user id."""

    name = "wecom"
    outbox: deque[tuple[str, str]] = deque(maxlen=500)

    def send_many(self, messages: list[Message]) -> None:
        for m in messages:
            self.outbox.append((m.username, f"{m.title}\n{m.body}"))
            log.info("WeCom to %s: %s", m.username, m.title)


def active() -> list[Channel]:
    out = []
    for dotted in getattr(settings, "SUPERVISION_CHANNELS", []):
        module, name = dotted.rsplit(".", 1)
        out.append(getattr(import_module(module), name)())
    return out


def send_many(messages: list[Message]) -> None:
    if not messages:
        return
    for channel in active():
        try:
            channel.send_many(messages)
        except Exception:  # an outside channel failing must not undo supervision
            log.exception("channel %s failed", channel.name)
