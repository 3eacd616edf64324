"""Cases in textintel: the search index, what a duplicate shows, and the handled
cases the category and unit suggesters learn from.

textintel knows no app; this module feeds it (registered in hooks.register) and
asks it questions for staff, through orgs.access.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from django.db.models import Count, Q
from django.db.models.expressions import RawSQL

import textintel
from orgs import access
from orgs.models import OrgNode, User
from taxonomy.models import Category
from textintel.registry import TrainingData

from .models import Case, State

DOC_TYPE = "case"
TRAINING_LIMIT = 6_000  # newest handled cases the category suggester learns from
UNIT_HISTORY_LIMIT = 200_000  # newest handled cases the unit history counts
# Cases whose category/unit a person has set: past triage, not refused or merged.
_UNLEARNED = (State.SUBMITTED, State.DECLINED, State.MERGED)
_SYNC_BATCH = 5_000


def case_document(title: str, text: str) -> str:
    return f"{title}\n{text}" if title else text


def index_case(case: Case) -> None:
    """Index one case now (same transaction as its creation)."""
    index_cases([case])


def index_cases(cases: Sequence[Case]) -> None:
    """Index new cases in one write (a drain of queued submissions)."""
    textintel.index_documents(
        DOC_TYPE,
        [
            (c.pk, case_document(c.title, c.text), c.place_id, _area_of_place(c.place_id))
            for c in cases
        ],
    )


def index_rows(rows: Iterable[tuple[int, str, str, int | None]]) -> int:
    """Index many cases given as (id, title, text, place id): imports, catch-up."""
    areas = access.node_areas()
    return textintel.index_documents(
        DOC_TYPE, ((pk, case_document(t, x), p, areas.get(p)) for pk, t, x, p in rows)
    )


@lru_cache(maxsize=4096)
def _area_of_place(place_id: int | None) -> int | None:
    # the area of a submission's place, asked per submission; a tree edit
    # (rare, admin) clears it here and refresh_areas catches the other processes
    path = OrgNode.objects.filter(pk=place_id).values_list("path", flat=True).first()
    return access.area_of_path(path) if path else None


def sync() -> dict:
    """Index cases created without the services (bulk imports, seeders): every
    case above the highest indexed id; after an org tree edit, the area keys.
    Periodic job and import listener."""
    from textintel.search import max_doc_id

    last = max_doc_id(DOC_TYPE)
    done = 0
    while True:
        rows = list(
            Case.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "title", "text", "place_id")[:_SYNC_BATCH]
        )
        if not rows:
            break
        index_rows(rows)
        done += len(rows)
        last = rows[-1][0]
    return {"indexed": done, "areas": refresh_areas(only_if_tree_changed=True)}


_AREA_MARK = "cases:textsearch:areas"
_AREA_CHUNK = 4_000


def refresh_areas(*, only_if_tree_changed: bool = False) -> int:
    """Set every case document's area key from the org tree as it is now (nodes
    moved between counties); returns how many changed. `only_if_tree_changed`:
    skip when the tree's areas are those of the last refresh (the periodic job)."""
    import hashlib

    from django.core.cache import cache

    areas = access.node_areas()
    places = list(OrgNode.objects.order_by("pk").values_list("pk", flat=True))
    mark = hashlib.sha1(repr(sorted(areas.items())).encode()).hexdigest()
    if only_if_tree_changed and cache.get(_AREA_MARK) == mark:
        return 0
    changed = 0
    table = Case._meta.db_table
    for start in range(0, len(places), _AREA_CHUNK):
        chunk = places[start : start + _AREA_CHUNK]
        values = ", ".join(["(%s, %s)"] * len(chunk))
        params = [x for p in chunk for x in (p, areas.get(p))]
        # VALUES columns are column1, column2 on both databases
        changed += textintel.set_areas(
            DOC_TYPE,
            f"SELECT c.id AS doc_id, CAST(m.column2 AS BIGINT) AS area FROM {table} c "
            f"JOIN (VALUES {values}) AS m ON c.place_id = m.column1",
            params,
        )
    cache.set(_AREA_MARK, mark, None)
    _area_of_place.cache_clear()
    return changed


def after_import() -> None:
    """After a bulk import: index the new cases and, if many, fold them into the
    saved duplicate index now rather than in the first suggestion request."""
    from textintel import duplicates

    sync()
    duplicates.refresh(DOC_TYPE)


def search_q(q: str) -> Q | None:
    """Cases whose title or text holds the query (any two-character word;
    Traditional or Simplified), as a filter that combines with the caller's scope
    and order in one query. None when the query has no searchable character."""
    match = textintel.match_sql(DOC_TYPE, q)
    if match is None:
        return None
    sql, params = match
    return Q(pk__in=RawSQL(sql, params))


