"""The access module: what an actor may see and do. Every staff query goes through here.

Rules (DESIGN §1): a staff user sees the data of their node's subtree, plus what is
assigned to their unit. Not seeing an object and the object not existing look the
same to the caller (NotFound), so ids cannot be probed.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, TypeVar

from django.db import connections
from django.db.models import Exists, Field, ForeignObject, Lookup, Model, OuterRef, Q, QuerySet

from core.errors import NotFound, PermissionDenied

from .models import OrgNode, Role, User, subtree_upper

M = TypeVar("M", bound=Model)


@ForeignObject.register_lookup
@Field.register_lookup
class InArray(Lookup):
    """`col = ANY(ARRAY(subquery))` on PostgreSQL, `col IN (subquery)` elsewhere.

    PostgreSQL estimates a hashed `IN (subquery)` inside an OR badly (one subtree
    node) and then walks the primary key of a million cases for a rare filter; the
    array form is an index condition, so a scope OR becomes a BitmapOr of the
    place, owner-unit and id indexes and the filters' own indexes join in."""

    lookup_name = "in_array"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)
        return f"{lhs} IN {rhs}", (*lhs_params, *rhs_params)


# Up to this many nodes the array form pays (a county: ~600); above it (a province's
# whole tree) `= ANY` over a long array costs more per row than the hashed subplan.
ARRAY_SCOPE_MAX_NODES = 5_000


@lru_cache(maxsize=4096)
def _small_subtree(path: str) -> bool:
    """A planning hint only (a stale answer picks a slower plan, never other rows)."""
    upper = subtree_upper(path)
    count = OrgNode.objects.filter(path__gte=path, path__lt=upper)[
        : ARRAY_SCOPE_MAX_NODES + 1
    ].count()
    return count <= ARRAY_SCOPE_MAX_NODES


def small_scope(actor: User) -> bool:
    """Does scope_tracked(filtered=True) give the actor's scope as arrays (a small
    subtree, on PostgreSQL)? Its rows are then few enough to read by the scope's
    own indexes (a planning hint for callers, never other rows)."""
    if sees_everything(actor) or actor.node_id is None:
        return False
    return _small_subtree(actor.node.path)


def subtree_q(node: OrgNode, field: str = "") -> Q:
    """Q for rows whose `field` (an OrgNode FK; "" for OrgNode itself) lies in node's subtree."""
    prefix = f"{field}__path" if field else "path"
    return Q(**{f"{prefix}__gte": node.path, f"{prefix}__lt": subtree_upper(node.path)})


def sees_everything(actor: User) -> bool:
    return actor.is_superuser


def covers(actor: User, node: OrgNode | None) -> bool:
    """Is `node` inside the actor's subtree?"""
    if node is None:
        return False
    if sees_everything(actor):
        return True
    if actor.node_id is None:
        return False
    return node.path.startswith(actor.node.path)


def visible_nodes(actor: User) -> QuerySet[OrgNode]:
    if sees_everything(actor):
        return OrgNode.objects.all()
    if actor.node_id is None:
        return OrgNode.objects.none()
    return OrgNode.objects.filter(subtree_q(actor.node))


