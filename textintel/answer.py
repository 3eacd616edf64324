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
    group: int | None = None,
    within: Any = None,
) -> dict:
    """`group`: the text's group key (cases: its place id), whose stored
    documents rank higher as duplicates. `provider` replaces the registered duplicate provider for this call (a
    caller that also limits what the asker may see does both in one query).
    `within`: a boolean table by group key; duplicates come from those groups only."""
    text = text or ""
    # a history unit suggester weighs the units by these category scores
    categories = classify.predict("category", text, place=place, k=5)
    return {
        "categories": categories[:3],
        "units": classify.predict("unit", text, place=place, k=3, given=categories),
        "duplicates": duplicate_list(
            doc_type, text, exclude=exclude, provider=provider, group=group, within=within
        ),
    }


def duplicate_list(
    doc_type: str,
    text: str,
    exclude: int | None = None,
    provider: DuplicateProvider | None = None,
    group: int | None = None,
    within: Any = None,
) -> list[dict]:
    if not text.strip():
        return []
    # ask for more than shown: the provider may drop merged or removed documents
    found = [
        (doc_id, score)
        for doc_id, score in duplicates.find(
            doc_type, text, k=DUPLICATES * 2, exclude=exclude, group=group, within=within
        )
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


def _mark() -> str:
    from django.utils import timezone

    stamps = [classify.trained_at(kind) or 0 for kind in ("category", "unit")]
    return f"{timezone.localdate().isoformat()}:" + ":".join(f"{s:.0f}" for s in stamps)


def stored_answers(doc_type: str, ids: list[int], load) -> dict[int, dict]:
    """Answers for many stored documents at once, each computed once a day (or
    when a model changed) and kept: a list page reads them in one query.
    `load(missing_ids) -> [(id, text, place, group)]` fetches what must be computed.
    Duplicates come as [[id, score], ...], unresolved (the caller shows them
    with their current state, to whom may see them)."""
    from django.db import IntegrityError, transaction

    from .models import StoredAnswer

    if not ids:
        return {}
    mark = _mark()
    rows = StoredAnswer.objects.filter(doc_type=doc_type, doc_id__in=ids, mark=mark)
    out = {r.doc_id: r.answer for r in rows.only("doc_id", "answer")}
    missing = [i for i in ids if i not in out]
    if not missing:
        return out
    fresh = []
    for doc_id, text, place, group in load(missing):
        categories = classify.predict("category", text, place=place, k=5)
        answer = {
            "categories": categories[:3],
            "units": classify.predict("unit", text, place=place, k=3, given=categories),
            "duplicates": [
                [d, round(float(s), 4)]
                for d, s in duplicates.find(
                    doc_type, text, k=DUPLICATES * 2, exclude=doc_id, group=group
                )
                if s >= DUPLICATE_MIN_SCORE
            ],
        }
        out[doc_id] = answer
        fresh.append(StoredAnswer(doc_type=doc_type, doc_id=doc_id, answer=answer, mark=mark))
    try:
        with transaction.atomic():
            StoredAnswer.objects.filter(
                doc_type=doc_type, doc_id__in=[a.doc_id for a in fresh]
            ).delete()
            StoredAnswer.objects.bulk_create(fresh, ignore_conflicts=True)
    except IntegrityError:  # another request stored them first: theirs will do
        pass
    return out
