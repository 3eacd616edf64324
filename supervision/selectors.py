"""Supervision's shared reads: the board, notices, referrals, groups, call lists.

All go through orgs.access (or, for referrals, the discipline role's jurisdiction).
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from core.errors import PermissionDenied
from core.masking import mask_name, mask_phone
from orgs import access
from orgs.models import OrgNode, Role, User
from tracking import registry
from tracking.models import EscalationLevel, SupervisionStatus
from tracking.registry import TrackedKind

from . import hooks
from .models import InspectionGroup, Notice, Referral, ReturnVisit

# --- inspection groups widen what their members see (orgs.access.register_grant) ----------


def group_nodes(actor: User) -> list[OrgNode]:
    """The units and towns of the actor's active inspection groups (inspectors only)."""
    if not actor.is_authenticated or not actor.has_role(Role.INSPECTOR):
        return []
    return list(
        OrgNode.objects.filter(
            inspection_groups__members=actor, inspection_groups__is_active=True
        ).distinct()
    )


def grant_queryset(actor: User, model) -> Q | None:
    nodes = group_nodes(actor)
    if not nodes:
        return None
    q = Q()
    for node in nodes:
        q |= access.subtree_q(node, "place") | access.subtree_q(node, "owner_unit")
    return q


def grant_object(actor: User, item) -> bool:
    for node in group_nodes(actor):
        for target in (item.place, item.owner_unit):
            if target is not None and target.path.startswith(node.path):
                return True
    return False


def _nodes_q(actor: User, field: str) -> Q | None:
    """Rows whose `field` node lies in the actor's subtree or their groups' nodes."""
    if access.sees_everything(actor):
        return Q()
    parts = [actor.node, *group_nodes(actor)] if actor.node_id else group_nodes(actor)
    if not parts:
        return None
    q = Q()
    for node in parts:
        q |= access.subtree_q(node, field)
    return q


# --- board -------------------------------------------------------------------------------


def board(actor: User) -> dict:
    """Counts by status and rung per kind, and the units ranked by how far they lag."""
    access.require_staff(actor)
    access.require_role(actor, Role.OFFICE, Role.INSPECTOR)
    kinds_out = []
    units: dict[int | None, dict] = defaultdict(
        lambda: {"open": 0, "at_risk": 0, "overdue": 0, "escalated": 0, "top": 0}
    )
    totals = {"open": 0, **{s: 0 for s in SupervisionStatus.values}}
    levels_total = {lv: 0 for lv in EscalationLevel.values}
    for kind in registry.kinds():
        qs = access.scope_tracked(actor, kind.model.objects.filter(state__in=kind.open_states))
        by_status = dict(qs.values_list("supervision_status").annotate(n=Count("pk")).order_by())
        by_level = dict(qs.values_list("escalation_level").annotate(n=Count("pk")).order_by())
        for row in (
            qs.values("owner_unit_id")
            .annotate(
                open=Count("pk"),
                at_risk=Count("pk", filter=Q(supervision_status=SupervisionStatus.AT_RISK)),
                overdue=Count("pk", filter=Q(supervision_status=SupervisionStatus.OVERDUE)),
                escalated=Count("pk", filter=Q(escalation_level__gte=EscalationLevel.NOTICE)),
            )
            .order_by()
        ):
            u = units[row["owner_unit_id"]]
            for key in ("open", "at_risk", "overdue", "escalated"):
                u[key] += row[key]
        for lv in EscalationLevel.values:
            levels_total[lv] += by_level.get(lv, 0)
        for s in SupervisionStatus.values:
            totals[s] += by_status.get(s, 0)
        totals["open"] += sum(by_status.values())
        kinds_out.append(
            {
                "key": hooks.key(kind),
                "label": kind.label,
                "open": sum(by_status.values()),
                "status": [
                    (s, label, by_status.get(s, 0)) for s, label in SupervisionStatus.choices
                ],
                "levels": [
                    (lv, label, by_level.get(lv, 0)) for lv, label in EscalationLevel.choices
                ],
            }
        )
    # Items their own app hands to supervision (e.g. a case rated unsatisfied twice).
    flagged = []
    for kind in registry.kinds():
        q = hooks.get(kind, "flagged_q")
        if q is not None:
            n = access.scope_tracked(actor, kind.model.objects.filter(q)).count()
            flagged.append((kind.label, n))
    names = dict(OrgNode.objects.filter(pk__in=[u for u in units if u]).values_list("pk", "name"))
    ranked = [
        {"unit_id": uid, "name": names.get(uid, "未交办"), **row}
        for uid, row in units.items()
        if row["at_risk"] or row["overdue"] or row["escalated"]
    ]
    ranked.sort(key=lambda r: (-r["overdue"], -r["escalated"], -r["at_risk"], r["name"]))
    return {
        "kinds": kinds_out,
        "totals": totals,
        "levels": [(lv, label, levels_total[lv]) for lv, label in EscalationLevel.choices],
        "units": ranked,
        "flagged": flagged,
    }


