"""Text intelligence: a library that knows no app. Apps feed it texts and
labels and ask it questions.

- `normalize(text)`: Traditional -> Simplified, full/half width, whitespace.
- `index_documents(doc_type, [(id, text) or (id, text, group[, area]), ...])`,
  `remove_document`, `search_ids(doc_type, query, limit, candidate_ids)`, `match_sql`
  (optionally within one area), `match_one_sql`, `set_areas`: bigram full-text search
  (FTS5 on SQLite, tsvector + GIN on PostgreSQL).
- `train(kind, texts, labels, places=None, names=None)`, `predict(kind, text)`:
  suggesters learned from the deployment's own records.
- `find_duplicates(doc_type, text, group=None)`: bigram TF-IDF duplicate finder
  (documents of the same group, e.g. the same place, rank higher).
- `suggest(text, place=None)`: categories, units and duplicates in one answer.
- `register_duplicate_provider(doc_type, fn)`, `register_training_source(kind,
  fn)`: how an app (cases) plugs its records in.

Submodules import Django models, so this module imports them lazily.
"""

from __future__ import annotations

from typing import Any

from .normalize import normalize
from .registry import (
    register_duplicate_provider,
    register_index_source,
    register_training_source,
)

__all__ = [
    "normalize",
    "index_documents",
    "remove_document",
    "search_ids",
    "match_sql",
    "match_one_sql",
    "set_areas",
    "train",
    "predict",
    "find_duplicates",
    "suggest",
    "register_duplicate_provider",
    "register_training_source",
    "register_index_source",
    "warm",
]


def index_documents(doc_type: str, docs) -> int:
    from . import search

    return search.index_documents(doc_type, docs)


def remove_document(doc_type: str, doc_id: int) -> None:
    from . import search

    search.remove_document(doc_type, doc_id)


def search_ids(doc_type: str, query: str, limit: int = 50, candidate_ids=None) -> list[int]:
    from . import search

    return search.search_ids(doc_type, query, limit=limit, candidate_ids=candidate_ids)


def match_sql(doc_type: str, query: str, id_range=None, area: int | None = None):
    from . import search

    return search.match_sql(doc_type, query, id_range=id_range, area=area)


def match_one_sql(doc_type: str, query: str, id_sql: str):
    from . import search

    return search.match_one_sql(doc_type, query, id_sql)


def set_areas(doc_type: str, select_sql: str, params=()) -> int:
    from . import search

    return search.set_areas(doc_type, select_sql, params)


def train(kind: str, texts, labels, places=None, names=None) -> dict:
    from . import classify

    return classify.train(kind, texts, labels, places=places, names=names)


def predict(kind: str, text: str, place: Any = None, k: int = 3, given=None) -> list[dict]:
    from . import classify

    return classify.predict(kind, text, place=place, k=k, given=given)


def find_duplicates(
    doc_type: str, text: str, k: int = 10, exclude: int | None = None, group: int | None = None
):
    from . import duplicates

    return duplicates.find(doc_type, text, k=k, exclude=exclude, group=group)


def suggest(
    text: str,
    place: Any = None,
    doc_type: str = "case",
    exclude: int | None = None,
    provider=None,
    group: int | None = None,
    within=None,
) -> dict:
    from .answer import suggest as _suggest

    return _suggest(
        text,
        place=place,
        doc_type=doc_type,
        exclude=exclude,
        provider=provider,
        group=group,
        within=within,
    )


def warm() -> None:
    """Load the trained suggesters and the word cutter's dictionary now (a server
    before it forks its workers) instead of in some user's first request (~1-2 s)."""
    from . import classify

    for kind in ("category", "unit"):
        if classify.is_trained(kind):
            classify.predict(kind, "路灯不亮")