# --- what textintel asks of cases -----------------------------------------------


def duplicate_meta(
    ids: list[int], actor: User | None = None, area: tuple | None = None
) -> dict[int, dict]:
    """Shown for a suggested duplicate; merged cases point at their main case,
    so they are left out. With `actor`, only the cases the actor may see (the
    same query: a case outside the actor's scope is never named); with the
    actor's `area` (access.area_head) too, only those placed in it."""
    qs = Case.objects.filter(pk__in=ids).exclude(state=State.MERGED)
    if actor is not None and area is not None:
        qs = access.scope_tracked_placed_in(actor, qs, area)
    elif actor is not None:
        qs = access.scope_tracked(actor, qs)
    rows = qs.values("pk", "tracking_code", "external_ref", "state")
    return {
        r["pk"]: {
            "tracking_code": r["tracking_code"],
            "external_ref": r["external_ref"],
            "state": r["state"],
        }
        for r in rows
    }


def _place_codes() -> dict[int, list[str]]:
    """node id -> codes of the node and its ancestors (materialised path prefixes)."""
    nodes = list(OrgNode.objects.values_list("pk", "path", "code"))
    by_path = {path: code for _, path, code in nodes}
    step = OrgNode.steplen
    return {
        pk: [by_path[path[:i]] for i in range(step, len(path) + 1, step) if path[:i] in by_path]
        for pk, path, _ in nodes
    }


def place_tokens(place: OrgNode | int | None) -> list[str]:
    if place is None:
        return []
    node = place if isinstance(place, OrgNode) else OrgNode.objects.filter(pk=place).first()
    if node is None:
        return []
    return list(_codes_of_path(node.path))


@lru_cache(maxsize=4096)
def _codes_of_path(path: str) -> tuple[str, ...]:
    # codes of a node and its ancestors; the tree's codes do not change in use,
    # and this runs for every suggestion
    step = OrgNode.steplen
    prefixes = [path[:i] for i in range(step, len(path) + 1, step)]
    codes = dict(OrgNode.objects.filter(path__in=prefixes).values_list("path", "code"))
    return tuple(codes[p] for p in prefixes if p in codes)


def _learnable():
    return Case.objects.exclude(state__in=_UNLEARNED)


_marks: dict[str, Any] = {}


def _learnable_counts() -> dict[str, int]:
    """Learnable cases now, with a category and with a category and a unit: the
    periodic job retrains when these grew enough. One scan for both kinds
    (reused for a few seconds: one periodic run asks for both)."""
    import time

    if _marks and time.monotonic() - _marks["at"] < 5:
        return _marks["counts"]
    with_category = Q(category_id__isnull=False)
    counts = _learnable().aggregate(
        category=Count("pk", filter=with_category),
        unit=Count("pk", filter=with_category & Q(owner_unit_id__isnull=False)),
    )
    _marks.update(at=time.monotonic(), counts=counts)
    return counts


def category_watermark() -> int:
    return _learnable_counts()["category"]


def unit_watermark() -> int:
    return _learnable_counts()["unit"]


def category_training() -> TrainingData:
    """The newest TRAINING_LIMIT handled cases, their text, place and category."""
    qs = _learnable().filter(category_id__isnull=False)
    rows = list(
        qs.order_by("-pk").values_list("title", "text", "category_id", "place_id")[:TRAINING_LIMIT]
    )
    codes = _place_codes()
    labels = [r[2] for r in rows]
    return TrainingData(
        texts=[case_document(t, x) for t, x, _, _ in rows],
        labels=labels,
        places=[codes.get(p, []) for *_, p in rows],
        names=dict(Category.objects.filter(pk__in=set(labels)).values_list("pk", "name")),
    )


def unit_training() -> TrainingData:
    """Who handled which category where, over the newest UNIT_HISTORY_LIMIT
    handled cases, counted by the database (a history suggester: units are each
    county's own, a text model over a province's thousands would not train)."""
    qs = _learnable().filter(category_id__isnull=False, owner_unit_id__isnull=False)
    floor = qs.order_by("-pk").values_list("pk", flat=True)[
        UNIT_HISTORY_LIMIT - 1 : UNIT_HISTORY_LIMIT
    ]
    floor = next(iter(floor), 0)
    rows = list(
        qs.filter(pk__gte=floor)
        .order_by()
        .values_list("place_id", "category_id", "owner_unit_id")
        .annotate(n=Count("pk"))
    )
    codes = _place_codes()
    units = {r[2] for r in rows}
    return TrainingData(
        texts=[],
        labels=[r[2] for r in rows],
        given=[r[1] for r in rows],
        places=[codes.get(r[0], []) for r in rows],
        weights=[r[3] for r in rows],
        names=dict(OrgNode.objects.filter(pk__in=units).values_list("pk", "name")),
    )