def items_on_board(
    actor: User, *, status: str = "", level: str = "", unit: str = "", limit: int = 100
) -> list[dict]:
    """The open items behind a count, worst first (for the board's drill-down)."""
    access.require_role(actor, Role.OFFICE, Role.INSPECTOR)
    rows: list[dict] = []
    for kind in registry.kinds():
        qs = access.scope_tracked(actor, kind.model.objects.filter(state__in=kind.open_states))
        if status in SupervisionStatus.values:
            qs = qs.filter(supervision_status=status)
        if level.isdigit():
            qs = qs.filter(escalation_level=int(level))
        if not status and not level.isdigit():
            qs = qs.filter(Q(escalation_level__gt=0) | ~Q(supervision_status="on_track"))
        if unit.isdigit():
            qs = qs.filter(owner_unit_id=int(unit))
        for item in qs.select_related("owner_unit").order_by("-escalation_level", "deadline", "pk")[
            :limit
        ]:
            rows.append(item_row(kind, item))
    rows.sort(key=lambda r: (-r["item"].escalation_level, r["item"].deadline or r["far"]))
    return rows[:limit]


def item_row(kind: TrackedKind, item) -> dict:
    import datetime as dt

    return {
        "kind": kind,
        "key": hooks.key(kind),
        "item": item,
        "title": hooks.title(kind, item),
        "far": dt.date.max,
    }


def item_records(kind: TrackedKind, item) -> dict:
    ct = ContentType.objects.get_for_model(kind.model)
    from .models import BriefingListing, SpotCheckItem

    return {
        "notices": Notice.objects.filter(item_type=ct, item_id=item.pk).select_related("unit"),
        "listings": BriefingListing.objects.filter(item_type=ct, item_id=item.pk),
        "checks": SpotCheckItem.objects.filter(item_type=ct, item_id=item.pk),
        "visits": ReturnVisit.objects.filter(item_type=ct, item_id=item.pk),
        "referred": Referral.objects.filter(item_type=ct, item_id=item.pk).exists(),
    }


# --- notices -----------------------------------------------------------------------------


def notices_for(actor: User) -> QuerySet[Notice]:
    """Notices of units in the actor's subtree (a unit: its own), or its groups' units."""
    access.require_staff(actor)
    access.require_role(actor, Role.UNIT_HANDLER, Role.UNIT_HEAD, Role.OFFICE, Role.INSPECTOR)
    q = _nodes_q(actor, "unit")
    if q is None:
        return Notice.objects.none()
    return Notice.objects.filter(q).select_related("unit", "item_type", "answered_by")


# --- referrals: discipline inspection only -------------------------------------------------


def jurisdiction(actor: User) -> OrgNode | None:
    """A discipline commission hangs under its county as a department: it oversees the county."""
    node = actor.node
    if node is None:
        return None
    if node.kind == OrgNode.Kind.DEPARTMENT:
        parent = OrgNode.objects.filter(path=node.path[: -OrgNode.steplen]).first()
        return parent or node
    return node


def referrals_for(actor: User) -> QuerySet[Referral]:
    access.require_staff(actor)
    if not actor.has_role(Role.DISCIPLINE):
        raise PermissionDenied("移送纪委材料仅限纪委查阅")
    node = jurisdiction(actor)
    if node is None:
        return Referral.objects.none()
    return Referral.objects.filter(
        Q(unit__isnull=True) | access.subtree_q(node, "unit")
    ).select_related("unit", "item_type")


# --- groups ---------------------------------------------------------------------------------


def groups_for(actor: User) -> QuerySet[InspectionGroup]:
    """Members see their groups; the office (in its subtree) and administrators see all."""
    access.require_staff(actor)
    if access.sees_everything(actor) or (
        actor.has_role(Role.OFFICE) and actor.node.kind in ("county", "city", "province")
    ):
        return InspectionGroup.objects.all()
    return InspectionGroup.objects.filter(members=actor)


def spot_check_population(group: InspectionGroup) -> dict[str, list[list]]:
    """{node id: [[kind key, pk], ...]}: finished items owned by each of the group's units.

    Only kinds that can be reopened are drawn: a failed check must send the work back."""
    out: dict[str, list[list]] = {}
    for node in group.nodes.all():
        pop: list[list] = []
        for kind in registry.kinds():
            if hooks.get(kind, "reopen") is None:
                continue
            pks = kind.model.objects.filter(
                access.subtree_q(node, "owner_unit"), state__in=kind.finished_states
            ).values_list("pk", flat=True)
            pop.extend([hooks.key(kind), pk] for pk in pks)
        out[str(node.pk)] = sorted(pop)
    return out


def call_list(actor: User, group: InspectionGroup | None = None, limit: int = 50) -> list[dict]:
    """Requesters of finished items to call back (回访), not yet visited, masked contacts."""
    rows: list[dict] = []
    for kind in registry.kinds():
        contacts = hooks.get(kind, "contacts")
        if not hooks.get(kind, "return_visits") or contacts is None:
            continue
        ct = ContentType.objects.get_for_model(kind.model)
        visited = ReturnVisit.objects.filter(item_type=ct, item_id=OuterRef("pk"))
        qs = access.scope_tracked(
            actor, kind.model.objects.filter(state__in=kind.finished_states)
        ).filter(~Exists(visited))
        if group is not None:
            q = Q()
            for node in group.nodes.all():
                q |= access.subtree_q(node, "place") | access.subtree_q(node, "owner_unit")
            qs = qs.filter(q)
        items = list(qs.select_related("owner_unit").order_by("-state_changed_at")[:limit])
        found = contacts(items)
        for item in items:
            c = found.get(item.pk)
            if not c:
                continue
            rows.append(
                {
                    **item_row(kind, item),
                    "name": mask_name(c.get("name", "")),
                    "phone": mask_phone(c.get("phone", "")),
                }
            )
    return rows[:limit]


def under_supervision_q() -> Q:
    """Items publicly marked 督办中 (rung 4 媒体曝光 and up), for the public board."""
    return Q(escalation_level__gte=EscalationLevel.MEDIA)
