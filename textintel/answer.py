"""The suggestion answer: {"categories": top 3, "units": top 3, "duplicates": top 10}."""

from __future__ import annotations

from typing import Any

from . import classify, duplicates
from .registry import DuplicateProvider, duplicate_provider

DUPLICATE_MIN_SCORE = 0.2  # cosine below this is a shared topic, not a repeat
DUPLICATES = 10


def suggest(
    text: str,
    place: Any = None,
    doc_type: str = "case",
    exclude: int | None = None,
    provider: DuplicateProvider | None = None,
) -> dict:
    """`provider` replaces the registered duplicate provider for this call (a
    caller that also limits what the asker may see does both in one query)."""
    text = text or ""
    # a history unit suggester weighs the units by these category scores
    categories = classify.predict("category", text, place=place, k=5)
    return {
        "categories": categories[:3],
        "units": classify.predict("unit", text, place=place, k=3, given=categories),
        "duplicates": duplicate_list(doc_type, text, exclude=exclude, provider=provider),
    }


def duplicate_list(
    doc_type: str,
    text: str,
    exclude: int | None = None,
    provider: DuplicateProvider | None = None,
) -> list[dict]:
    if not text.strip():
        return []
    # ask for more than shown: the provider may drop merged or removed documents
    found = [
        (doc_id, score)
        for doc_id, score in duplicates.find(doc_type, text, k=DUPLICATES * 2, exclude=exclude)
        if score >= DUPLICATE_MIN_SCORE
    ]
    provider = provider or duplicate_provider(doc_type)
    meta = provider([doc_id for doc_id, _ in found]) if provider and found else {}
    out = []
    for doc_id, score in found:
        if provider is not None and doc_id not in meta:
            continue
        info = meta.get(doc_id, {})
        out.append(
            {
                "id": doc_id,
                "tracking_code": info.get("tracking_code"),
                "external_ref": info.get("external_ref") or "",
                "score": round(float(score), 4),
                "state": info.get("state"),
            }
        )
        if len(out) == DUPLICATES:
            break
    return out
