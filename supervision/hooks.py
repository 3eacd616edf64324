"""What supervision asks of each tracked kind, beyond tracking.registry.TrackedKind.

A kind answers through keys of its `TrackedKind.extra` dict (set by the app that
owns it), or through `register(label, **hooks)` here (for wiring done from this
side, e.g. supervision/integrations.py). `extra` wins. All keys are optional:

- "missing_report_q": callable(today: date) -> Q — the items missing a progress
  report (set-based: a Q over the kind's model, e.g. an Exists() on reports).
- "behind_schedule_q": callable(today: date, gap: int) -> Q — replaces the
  default "progress behind elapsed time" rule for kinds with a progress field.
- "start_field": the date/datetime field the schedule runs from (default "created_at").
- "scope_field": the field a per-programme LadderPolicy is keyed on ("programme").
- "reopen": the name of a workflow transition that reopens finished work (taken
  through tracking.services.item_transition with the inspector as actor), or
  callable(actor, item, note) -> item.
- "contacts": callable(items: list) -> {pk: {"name": str, "phone": str}} — the
  requester to call back on a return visit (personal data: access is logged).
- "return_visits": True if closed items of the kind get return visits (回访).
- "detail_url": callable(item) -> str, the staff page of an item.
- "title": callable(item) -> str (default: item.title or str(item)).
- "title_field": the column bulk notifications take titles from (default "title").
- "flagged_q": Q of items the owning app hands to supervision (shown on the board).
"""

from __future__ import annotations

from typing import Any

from tracking import registry
from tracking.registry import TrackedKind

_hooks: dict[str, dict[str, Any]] = {}


def register(label: str, **hooks: Any) -> None:
    _hooks.setdefault(label, {}).update(hooks)


def get(kind: TrackedKind, name: str, default: Any = None) -> Any:
    if name in kind.extra:
        return kind.extra[name]
    return _hooks.get(kind.model._meta.label_lower, {}).get(name, default)


def key(kind: TrackedKind) -> str:
    return kind.model._meta.label_lower


def kind_by_key(label: str) -> TrackedKind:
    try:
        return registry.kind_for(label)
    except KeyError:
        from core.errors import NotFound

        raise NotFound() from None


def title(kind: TrackedKind, item) -> str:
    fn = get(kind, "title")
    if fn:
        return fn(item)
    return getattr(item, "title", "") or str(item)


def detail_url(kind: TrackedKind, item) -> str:
    fn = get(kind, "detail_url")
    return fn(item) if fn else ""
