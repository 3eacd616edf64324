"""Navigation entries that apps register in AppConfig.ready(), so core knows no app.

Each entry: (label, url name, roles or None for everyone) for staff; public
entries also carry a hint for the home page tiles.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    roles: tuple[str, ...] = ()  # empty: every staff user
    hint: str = ""
    order: int = 50


staff_entries: list[NavEntry] = []
public_entries: list[NavEntry] = []


def add_staff(entry: NavEntry) -> None:
    if entry not in staff_entries:
        staff_entries.append(entry)
        staff_entries.sort(key=lambda e: e.order)


def add_public(entry: NavEntry) -> None:
    if entry not in public_entries:
        public_entries.append(entry)
        public_entries.sort(key=lambda e: e.order)


@lru_cache(maxsize=256)
def _reversed(url_name: str, prefix: str, urlconf: str | None) -> str:
    return reverse(url_name, urlconf=urlconf)


def url(url_name: str) -> str:
    """reverse(url_name), kept per script prefix and URLconf: every page's header
    asks for the same dozen or so."""
    return _reversed(url_name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


def staff_nav(user) -> list[dict]:
    out = []
    for e in staff_entries:
        if e.roles and not (user.is_superuser or user.has_role(*e.roles)):
            continue
        out.append({"label": e.label, "url": url(e.url_name)})
    return out


def public_nav() -> list[dict]:
    return [{"label": e.label, "url": url(e.url_name), "hint": e.hint} for e in public_entries]
