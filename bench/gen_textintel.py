"""The suggestion side over the generated cases: the bigram search table, the
duplicate index and the category/unit classifiers, built with textintel's own API
(as `manage.py reindex_text` and `train_suggesters` would), each step timed."""

from __future__ import annotations

import time

from orgs.models import OrgNode


def build() -> dict:
    from cases.models import Case
    from textintel import duplicates, search

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
    # Train as `manage.py train_suggesters` does after an import: through the
    # training sources the apps registered (cases: the newest handled cases for
    # categories; who handled which category where for units). The models carry
    # the sources' watermarks, so the nightly job retrains only when enough new
    # handled cases arrived.
    from textintel import jobs

    t0 = time.perf_counter()
    trained = jobs.train_all(force=True)
    for kind in ("category", "unit"):
        out[kind] = trained.get(kind)
    out["train_seconds"] = round(time.perf_counter() - t0, 1)
    return out


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
