"""Staff home tiles: reports to file or approve, completions to accept."""

from __future__ import annotations

from django.urls import reverse

from core.panels import Panel
from orgs import access
from orgs.models import Role, User

from .models import Commitment, ReportStatus
from .services import reports_scope


def pending_work(actor: User) -> list[Panel]:
    if actor.node_id is None and not actor.is_superuser:
        return []
    out: list[Panel] = []
    due_url = reverse("commitments:reports-due")
    if actor.has_role(Role.UNIT_HANDLER, Role.UNIT_HEAD):
        own = reports_scope(actor)
        if not access.sees_everything(actor):
            own = own.filter(access.subtree_q(actor.node, "unit"))
        own = own.exclude(commitment__state__in=["draft", "accepted", "closed"])
        due = own.filter(status=ReportStatus.DUE).count()
        missing = own.filter(status=ReportStatus.MISSING).count()
        out.append(Panel("待报送进度", due, due_url, "warn" if due else ""))
        if missing:
            out.append(Panel("缺报待补报", missing, due_url, "danger"))
        if actor.has_role(Role.UNIT_HEAD):
            waiting = own.filter(status__in=[ReportStatus.SUBMITTED, ReportStatus.LATE]).count()
            out.append(Panel("报送待审核", waiting, due_url, "warn" if waiting else ""))
    if actor.has_role(Role.OFFICE, Role.INSPECTOR) or actor.is_superuser:
        n = (
            access.scope_tracked(actor, Commitment.objects.filter(state="completed"))
            .exclude(claimed_by=actor)
            .count()
        )
        url = reverse("commitments:items") + "?state=completed"
        out.append(Panel("项目待验收", n, url, "warn" if n else ""))
    return out
