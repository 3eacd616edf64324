"""Where apps plug their records into textintel (textintel imports no app).

- A duplicate provider turns stored document ids into what the answer shows:
  `fn(ids: list[int]) -> {id: {"tracking_code", "external_ref", "state"}}`;
  ids it leaves out (deleted, merged, not visible) are dropped from the answer.
- An index source yields every (id, text) of a doc_type, for a full reindex.
- A training source yields a suggester's training data:
  `fn() -> TrainingData`; `fingerprint` lets the periodic job retrain only when
  the data changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class TrainingData:
    texts: Sequence[str]
    labels: Sequence[Any]
    places: Sequence[Any] | None = None
    names: dict[Any, str] = field(default_factory=dict)
    fingerprint: str = ""


DuplicateProvider = Callable[[list[int]], dict[int, dict]]
_duplicate_providers: dict[str, DuplicateProvider] = {}
_training_sources: dict[str, Callable[[], TrainingData]] = {}
_index_sources: dict[str, Callable[[], Iterable[tuple[int, str]]]] = {}


def register_duplicate_provider(doc_type: str, fn: DuplicateProvider) -> None:
    _duplicate_providers[doc_type] = fn


def duplicate_provider(doc_type: str) -> DuplicateProvider | None:
    return _duplicate_providers.get(doc_type)


def register_training_source(kind: str, fn: Callable[[], TrainingData]) -> None:
    _training_sources[kind] = fn


def training_sources() -> dict[str, Callable[[], TrainingData]]:
    return dict(_training_sources)


def register_index_source(doc_type: str, fn: Callable[[], Iterable[tuple[int, str]]]) -> None:
    _index_sources[doc_type] = fn


def index_sources() -> dict[str, Callable[[], Iterable[tuple[int, str]]]]:
    return dict(_index_sources)
