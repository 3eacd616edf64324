"""Which models are tracked items, and what the kernel's generic jobs need to know of each.

Apps register their TrackedItem models in AppConfig.ready(); supervision, figures and
the public board iterate over the registry instead of importing the apps.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TrackedKind:
    model: type
    label: str  # Chinese name: "群众诉求", "民生实事项目"
    # States in which the item is still being worked on (deadline and reports matter).
    open_states: frozenset[str]
    # States in which the work is finished (spot checks draw from these).
    finished_states: frozenset[str]
    # Field holding percent done (0–100), if the kind has one.
    progress_field: str | None = None
    extra: dict = field(default_factory=dict)


_kinds: dict[str, TrackedKind] = {}


def register(kind: TrackedKind) -> None:
    _kinds[kind.model._meta.label_lower] = kind


def kinds() -> list[TrackedKind]:
    return list(_kinds.values())


def kind_for(model_or_label) -> TrackedKind:
    key = model_or_label if isinstance(model_or_label, str) else model_or_label._meta.label_lower
    return _kinds[key]
