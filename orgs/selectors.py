from __future__ import annotations

from django.db.models import QuerySet

from .models import OrgNode, User


def node_children(node: OrgNode) -> QuerySet[OrgNode]:
    return OrgNode.objects.filter(path__startswith=node.path, depth=node.depth + 1).order_by("path")


def node_staff(node: OrgNode) -> QuerySet[User]:
    return (
        User.objects.filter(node=node, is_active=True)
        .prefetch_related("roles")
        .order_by("username")
    )


def node_breadcrumb(actor: User, node: OrgNode) -> list[OrgNode]:
    """Ancestors the actor may open, then the node itself."""
    chain = [*OrgNode.objects.get_ancestors(node), node]
    if actor.is_superuser or actor.node_id is None:
        return chain
    return [n for n in chain if n.path.startswith(actor.node.path)]
