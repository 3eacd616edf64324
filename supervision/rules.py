"""The status rule and the ladder's triggers, as set-based queries over any tracked kind.

Every function here builds Q objects or reads columns in bulk: nothing loops over
items issuing a query each. Working days come from tracking.workdays.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from tracking import workdays
from tracking.models import SupervisionStatus as S
from tracking.registry import TrackedKind

from . import hooks
from .models import LadderPolicy, Notice, Trigger


def overdue_cutoff(today: dt.date, n: int) -> dt.date:
    """The latest deadline that is at least n (>= 1) working days overdue on `today`."""
    n = max(n, 1)
    day, count = today, 0
    while True:
        if workdays.is_workday(day):
            count += 1
            if count == n:
                return day - dt.timedelta(days=1)
        day -= dt.timedelta(days=1)


def overdue_workdays(deadline: dt.date | None, today: dt.date) -> int:
    if deadline is None or deadline >= today:
        return 0
    return max(workdays.working_days_between(deadline, today), 0)


# --- policies -----------------------------------------------------------------


def load_policies() -> list[LadderPolicy]:
    return list(LadderPolicy.objects.all())


def policy_for_key(policies: list[LadderPolicy], key: str) -> LadderPolicy | None:
    return next((p for p in policies if p.scope_key == key), None)


def partitions(kind: TrackedKind, policies: list[LadderPolicy]) -> list[tuple[LadderPolicy, Q]]:
    """Split a kind's items by the policy that governs them: [(policy, Q)].

    Per-programme policies ("label:field=value") first, then the rest under the
    kind's own policy, else the global one, else the built-in defaults.
    """
    label = hooks.key(kind)
    base = policy_for_key(policies, label) or policy_for_key(policies, "") or LadderPolicy()
    out: list[tuple[LadderPolicy, Q]] = []
    rest = Q()
    by_field: dict[str, list[str]] = {}
    for p in policies:
        if not p.scope_key.startswith(label + ":"):
            continue
        field, _, value = p.scope_key[len(label) + 1 :].partition("=")
        if not field or not value:
            continue
        out.append((p, Q(**{field: value})))
        by_field.setdefault(field, []).append(value)
    for field, values in by_field.items():
        rest &= ~Q(**{f"{field}__in": values})
    out.append((base, rest))
    return out


def policy_for_item(kind: TrackedKind, item) -> LadderPolicy:
    policies = load_policies()
    for policy, q in partitions(kind, policies):
        if type(item).objects.filter(q, pk=item.pk).exists():
            return policy
    return LadderPolicy()


# --- status ---------------------------------------------------------------------


@dataclass
class StatusRule:
    """The Qs that decide an open item's status under one policy, on one day."""

    overdue: Q
    at_risk: Q  # besides overdue
    behind_in_python: bool  # progress kinds without their own behind_schedule_q
    gap: int
    start_field: str
    progress_field: str | None
    # The deadline thresholds behind `overdue` and the due-soon part of `at_risk`.
    cutoff: dt.date
    soon: dt.date
    # True when the status also moves without a deadline crossing a threshold or the
    # row changing (missing reports, progress behind the elapsed time).
    time_driven: bool = False


def status_rule(kind: TrackedKind, policy: LadderPolicy, today: dt.date) -> StatusRule:
    cutoff = overdue_cutoff(today, 1)
    soon = workdays.add_working_days(today, policy.due_soon_workdays)
    overdue = Q(deadline__lte=cutoff)
    risk = Q(deadline__lte=soon)
    time_driven = False
    missing = hooks.get(kind, "missing_report_q")
    if policy.missing_report_at_risk and missing is not None:
        risk |= missing(today)
        time_driven = True
    behind_q = hooks.get(kind, "behind_schedule_q")
    behind_in_python = False
    if kind.progress_field:
        time_driven = True
        if behind_q is not None:
            risk |= behind_q(today, policy.at_risk_gap)
        else:
            behind_in_python = True
    return StatusRule(
        overdue=overdue,
        at_risk=risk,
        behind_in_python=behind_in_python,
        gap=policy.at_risk_gap,
        start_field=hooks.get(kind, "start_field", "created_at"),
        progress_field=kind.progress_field,
        cutoff=cutoff,
        soon=soon,
        time_driven=time_driven,
    )


def is_behind(
    progress: int | None, start, deadline: dt.date | None, today: dt.date, gap: int
) -> bool:
    """Behind schedule: percent done below the share of time elapsed, by more than `gap`."""
    if deadline is None or start is None:
        return False
    if isinstance(start, dt.datetime):
        start = timezone.localtime(start).date() if timezone.is_aware(start) else start.date()
    total = (deadline - start).days
    if total <= 0:
        return False
    elapsed = min(max((today - start).days, 0), total)
    expected = 100 * elapsed / total
    return (progress or 0) + gap < expected


def status_of(kind: TrackedKind, item, today: dt.date | None = None) -> str:
    """One item's status by the same rule the job applies (for pages and tests)."""
    today = today or timezone.localdate()
    if item.state not in kind.open_states:
        return S.ON_TRACK
    policy = policy_for_item(kind, item)
    rule = status_rule(kind, policy, today)
    qs = type(item).objects.filter(pk=item.pk)
    if qs.filter(rule.overdue).exists():
        return S.OVERDUE
    if qs.filter(rule.at_risk).exists():
        return S.AT_RISK
    if rule.behind_in_python and is_behind(
        getattr(item, rule.progress_field),
        getattr(item, rule.start_field),
        item.deadline,
        today,
        rule.gap,
    ):
        return S.AT_RISK
    return S.ON_TRACK


# --- ladder triggers ---------------------------------------------------------------


def trigger_q(kind: TrackedKind, trigger: str, delay: int, today: dt.date) -> Q | None:
    if trigger == Trigger.AT_RISK:
        return Q(supervision_status__in=[S.AT_RISK, S.OVERDUE])
    if trigger == Trigger.OVERDUE:
        return Q(deadline__lte=overdue_cutoff(today, delay))
    if trigger == Trigger.NOTICE_UNANSWERED:
        ct = ContentType.objects.get_for_model(kind.model)
        late = Notice.objects.filter(
            item_type=ct,
            item_id=OuterRef("pk"),
            status=Notice.Status.OPEN,
            answer_due__lte=overdue_cutoff(today, delay),
        )
        return Q(Exists(late))
    return None


def trigger_text(trigger: str, delay: int) -> str:
    """The trigger in words, for the timeline and the notice."""
    if trigger == Trigger.AT_RISK:
        return "出现预警（进度滞后、临近完成时限或缺报进度）"
    if trigger == Trigger.OVERDUE:
        return f"超过完成时限{max(delay, 1)}个工作日"
    if trigger == Trigger.NOTICE_UNANSWERED:
        return f"督办单逾期{max(delay, 1)}个工作日未答复"
    return ""