def access_node(actor: User, node_id) -> OrgNode:
    try:
        node = OrgNode.objects.get(pk=node_id)
    except (OrgNode.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if not covers(actor, node):
        raise NotFound()
    return node


def require_role(actor: User, *roles: str) -> None:
    if sees_everything(actor) or actor.has_role(*roles):
        return
    raise PermissionDenied()


def require_staff(actor: User | None) -> User:
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied("请先登录")
    if actor.node_id is None and not actor.is_superuser:
        raise PermissionDenied("您的账号尚未分配所属组织，请联系系统管理员")
    return actor


# --- tracked items (cases, commitments: anything on the tracking kernel) --------


def scope_tracked(actor: User, queryset: QuerySet[M], *, filtered: bool = False) -> QuerySet[M]:
    """Limit tracked items to those the actor may see.

    `filtered`: the caller adds filters of its own (office lists). On PostgreSQL a
    small subtree is then given as arrays, so the planner joins the scope's and the
    filters' indexes instead of walking the primary key for a rare filter. Queues
    (triage, inbox) keep the default form, which their state indexes serve better.

    Seen: items placed in the actor's subtree, owned by a unit in it, or with the
    actor's unit among the co-units. Extra grants (inspection groups) come from
    `extra_grants`, which later apps extend.
    """
    require_staff(actor)
    if sees_everything(actor):
        return queryset
    return queryset.filter(_scope_condition(actor, queryset, filtered=filtered, by_place=True))


def _scope_condition(actor: User, queryset: QuerySet, *, filtered: bool, by_place: bool) -> Q:
    """scope_tracked's condition; without `by_place`, every way of seeing an item
    except its place lying in the actor's subtree."""
    node = actor.node
    co_through = queryset.model.co_units.through
    co_field = f"{queryset.model._meta.model_name}_id"
    # IN (subtree ids) rather than joins on the path: the item table stays the only
    # table in FROM, so its own indexes drive filters, ordering and keyset paging.
    subtree_ids = OrgNode.objects.filter(subtree_q(node)).values("id")
    vendor = connections[queryset.db].vendor
    if filtered and vendor == "postgresql" and _small_subtree(node.path):
        co_ids = co_through.objects.filter(orgnode_id=node.pk).values(co_field)
        place = Q(place_id__in_array=subtree_ids)
        condition = Q(owner_unit_id__in_array=subtree_ids) | Q(pk__in_array=co_ids)
    else:
        place = Q(place_id__in=subtree_ids)
        condition = Q(owner_unit_id__in=subtree_ids) | Exists(
            co_through.objects.filter(**{co_field: OuterRef("pk")}, orgnode_id=node.pk)
        )
    if by_place:
        condition = place | condition
    for grant in _extra_grants:
        extra = grant(actor, queryset.model)
        if extra is not None:
            condition |= extra
    return condition


# --- search areas -------------------------------------------------------------------
# A search index may keep beside each item the "area" of its place: the id of the
# topmost county among the place and its ancestors (None above or outside counties).
# Everything an actor at or below a county sees *by place* lies in the actor's own
# area, so a search reads that area's part of the index alone, and adds the items
# the actor sees otherwise (`scope_tracked_outside`): together, exactly scope_tracked.


def _area_node(path: str) -> OrgNode | None:
    """The node heading the area of the node at `path` (itself or an ancestor, the
    topmost county)."""
    step = OrgNode.steplen
    prefixes = [path[:i] for i in range(step, len(path) + 1, step)]
    return (
        OrgNode.objects.filter(path__in=prefixes, kind=OrgNode.Kind.COUNTY).order_by("path").first()
    )


def area_of_path(path: str) -> int | None:
    """The area of the node at `path` (itself or an ancestor, the topmost county)."""
    head = _area_node(path)
    return head.pk if head else None


def topmost_at(path: str, by_path: dict[str, Any]) -> Any:
    """The value of the topmost of `path` and its ancestors found in `by_path` (e.g.
    the counties by path: the node's area), in memory; None if none is."""
    step = OrgNode.steplen
    for i in range(step, len(path) + 1, step):
        if path[:i] in by_path:
            return by_path[path[:i]]
    return None


def node_areas() -> dict[int, int]:
    """node id -> area id for every node in an area (bulk indexing), in one read
    of the tree."""
    nodes = list(OrgNode.objects.values_list("id", "path", "kind"))
    counties = {path: pk for pk, path, kind in nodes if kind == OrgNode.Kind.COUNTY}
    areas = {pk: topmost_at(path, counties) for pk, path, _ in nodes}
    return {pk: area for pk, area in areas.items() if area is not None}


def _area_actor(actor: User) -> bool:
    require_staff(actor)
    return not (sees_everything(actor) or actor.node_id is None)


def tracked_area(actor: User) -> int | None:
    """The area that holds every item placed in the actor's subtree; None when the
    actor sees everything or sits above the counties (read fresh: a tree edit moves
    nodes between areas)."""
    return area_of_path(actor.node.path) if _area_actor(actor) else None


AREA_HEAD_TTL = 60.0  # seconds; a tree edit in this process forgets at once
_area_heads: dict[str, tuple[float, OrgNode | None]] = {}


def forget_area_heads(**kwargs) -> None:
    _area_heads.clear()


def area_head(actor: User) -> tuple[OrgNode, bool] | None:
    """The node heading the actor's area (tracked_area), and whether the actor sees
    every item placed under it (its own node is the head); None when the actor has
    no area (sees everything, or sits above the counties).

    Kept a minute per node path (a suggestion asks it each time): when the actor
    heads the area the node returned is the actor's own, read with the actor, and
    "by place under it" is exactly the actor's scope; otherwise a stale head only
    widens or narrows what is looked at, and scope_tracked_placed_in still applies
    the actor's full scope."""
    if not _area_actor(actor):
        return None
    path = actor.node.path
    made, head = _area_heads.get(path, (0.0, None))
    if not made or time.monotonic() - made > AREA_HEAD_TTL:
        head = _area_node(path)
        _area_heads[path] = (time.monotonic(), head)
    if head is None:
        return None
    if head.pk == actor.node_id:
        return actor.node, True
    return head, False


def scope_tracked_placed_in(
    actor: User, queryset: QuerySet[M], area: tuple[OrgNode, bool]
) -> QuerySet[M]:
    """The items placed in the actor's area (`area` from area_head) that the actor
    may see: for the head's own staff all of them, by their place alone; for anyone
    else through the full scope. For a few items given by id (suggested duplicates):
    the place's path is compared on each item's joined row, not the area's nodes
    listed by a subquery."""
    head, whole = area
    queryset = queryset.filter(subtree_q(head, "place"))
    return queryset if whole else scope_tracked(actor, queryset)


def scope_tracked_outside(
    actor: User, queryset: QuerySet[M], area: int, *, filtered: bool = False
) -> QuerySet[M]:
    """The items the actor may see whose place lies outside `area` (the actor's
    tracked_area): seen through their owner unit, co-units or extra grants. With
    the items placed in the area, exactly scope_tracked(actor, queryset)."""
    require_staff(actor)
    area_node = OrgNode.objects.get(pk=area)
    if not actor.node.path.startswith(area_node.path):
        raise ValueError("scope_tracked_outside: not the actor's area")
    in_area = OrgNode.objects.filter(subtree_q(area_node)).values("id")
    condition = _scope_condition(actor, queryset, filtered=filtered, by_place=False)
    return queryset.filter(condition).exclude(place_id__in=in_area)


def access_tracked(actor: User, queryset: QuerySet[M], pk) -> M:
    """The one gatekeeper for reading a tracked item by id."""
    try:
        return scope_tracked(actor, queryset).get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def can_see_tracked(actor: User, item) -> bool:
    if sees_everything(actor):
        return True
    if covers(actor, item.place) or covers(actor, item.owner_unit):
        return True
    if item.pk and item.co_units.filter(pk=actor.node_id).exists():
        return True
    return any(g_obj(actor, item) for g_obj in _extra_object_grants)


def actor_relation_ok(actor: User, item, relation: str) -> bool:
    """Does the actor stand in `relation` to the item?

    place: the item's place is in the actor's subtree (offices, towns, villages)
    owner: the item's owner unit is in the actor's subtree (the responsible unit)
    visible: any relation that lets the actor see the item
    """
    if sees_everything(actor):
        return True
    if relation == "place":
        return covers(actor, item.place)
    if relation == "owner":
        return covers(actor, item.owner_unit)
    if relation == "visible":
        return can_see_tracked(actor, item)
    raise ValueError(f"unknown relation {relation}")


# Later apps (supervision: inspection groups) add grants without this module knowing them.
_extra_grants: list = []
_extra_object_grants: list = []


def register_grant(queryset_grant, object_grant) -> None:
    """queryset_grant(actor, model) -> Q | None; object_grant(actor, item) -> bool."""
    _extra_grants.append(queryset_grant)
    _extra_object_grants.append(object_grant)


def staff_of(nodes: Iterable[OrgNode], *roles: str) -> QuerySet[User]:
    qs = User.objects.filter(node__in=list(nodes), is_active=True, is_service_account=False)
    if roles:
        qs = qs.filter(roles__code__in=roles).distinct()
    return qs


__all__ = [
    "Role",
    "subtree_q",
    "covers",
    "visible_nodes",
    "access_node",
    "require_role",
    "require_staff",
    "scope_tracked",
    "scope_tracked_outside",
    "tracked_area",
    "access_tracked",
    "can_see_tracked",
    "actor_relation_ok",
    "area_head",
    "topmost_at",
    "register_grant",
    "scope_tracked_placed_in",
    "staff_of",
]
