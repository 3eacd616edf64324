"""Staff home panels: each app registers a function giving the actor's pending work.

A panel provider takes the actor and returns a list of Panel rows; the home page
shows them. Apps register in their AppConfig.ready(), so core knows no app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    title: str
    count: int
    url: str = ""
    tone: str = ""  # "", "warn", "danger"


_providers: list[Callable[..., list[Panel]]] = []


def register(provider: Callable[..., list[Panel]]) -> Callable[..., list[Panel]]:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def panels_for(actor) -> list[Panel]:
    rows: list[Panel] = []
    for provider in _providers:
        rows.extend(provider(actor))
    return rows
