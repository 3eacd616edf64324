"""Where apps plug their records into textintel (textintel imports no app).

- A duplicate provider turns stored document ids into what the answer shows:
  `fn(ids: list[int]) -> {id: {"tracking_code", "external_ref", "state"}}`;
  ids it leaves out (deleted, merged, not visible) are dropped from the answer.
- An index source yields every (id, text) of a doc_type, for a full reindex.
- A training source yields a suggester's training data:
  `fn() -> TrainingData`; with a `watermark` function the periodic job retrains
  only when enough new records arrived (otherwise: when `fingerprint` changed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class TrainingData:
    """`given` set: a history suggester (labels given `given` and the place,
    rows weighted by `weights`), texts unused. `watermark`: the source's count
    of learnable records when read (see register_training_source)."""

    texts: Sequence[str]
    labels: Sequence[Any]
    places: Sequence[Any] | None = None
    names: dict[Any, str] = field(default_factory=dict)
    fingerprint: str = ""
    given: Sequence[Any] | None = None
    weights: Sequence[int] | None = None
    watermark: int | None = None


DuplicateProvider = Callable[[list[int]], dict[int, dict]]
_duplicate_providers: dict[str, DuplicateProvider] = {}
_training_sources: dict[str, Callable[[], TrainingData]] = {}
_watermarks: dict[str, Callable[[], int]] = {}
_index_sources: dict[str, Callable[[], Iterable[tuple[int, str]]]] = {}


def register_duplicate_provider(doc_type: str, fn: DuplicateProvider) -> None:
    _duplicate_providers[doc_type] = fn


def duplicate_provider(doc_type: str) -> DuplicateProvider | None:
    return _duplicate_providers.get(doc_type)


def register_training_source(
    kind: str, fn: Callable[[], TrainingData], watermark: Callable[[], int] | None = None
) -> None:
    """`watermark()`: a cheap count of the learnable records (one query); the
    periodic job retrains only when it grew enough since the model's."""
    _training_sources[kind] = fn
    if watermark is not None:
        _watermarks[kind] = watermark
    else:
        _watermarks.pop(kind, None)


def watermark_of(kind: str) -> Callable[[], int] | None:
    return _watermarks.get(kind)


def training_sources() -> dict[str, Callable[[], TrainingData]]:
    return dict(_training_sources)


def register_index_source(doc_type: str, fn: Callable[[], Iterable[tuple[int, str]]]) -> None:
    _index_sources[doc_type] = fn


def index_sources() -> dict[str, Callable[[], Iterable[tuple[int, str]]]]:
    return dict(_index_sources)
