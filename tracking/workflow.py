"""Workflows declared as data: states, transitions, who may take each, guards.

No state-machine library (see STYLE.md): a table per item kind, checked by the one
service `tracking.services.item_transition`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

# guard(actor, item, changes, data) raises core.errors.DomainError to refuse.
Guard = Callable[..., None]


@dataclass(frozen=True)
class Transition:
    name: str
    label: str  # Chinese verb shown on buttons and in the timeline
    sources: frozenset[str]
    target: str | None  # None: the state stays (a progress note, a reminder)
    roles: frozenset[str]
    # The actor's relation to the item: "place", "owner" or "visible" (orgs.access).
    relation: str = "visible"
    guard: Guard | None = None
    public: bool = False  # does the timeline entry show on public pages?
    system: bool = False  # may the system (no actor) take it?


@dataclass(frozen=True)
class Workflow:
    key: str
    states: dict[str, str]  # code -> Chinese label, in display order
    initial: str
    final: frozenset[str]
    transitions: dict[str, Transition] = field(default_factory=dict)

    def label(self, state: str) -> str:
        return self.states.get(state, state)

    def available(self, state: str) -> list[Transition]:
        return [t for t in self.transitions.values() if state in t.sources]

    def choices(self) -> list[tuple[str, str]]:
        return list(self.states.items())


def transition(
    name: str,
    label: str,
    sources: Iterable[str],
    target: str | None,
    roles: Iterable[str],
    **kwargs,
) -> Transition:
    return Transition(name, label, frozenset(sources), target, frozenset(roles), **kwargs)


def workflow(key: str, states: dict[str, str], initial: str, final: Iterable[str], *ts: Transition):
    wf = Workflow(key, states, initial, frozenset(final), {t.name: t for t in ts})
    for t in ts:
        unknown = (set(t.sources) | ({t.target} if t.target else set())) - set(states)
        if unknown:
            raise ValueError(f"{key}.{t.name}: unknown states {unknown}")
    return wf
