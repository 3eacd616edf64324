"""The suggestion side over the generated cases: the bigram search table, the
duplicate index and the category/unit classifiers, built with textintel's own API
(as `manage.py reindex_text` and `train_suggesters` would), each step timed."""

from __future__ import annotations

import time

from orgs.models import OrgNode


def build(max_train: int = 3000) -> dict:
    from cases.models import Case
    from textintel import classify, duplicates, search

    out: dict = {}
    t0 = time.perf_counter()
    from textintel.registry import index_sources

    sources = index_sources()  # what the apps registered (cases: title + text)
    if "case" not in sources:
        sources = {
            "case": lambda: Case.objects.order_by("id").values_list("id", "text").iterator(5000)
        }
    out["indexed"] = sum(search.index_documents(t, source()) for t, source in sources.items())
    out["index_seconds"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    duplicates.refresh("case", force=True)
    out["duplicate_index_seconds"] = round(time.perf_counter() - t0, 1)
    # Train on the newest handled cases, as a training source would. Categories are
    # province-wide (30 labels); units are a county's own (its office dispatches to its
    # ~30 units, never to another county's), so the unit model is one county's.
    handled = Case.objects.filter(
        state__in=["replied", "rated", "closed"], owner_unit__isnull=False
    ).order_by("-id")
    t0 = time.perf_counter()
    rows = list(handled.values_list("text", "category_id")[:max_train])
    out["category"] = _train(classify, "category", rows)
    county = OrgNode.objects.get(code="P01K01")
    rows = list(
        handled.filter(place__path__startswith=county.path).values_list("text", "owner_unit_id")[
            :max_train
        ]
    )
    out["unit"] = _train(classify, "unit", rows)
    out["train_seconds"] = round(time.perf_counter() - t0, 1)
    return out


def _train(classify, kind: str, rows: list[tuple[str, int]]) -> dict:
    t0 = time.perf_counter()
    try:
        classify.train(kind, [r[0] for r in rows], [r[1] for r in rows])
    except ValueError as exc:
        return {"error": str(exc)}
    return {
        "examples": len(rows),
        "labels": len({r[1] for r in rows}),
        "seconds": round(time.perf_counter() - t0, 1),
    }


def suggest_function():
    """What the intake page asks for a new case (cases.textsearch), as a county office."""
    try:
        from cases.textsearch import case_suggestions
    except ImportError:
        from textintel import answer

        return lambda text: answer.suggest(text)
    from orgs.models import User

    actor = User.objects.get(username="b_county")
    place = OrgNode.objects.get(code="P01K01T01V01")
    return lambda text: case_suggestions(actor, text=text, place=place)
