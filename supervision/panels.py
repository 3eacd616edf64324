"""Staff home tiles: notices to answer, lagging items, referrals to read."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse

from core.panels import Panel
from orgs.models import Role
from tracking import registry
from tracking.models import SupervisionStatus

from .models import Notice


def supervision_panels(actor) -> list[Panel]:
    from orgs import access

    from . import selectors

    out: list[Panel] = []
    if actor.has_role(Role.UNIT_HANDLER, Role.UNIT_HEAD):
        n = selectors.notices_for(actor).filter(status=Notice.Status.OPEN).count()
        out.append(Panel("待答复督办单", n, reverse("supervision:notices"), "danger" if n else ""))
    if actor.has_role(Role.OFFICE, Role.INSPECTOR) or actor.is_superuser:
        overdue = at_risk = 0
        for kind in registry.kinds():
            qs = access.scope_tracked(actor, kind.model.objects.filter(state__in=kind.open_states))
            counts = qs.aggregate(
                overdue=Count("pk", filter=Q(supervision_status=SupervisionStatus.OVERDUE)),
                at_risk=Count("pk", filter=Q(supervision_status=SupervisionStatus.AT_RISK)),
            )
            overdue += counts["overdue"]
            at_risk += counts["at_risk"]
        url = reverse("supervision:board")
        out.append(Panel("超期事项", overdue, url + "?status=overdue", "danger" if overdue else ""))
        out.append(Panel("预警事项", at_risk, url + "?status=at_risk", "warn" if at_risk else ""))
    if actor.has_role(Role.DISCIPLINE):
        out.append(
            Panel(
                "移送纪委事项",
                selectors.referrals_for(actor).count(),
                reverse("supervision:referrals"),
            )
        )
    return out