def index_source():
    last = 0
    areas = access.node_areas()
    while True:
        rows = list(
            Case.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "title", "text", "place_id")[:_SYNC_BATCH]
        )
        if not rows:
            return
        yield from ((pk, case_document(t, x), p, areas.get(p)) for pk, t, x, p in rows)
        last = rows[-1][0]


def register() -> None:
    textintel.register_duplicate_provider(DOC_TYPE, duplicate_meta)
    textintel.register_training_source("category", category_training, category_watermark)
    textintel.register_training_source("unit", unit_training, unit_watermark)
    textintel.register_index_source(DOC_TYPE, index_source)
    from django.db.models.signals import post_delete, post_save

    for signal in (post_save, post_delete):
        signal.connect(_forget_codes, sender=OrgNode, dispatch_uid="textsearch-codes")


def _forget_codes(**kwargs) -> None:
    _codes_of_path.cache_clear()
    _area_of_place.cache_clear()
    _area_tables.clear()


# --- what staff ask ---------------------------------------------------------------


_AREA_TABLE_TTL = 60.0  # seconds: a place moved between counties is picked up after this
_area_tables: dict[int, tuple[float, Any]] = {}


def _area_table(head: OrgNode):
    """A boolean table by node id: True for the nodes under `head`. It only picks the
    duplicate candidates (what may be shown is checked fresh), so it is kept a minute."""
    import time

    import numpy as np  # as textintel's index does: not at start-up

    made, table = _area_tables.get(head.pk, (0.0, None))
    if table is None or time.monotonic() - made > _AREA_TABLE_TTL:
        ids = list(OrgNode.objects.filter(access.subtree_q(head)).values_list("id", flat=True))
        table = np.zeros(max(ids) + 1, dtype=bool)
        table[ids] = True
        _area_tables[head.pk] = (time.monotonic(), table)
    return table


def case_suggestions(
    actor: User, *, text: str, place: OrgNode | None = None, exclude: int | None = None
) -> dict[str, Any]:
    """textintel's answer for a case text, with duplicates limited to the cases
    the actor may see (a case outside the actor's scope is never named). An
    office in a county is offered the repeats placed in its county: the best
    matches there, not the province's best of which it may see none."""
    area = access.area_head(actor)
    within = _area_table(area[0]) if area is not None else None
    return textintel.suggest(
        text,
        place=place_tokens(place),
        doc_type=DOC_TYPE,
        exclude=exclude,
        provider=lambda ids: duplicate_meta(ids, actor=actor, area=area),
        group=place.pk if isinstance(place, OrgNode) else place,
        within=within,
    )


TRIAGE_DUPLICATES = 3


def triage_suggestions(actor: User, cases: list[Case]) -> dict[int, dict[str, Any]]:
    """Suggestions for the rows of the triage list: each case's answer is
    computed once (a day) and stored, so a page reads them in one query; the
    duplicates of all rows are resolved in one more query, limited to what the
    actor may see."""
    from textintel.answer import stored_answers

    rows = {c.pk: c for c in cases if c.state in (State.SUBMITTED, State.ACCEPTED)}

    def load(ids):
        texts = Case.objects.filter(pk__in=ids).values_list("pk", "title", "text")
        return [
            (pk, case_document(t, x), _row_place(rows[pk]), rows[pk].place_id)
            for pk, t, x in texts
            if pk in rows
        ]

    raw = stored_answers(DOC_TYPE, list(rows), load)
    # the first few of each row (some may be merged or out of the actor's scope)
    dup_ids = {d for a in raw.values() for d, _ in a["duplicates"][: TRIAGE_DUPLICATES * 2]}
    meta = duplicate_meta(list(dup_ids), actor=actor) if dup_ids else {}
    out = {}
    for pk, answer in raw.items():
        dups = [
            {"id": d, "score": s, **meta[d]}
            for d, s in answer["duplicates"]
            if d != pk and d in meta
        ]
        out[pk] = {
            "categories": answer["categories"],
            "units": answer["units"],
            "duplicates": dups[:TRIAGE_DUPLICATES],
        }
    return out


def _row_place(case: Case) -> list[str]:
    place = case.place if case.place_id else None
    return list(_codes_of_path(place.path)) if place is not None else []
