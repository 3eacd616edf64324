"""Wiring supervision's hooks (see hooks.py) to the real kinds: cases and commitments.

Supervision sits to the right of both apps, so it may import them; they need not
know it. Each app may set the same keys in its TrackedKind.extra instead; those
win. Every import is guarded so supervision also runs without either app.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from core.errors import WorkflowError
from tracking.services import item_transition


def _reopen_by(*names: str, data: dict | None = None, as_system: bool = False):
    """A reopen callable: the first of the kind's transitions named `names` that the
    item's state allows, taken by the actor (or by the system when the workflow
    reserves it for the system, with the actor named in the note)."""

    def reopen(*, actor, item, note: str):
        wf = type(item).WORKFLOW
        for name in names:
            t = wf.transitions.get(name)
            if t is None or item.state not in t.sources:
                continue
            who = None if (as_system or t.system and not t.roles) else actor
            text = note if who is actor else f"{note}（{actor.full_name or actor.username}）"
            return item_transition(
                actor=who, item=item, name=name, note=text, data={**(data or {}), "reason": note}
            )
        raise WorkflowError(
            f"事项当前为“{item.state_label}”，其办理流程没有可重新办理的环节，请联系办公室处理"
        )

    return reopen


def _case_hooks(hooks) -> None:
    try:
        from cases.models import Case, CaseContact
    except ImportError:
        return

    def contacts(items) -> dict:
        ids = [c.pk for c in items]
        return {
            c.case_id: {"name": c.name, "phone": c.phone}
            for c in CaseContact.objects.filter(case_id__in=ids).exclude(phone="")
        }

    hooks.register(
        Case._meta.label_lower,
        contacts=contacts,
        return_visits=True,
        title=lambda c: c.display_title,
        detail_url=lambda c: reverse("cases:detail", args=[c.pk]),
        # "supervision_reopen" if the cases workflow offers one to inspectors; else its
        # resident-rating reopen (a system transition from 已评价).
        reopen=_reopen_by("supervision_reopen", "reopen"),
        flagged_q=Q(flagged_for_supervision=True),
    )


def _commitment_hooks(hooks) -> None:
    try:
        from commitments.models import Commitment, ProgressReport
    except ImportError:
        return

    def missing_report_q(today) -> Q:
        missing = ProgressReport.objects.filter(commitment=OuterRef("pk"), status="missing")
        return Q(Exists(missing))

    hooks.register(
        Commitment._meta.label_lower,
        missing_report_q=missing_report_q,
        scope_field="programme",
        detail_url=lambda c: reverse("commitments:detail", args=[c.pk]),
        # Work claimed complete goes back through the acceptance "reject" step.
        reopen=_reopen_by("supervision_reopen", "reject"),
    )


def wire() -> None:
    """Called from SupervisionConfig.ready()."""
    from . import hooks

    _case_hooks(hooks)
    _commitment_hooks(hooks)
