"""Shared reads for case pages: triage queue, unit inbox, filtered list, search.

Every staff read starts from orgs.access.scope_tracked. Lists page by keyset on
the id (or deadline, id) and never count the whole table: they fetch one row more
than a page to know whether there is a next one. The composite indexes on Case
(state/owner_unit/place/category/channel + id) serve these queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Count, F, Max, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat, Substr
from django.urls import reverse
from django.utils import timezone

from core.panels import Panel
from orgs import access
from orgs.models import OrgNode, Role, User
from tracking import workdays

from . import textsearch
from .models import OPEN_STATES, WORKING_STATES, Case, State

PAGE_SIZE = 50
DUE_SOON_DAYS = 3  # working days: "即将到期"


def staff_cases(actor: User) -> QuerySet[Case]:
    return access.scope_tracked(actor, Case.objects.all())


def case_for_staff(actor: User, pk: Any) -> Case:
    """One case the actor may see; NotFound for "not yours" and "not found" alike."""
    return access.access_tracked(
        actor,
        Case.objects.select_related("place", "owner_unit", "category", "item", "merged_into"),
        pk,
    )


def _code_like(q: str) -> str:
    code = q.upper().replace(" ", "")
    return code if len(code) == 10 and code.isalnum() else ""


def case_search(qs: QuerySet[Case], q: str) -> QuerySet[Case]:
    """The one text filter of staff lists: textintel's bigram full-text index (any
    two-character word, Traditional or Simplified, FTS5 / tsvector), or a tracking code."""
    q = (q or "").strip()
    if not q:
        return qs
    code = _code_like(q)
    cond = textsearch.search_q(q)
    if code:
        cond = Q(tracking_code=code) if cond is None else cond | Q(tracking_code=code)
    if cond is None:  # nothing searchable in the query (punctuation only)
        return qs.none()
    return qs.filter(cond)


# Search pages walk the id space in windows, newest first: one query per window
# asks for the cases in the actor's scope and filters among that window's
# matches (which the full-text index finds within the id range only), until the
# page is full. A common word costs about one page; a rare word has few matches
# in any window. Each window is twice as wide as the last: a few steps at most.
SEARCH_FIRST_WINDOW = 16_384


def _window_match(q: str, window: tuple[int, int], area: int | None = None):
    """The match within one id window (and one area), as a filter on Case."""
    from textintel.search import match_sql

    sql, params = match_sql(textsearch.DOC_TYPE, q, id_range=window, area=area)
    if connection.vendor == "postgresql":
        # An array computed once, then primary-key lookups: left to itself the
        # planner walks both tables' id indexes and tests every document's tsvector.
        where = f'"{Case._meta.db_table}"."id" = ANY(ARRAY({sql}))'
        return RawSQL(where, params, output_field=BooleanField())
    return Q(pk__in=RawSQL(sql, params))


def _row_match(q: str):
    """The match tested on each row found otherwise (a few: see search_page)."""
    from textintel.search import match_one_sql

    sql, params = match_one_sql(textsearch.DOC_TYPE, q, f'"{Case._meta.db_table}"."id"')
    return RawSQL(sql, params, output_field=BooleanField())


@dataclass
class SearchScope:
    """A search split by area (PostgreSQL, an actor at or below a county, see
    orgs.access.tracked_area): the index reads only the area's matches, and the
    few cases the actor sees outside the area are tested row by row."""

    area: int
    outside: QuerySet[Case]


def search_page(
    qs: QuerySet[Case],
    q: str,
    *,
    sort: str = "new",
    cursor: str = "",
    size: int | None = None,
    split: SearchScope | None = None,
) -> Page:
    """`case_search(qs, q)` paged by id ("new" or "old"), in id windows (see above).
    With `split`, the same rows: `qs` is searched within the area and
    `split.outside` (the rest of the caller's scope, same filters) row by row."""
    from textintel.search import match_sql

    size = size or PAGE_SIZE
    if match_sql(textsearch.DOC_TYPE, q) is None:
        return Page([])
    desc = sort != "old"
    try:
        after = int(cursor) if cursor else None
    except ValueError:
        after = None
    top = (qs.model._default_manager.using(qs.db).aggregate(m=Max("id"))["m"] or 0) + 1
    # [lo, hi): the ids still to search
    if desc:
        lo, hi = 1, min(after, top) if after is not None else top
    else:
        lo, hi = (after + 1 if after is not None else 1), top
    if split is not None:
        rows = _split_page(qs, q, split, lo, hi, desc, size + 1)
    else:
        rows = _windowed_page(qs, q, lo, hi, desc, size + 1)
    has_next = len(rows) > size
    rows = with_place_names(with_related(rows[:size]))
    return Page(rows, str(rows[-1].pk) if has_next and rows else "", has_next)


def _windowed_page(
    qs: QuerySet[Case], q: str, lo: int, hi: int, desc: bool, need: int
) -> list[Case]:
    """The first `need` matches in [lo, hi), window by window (see above)."""
    order = "-id" if desc else "id"
    rows: list[Case] = []
    width = SEARCH_FIRST_WINDOW
    while len(rows) < need and lo < hi:
        window = (max(lo, hi - width), hi) if desc else (lo, min(hi, lo + width))
        part = qs.filter(id__gte=window[0], id__lt=window[1]).filter(_window_match(q, window))
        rows += list(part.order_by(order)[: need - len(rows)])
        if desc:
            hi = window[0]
        else:
            lo = window[1]
        width *= 2
    return rows


def _split_page(
    qs: QuerySet[Case], q: str, split: SearchScope, lo: int, hi: int, desc: bool, need: int
) -> list[Case]:
    """The first `need` matches in [lo, hi) of a split scope: the area's matches
    in one query (the index reads only the area's), then the cases seen outside
    the area, tested row by row over the ids the page spans only (a case beyond
    the area's last row cannot enter the page)."""
    order = "-id" if desc else "id"
    found = list(
        qs.filter(id__gte=lo, id__lt=hi)
        .filter(_window_match(q, (lo, hi), split.area))
        .order_by(order)[:need]
    )
    if len(found) == need:
        edge = found[-1].pk
        lo, hi = (edge, hi) if desc else (lo, edge + 1)
    found += (
        split.outside.filter(id__gte=lo, id__lt=hi).filter(_row_match(q)).order_by(order)[:need]
    )
    unique = {c.pk: c for c in found}.values()
    return sorted(unique, key=_sort_key("new" if desc else "old"))[:need]


def due_soon_limit(today: dt.date | None = None) -> dt.date:
    return workdays.add_working_days(today or timezone.localdate(), DUE_SOON_DAYS)


# --- keyset paging ------------------------------------------------------------


@dataclass
class Page:
    rows: list[Case]
    next_cursor: str = ""
    has_next: bool = False


CURSOR_TS = "%Y%m%dT%H%M%S%f"
SORTS = {"new": "最新登记", "old": "最早登记", "deadline": "时限最近"}


def _sort_key(sort: str):
    if sort == "old":
        return lambda c: c.pk
    if sort == "collected":
        return lambda c: (-c.collected_at.timestamp(), -c.pk)
    if sort == "collected_old":
        return lambda c: (c.collected_at, c.pk)
    if sort == "deadline":
        return lambda c: (c.deadline, c.pk)
    return lambda c: -c.pk


def keyset_page(
    qs: QuerySet[Case],
    *,
    sort: str = "new",
    cursor: str = "",
    size: int | None = None,
    states: tuple[str, ...] = (),
    by_scope: bool = False,
) -> Page:
    """One page after `cursor`, ordered by `sort`; no COUNT(*).

    `states`: the page holds cases in these few states, asked one state at a time
    and merged, so each query pages along the (state, id) index; with `state IN`
    SQLite's planner walks the whole table by id instead.

    `by_scope` (a small scope with filters, PostgreSQL): the id order is asked as
    `id + 0`, which no index gives, so the rows come from the scope's and the
    filters' indexes and are sorted; otherwise the planner, taking the matches as
    spread evenly, walks the primary key through a million rows to find a few
    dozen that a county's rare filter mix leaves."""
    size = size or PAGE_SIZE
    by_id = F("id") + 0 if by_scope else F("id")
    try:
        if sort == "old":
            qs = qs.order_by(by_id.asc())
            if cursor:
                qs = qs.filter(id__gt=int(cursor))
        elif sort in ("collected", "collected_old"):
            # Date filters page on (collected_at, id): the collected_at index serves
            # both the range and the order.
            desc = sort == "collected"
            qs = qs.order_by("-collected_at", "-id") if desc else qs.order_by("collected_at", "id")
            if cursor:
                ts_s, _, id_s = cursor.rpartition("_")
                ts = dt.datetime.strptime(ts_s, CURSOR_TS).replace(tzinfo=dt.UTC)
                pk = int(id_s)
                if desc:
                    qs = qs.filter(Q(collected_at__lt=ts) | Q(collected_at=ts, id__lt=pk))
                else:
                    qs = qs.filter(Q(collected_at__gt=ts) | Q(collected_at=ts, id__gt=pk))
        elif sort == "deadline":
            qs = qs.filter(deadline__isnull=False).order_by("deadline", "id")
            if cursor:
                day_s, _, id_s = cursor.partition("_")
                day, pk = dt.date.fromisoformat(day_s), int(id_s)
                qs = qs.filter(Q(deadline__gt=day) | Q(deadline=day, id__gt=pk))
        else:
            qs = qs.order_by(by_id.desc())
            if cursor:
                qs = qs.filter(id__lt=int(cursor))
    except ValueError:
        pass  # a mangled cursor shows the first page
    if states:
        rows = [c for st in states for c in qs.filter(state=st)[: size + 1]]
        rows = sorted(rows, key=_sort_key(sort))[: size + 1]
    else:
        rows = list(qs[: size + 1])
    has_next = len(rows) > size
    rows = with_place_names(with_related(rows[:size]))
    nxt = ""
    if has_next and rows:
        last = rows[-1]
        if sort == "deadline":
            nxt = f"{last.deadline.isoformat()}_{last.pk}"
        elif sort in ("collected", "collected_old"):
            nxt = f"{last.collected_at.astimezone(dt.UTC).strftime(CURSOR_TS)}_{last.pk}"
        else:
            nxt = str(last.pk)
    return Page(rows, nxt, has_next)


LIST_RELATED = ("place", "owner_unit", "category")


def with_related(rows: list[Case]) -> list[Case]:
    """The page's places, units and categories, one `id IN (...)` query each, for
    the rows that do not have them yet (a caller may have joined them). Lists do
    not join them (the planner pages the case table by its own indexes), and
    prefetch_related builds a tuple lookup per relation whose SQL compilation cost
    more CPU than the page's queries."""
    for name in LIST_RELATED:
        field = Case._meta.get_field(name)
        ids = {getattr(c, field.attname) for c in rows if not field.is_cached(c)} - {None}
        if not ids:
            continue
        objs = field.related_model._base_manager.in_bulk(ids)
        for c in rows:
            if not field.is_cached(c):
                field.set_cached_value(c, objs.get(getattr(c, field.attname)))
    return rows


def with_place_names(rows: list[Case]) -> list[Case]:
    """Grids are named per village ("第2网格"): prefix the village, in one query per page."""
    parents = {c.place.path[: -OrgNode.steplen] for c in rows if c.place.kind == OrgNode.Kind.GRID}
    if parents:
        names = dict(OrgNode.objects.filter(path__in=parents).values_list("path", "name"))
        for c in rows:
            if c.place.kind == OrgNode.Kind.GRID:
                c._place_display = names.get(c.place.path[: -OrgNode.steplen], "") + c.place.name
    return rows


# What the list pages show of a case (cases.tables, the triage page) and page by:
# a third of the columns, so each row costs a third to load.
LIST_FIELDS = (
    "state",
    "place",
    "owner_unit",
    "deadline",
    "tracking_code",
    "kind",
    "channel",
    "title",
    "category",
    "collected_at",
    "reopen_count",
    "flagged_for_supervision",
)


def _list_qs(qs: QuerySet[Case]) -> QuerySet[Case]:
    # Related rows come in separate small queries (no joins, see with_related), so the
    # planner pages the case table by its own indexes; the text is cut to an excerpt
    # in the database.
    return qs.only(*LIST_FIELDS).annotate(excerpt=Substr("text", 1, 40))


# --- triage (the centre) ------------------------------------------------------


def triage_queue(actor: User, *, cursor: str = "", sort: str = "old") -> Page:
    """Cases waiting for the office: submitted (待受理) and accepted but not yet dispatched."""
    qs = staff_cases(actor)
    states = (State.SUBMITTED, State.ACCEPTED)
    return keyset_page(_list_qs(qs), sort=sort, cursor=cursor, states=states)


def triage_counts(actor: User) -> dict[str, int]:
    qs = staff_cases(actor).filter(state__in=[State.SUBMITTED, State.ACCEPTED])
    row = qs.aggregate(
        submitted=Count("id", filter=Q(state=State.SUBMITTED)),
        accepted=Count("id", filter=Q(state=State.ACCEPTED)),
    )
    return {k: v or 0 for k, v in row.items()}


# --- unit inbox -----------------------------------------------------------------

INBOX_TABS = {
    "todo": "待签收",
    "doing": "办理中",
    "soon": "即将到期",
    "overdue": "已超期",
}


def _inbox_base(actor: User) -> QuerySet[Case]:
    if actor.node_id is None:
        return Case.objects.none()
    # The unit's own work: owner_unit equality uses the (owner_unit, state, deadline) index.
    return staff_cases(actor).filter(owner_unit_id=actor.node_id, state__in=WORKING_STATES)


def _inbox_filter(tab: str, today: dt.date) -> Q:
    if tab == "todo":
        return Q(state=State.DISPATCHED)
    if tab == "doing":
        return Q(state__in=[State.SIGNED, State.IN_PROGRESS])
    if tab == "soon":
        return Q(deadline__gte=today, deadline__lte=due_soon_limit(today))
    if tab == "overdue":
        return Q(deadline__lt=today)
    return Q()


def inbox_counts(actor: User) -> dict[str, int]:
    today = timezone.localdate()
    row = _inbox_base(actor).aggregate(
        **{tab: Count("id", filter=_inbox_filter(tab, today)) for tab in INBOX_TABS}
    )
    return {k: row.get(k) or 0 for k in INBOX_TABS}


def inbox_page(actor: User, *, tab: str = "todo", cursor: str = "", sort: str = "deadline") -> Page:
    if tab not in INBOX_TABS:
        tab = "todo"
    qs = _inbox_base(actor).filter(_inbox_filter(tab, timezone.localdate()))
    return keyset_page(_list_qs(qs), sort=sort, cursor=cursor)


# --- the list with filters ------------------------------------------------------


@dataclass
class CaseFilters:
    state: str = ""
    category: int | None = None
    place: int | None = None
    unit: int | None = None
    channel: str = ""
    kind: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    overdue: bool = False
    flagged: bool = False
    q: str = ""
    sort: str = "new"
    extra: dict[str, Any] = field(default_factory=dict)

    def filtered(self) -> bool:
        """Any filter besides the text and the order?"""
        return any(
            (
                self.state,
                self.category,
                self.place,
                self.unit,
                self.channel,
                self.kind,
                self.date_from,
                self.date_to,
                self.overdue,
                self.flagged,
            )
        )

    @classmethod
    def from_query(cls, data) -> CaseFilters:
        def as_int(name: str) -> int | None:
            try:
                return int(data.get(name) or "")
            except ValueError:
                return None

        def as_date(name: str) -> dt.date | None:
            try:
                return dt.date.fromisoformat(data.get(name) or "")
            except ValueError:
                return None

        sort = data.get("sort") or "new"
        return cls(
            state=data.get("state", "") if data.get("state") in Case.WORKFLOW.states else "",
            category=as_int("category"),
            place=as_int("place"),
            unit=as_int("unit"),
            channel=data.get("channel", "")[:12],
            kind=data.get("kind", "")[:16],
            date_from=as_date("date_from"),
            date_to=as_date("date_to"),
            overdue=data.get("overdue") == "1",
            flagged=data.get("flagged") == "1",
            q=(data.get("q") or "")[:100],
            sort=sort if sort in SORTS else "new",
        )


def filtered_cases(actor: User, f: CaseFilters, *, arrays: bool | None = None) -> QuerySet[Case]:
    """The list's cases. `arrays`: the scope's form (access.scope_tracked
    `filtered`); by default the array form when filters or a text narrow the list,
    and for the bare list the hashed form, which tests each row of the id-order
    walk in constant time (a 600-id array is read through for each row)."""
    if arrays is None:
        arrays = f.filtered() or bool(f.q.strip())
    qs = access.scope_tracked(actor, Case.objects.all(), filtered=arrays)
    return case_search(_with_filters(actor, qs, f), f.q)


def _with_filters(actor: User, qs: QuerySet[Case], f: CaseFilters) -> QuerySet[Case]:
    """The list's filters (all but the text) on a scoped queryset."""
    # Which index serves a filter mix is left to the planner, except where SQLite's
    # statistics (averages over all values) mislead it; there the other filters are
    # compared through an expression (`+ 0`, `|| ''`) that no index serves:
    # - an open state by deadline: the (state, deadline) index holds its few
    #   thousand cases in order, where a category or channel index reads tens of
    #   thousands;
    # - a place (a town's or village's few hundred cases, by the (place, id) index),
    #   where the (state, category) index reads a closed category's 25,000.
    by_place = bool(f.place) and connection.vendor == "sqlite"
    plain = {"state"} if not by_place else set()
    if not (by_place or (f.sort == "deadline" and f.state in OPEN_STATES)):
        plain |= {"category_id", "channel"}
    for name, value in (("state", f.state), ("category_id", f.category), ("channel", f.channel)):
        if value and name in plain:
            qs = qs.filter(**{name: value})
        elif value:
            qs = qs.alias(**{f"{name}_": _unindexed(name)}).filter(**{f"{name}_": value})
    if f.place:
        node = OrgNode.objects.filter(pk=f.place).first()
        if node is None or not access.covers(actor, node):
            return qs.none()
        # The subtree's few ids, so the (place, id) index serves the filter.
        ids = list(OrgNode.objects.filter(access.subtree_q(node)).values_list("id", flat=True))
        qs = qs.filter(place_id__in=ids)
    if f.unit:
        qs = qs.filter(owner_unit_id=f.unit)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.date_from:
        start = timezone.make_aware(dt.datetime.combine(f.date_from, dt.time.min))
        qs = qs.filter(collected_at__gte=start)
    if f.date_to:
        end = timezone.make_aware(
            dt.datetime.combine(f.date_to + dt.timedelta(days=1), dt.time.min)
        )
        qs = qs.filter(collected_at__lt=end)
    if f.overdue:
        qs = qs.filter(state__in=WORKING_STATES, deadline__lt=timezone.localdate())
    if f.flagged:
        qs = qs.filter(flagged_for_supervision=True)
    return qs


def _unindexed(name: str):
    """The column as an expression no index serves (see _with_filters)."""
    if name == "category_id":
        return F(name) + 0
    return Concat(name, Value(""))


def search_scope(actor: User, f: CaseFilters) -> SearchScope | None:
    """How the list's text search reads the index for this actor: by area on
    PostgreSQL when the actor has one (SQLite's FTS5 has no area to narrow by,
    and pages its matches by id without reading the others)."""
    if connection.vendor != "postgresql":
        return None
    return split_search_scope(actor, f)


def split_search_scope(actor: User, f: CaseFilters) -> SearchScope | None:
    """The area split of the actor's scope for a search, on either database."""
    area = access.tracked_area(actor)
    if area is None:
        return None
    outside = access.scope_tracked_outside(actor, Case.objects.all(), area, filtered=True)
    if f.place:  # a place filter lies in the actor's subtree, so in the area: none outside
        outside = outside.none()
    return SearchScope(area, _list_qs(_with_filters(actor, outside, replace(f, q=""))))


def case_list_page(actor: User, f: CaseFilters, *, cursor: str = "") -> Page:
    sort = f.sort
    if (f.date_from or f.date_to) and sort in ("new", "old"):
        sort = "collected" if sort == "new" else "collected_old"
    q = f.q.strip()
    if q and sort in ("new", "old") and not _code_like(q):
        base = filtered_cases(actor, replace(f, q=""), arrays=True)
        split = search_scope(actor, f)
        return search_page(_list_qs(base), q, sort=sort, cursor=cursor, split=split)
    by_scope = connection.vendor == "postgresql" and f.filtered() and access.small_scope(actor)
    return keyset_page(
        _list_qs(filtered_cases(actor, f)), sort=sort, cursor=cursor, by_scope=by_scope
    )


# --- staff home ---------------------------------------------------------------


def home_panels(actor: User) -> list[Panel]:
    rows: list[Panel] = []
    if actor.is_superuser or actor.has_role(Role.OFFICE):
        t = triage_counts(actor)
        url = reverse("cases:triage")
        rows.append(Panel("待受理诉求", t["submitted"], url, "warn" if t["submitted"] else ""))
        rows.append(Panel("已受理待交办", t["accepted"], url))
        overdue = (
            staff_cases(actor)
            .filter(state__in=WORKING_STATES, deadline__lt=timezone.localdate())
            .count()
        )
        rows.append(
            Panel(
                "辖区超期未办结",
                overdue,
                reverse("cases:list") + "?overdue=1&sort=deadline",
                "danger" if overdue else "",
            )
        )
    if actor.has_role(Role.UNIT_HANDLER, Role.UNIT_HEAD):
        c = inbox_counts(actor)
        url = reverse("cases:inbox")
        rows.append(Panel("待签收", c["todo"], f"{url}?tab=todo", "warn" if c["todo"] else ""))
        rows.append(Panel("办理中", c["doing"], f"{url}?tab=doing"))
        rows.append(Panel("即将到期", c["soon"], f"{url}?tab=soon", "warn" if c["soon"] else ""))
        rows.append(
            Panel("已超期", c["overdue"], f"{url}?tab=overdue", "danger" if c["overdue"] else "")
        )
    return rows


# --- units a dispatcher may choose ----------------------------------------------


def dispatch_units(actor: User) -> list[tuple[int, str, str]]:
    """(id, kind, name) of the units the actor may dispatch to, in tree order: a
    county's few hundred, for a picker (no model instances)."""
    kinds = (OrgNode.Kind.DEPARTMENT, OrgNode.Kind.TOWN, OrgNode.Kind.VILLAGE)
    nodes = access.visible_nodes(actor).filter(kind__in=kinds).order_by("path")
    return list(nodes.values_list("pk", "kind", "name"))
