"""Org nodes the actor can see (orgs.access.visible_nodes): the tree, not its people."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema
from pydantic import Field

from orgs import access
from orgs.models import OrgNode

from ..auth import actor_of
from ..schemas import Id, Me, Node, NodeRef, Text
from .common import READ_ERRORS, PagingQuery, page

router = Router(tags=["组织架构"])


class NodePage(Schema):
    count: int
    items: list[Node]


class NodeFilters(Schema):
    parent: Id | None = Field(None, description="只列出该节点的直接下级")
    kind: OrgNode.Kind | None = Field(None, description="层级类型")
    q: Annotated[Text, Field(max_length=50)] | None = Field(None, description="名称或编码包含")


def node_rows(nodes: list[OrgNode]) -> list[dict]:
    """Nodes with their parent ids, in one query for the page (treebeard keeps no parent FK)."""
    parent_paths = {n.path[: -OrgNode.steplen] for n in nodes if n.depth > 1}
    parents = dict(OrgNode.objects.filter(path__in=parent_paths).values_list("path", "id"))
    return [
        {
            "id": n.pk,
            "code": n.code,
            "name": n.name,
            "kind": n.kind,
            "kind_label": n.get_kind_display(),
            "depth": n.depth,
            "parent_id": parents.get(n.path[: -OrgNode.steplen]) if n.depth > 1 else None,
            "is_unit": n.is_unit,
        }
        for n in nodes
    ]


@router.get("/me", response={200: Me, **READ_ERRORS}, summary="当前调用者")
def me(request: HttpRequest):
    principal = request.auth
    actor = principal.actor
    node = actor.node
    return {
        "username": actor.username,
        "name": str(actor),
        "node": {"id": node.pk, "code": node.code, "name": node.name} if node else None,
        "roles": sorted(actor.role_codes),
        "via": "api_key" if principal.key else "session",
        "key_scope": principal.key.scope if principal.key else None,
    }


@router.get("/nodes", response={200: NodePage, **READ_ERRORS}, summary="组织节点列表")
def node_list(request: HttpRequest, paging: PagingQuery, filters: Query[NodeFilters]):
    actor = actor_of(request)
    access.require_staff(actor)
    qs = access.visible_nodes(actor)
    if filters.parent is not None:
        parent = access.access_node(actor, filters.parent)
        qs = qs.filter(access.subtree_q(parent), depth=parent.depth + 1)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.q:
        from django.db.models import Q

        qs = qs.filter(Q(name__icontains=filters.q) | Q(code__icontains=filters.q))
    total, rows = page(qs.order_by("path"), paging)
    return {"count": total, "items": node_rows(rows)}


@router.get("/nodes/{node_id}", response={200: Node, **READ_ERRORS}, summary="组织节点")
def node_detail(request: HttpRequest, node_id: Annotated[Id, Path()]):
    actor = actor_of(request)
    access.require_staff(actor)
    return node_rows([access.access_node(actor, node_id)])[0]


__all__ = ["router", "node_rows", "NodeRef"]
