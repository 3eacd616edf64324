"""The periodic jobs (settings.PERIODIC_JOBS, run by `manage.py run_periodic`).

Each is idempotent — a second run on the same day changes nothing — and
set-based: per kind and policy a handful of UPDATE/INSERT statements over sets of
rows, never a query per item. The only Python pass reads four columns of the open
items of kinds with a progress field (the "behind schedule" rule needs dates).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tracking import registry, workdays
from tracking.models import EscalationLevel
from tracking.models import SupervisionStatus as S

from . import engine, rules
from .models import Notice


def _set_status(qs, status: str, recovered: list[tuple[int, int]]) -> int:
    """Move the rows of qs not yet at `status` to it; note the escalated ones that recover."""
    changing = qs.exclude(supervision_status=status)
    if status == S.ON_TRACK:
        recovered.extend(
            changing.filter(escalation_level__gt=0).values_list("pk", "escalation_level")
        )
    return changing.update(supervision_status=status)


def status_recompute(today: dt.date | None = None) -> dict:
    """Each open item's status (正常/预警/超期); items that recover are de-escalated."""
    today = today or timezone.localdate()
    policies = rules.load_policies()
    out: dict[str, dict] = {}
    for kind in registry.kinds():
        model = kind.model
        changed = {S.OVERDUE: 0, S.AT_RISK: 0, S.ON_TRACK: 0}
        recovered: list[tuple[int, int]] = []
        finished: list[tuple[int, int]] = []
        with transaction.atomic():
            for policy, scope in rules.partitions(kind, policies):
                rule = rules.status_rule(kind, policy, today)
                open_qs = model.objects.filter(scope, state__in=kind.open_states)
                changed[S.OVERDUE] += _set_status(open_qs.filter(rule.overdue), S.OVERDUE, [])
                at_risk = open_qs.filter(~rule.overdue & rule.at_risk)
                changed[S.AT_RISK] += _set_status(at_risk, S.AT_RISK, [])
                rest = open_qs.exclude(rule.overdue).exclude(rule.at_risk)
                if not rule.behind_in_python:
                    changed[S.ON_TRACK] += _set_status(rest, S.ON_TRACK, recovered)
                    continue
                # Behind schedule needs (progress, start, deadline): one read, bulk writes.
                to_risk, to_ok = [], []
                for pk, status, level, progress, start, deadline in rest.values_list(
                    "pk",
                    "supervision_status",
                    "escalation_level",
                    rule.progress_field,
                    rule.start_field,
                    "deadline",
                ).iterator(chunk_size=5000):
                    behind = rules.is_behind(progress, start, deadline, today, rule.gap)
                    if behind and status != S.AT_RISK:
                        to_risk.append(pk)
                    elif not behind and status != S.ON_TRACK:
                        to_ok.append(pk)
                        if level > 0:
                            recovered.append((pk, level))
                for ids, status in ((to_risk, S.AT_RISK), (to_ok, S.ON_TRACK)):
                    for part in engine.chunks(ids):
                        changed[status] += model.objects.filter(pk__in=part).update(
                            supervision_status=status
                        )
            # Items no longer open (finished, or not yet under way) are not supervised.
            not_open = model.objects.exclude(state__in=kind.open_states)
            finished = list(
                not_open.filter(escalation_level__gt=0).values_list("pk", "escalation_level")
            )
            changed[S.ON_TRACK] += not_open.exclude(supervision_status=S.ON_TRACK).update(
                supervision_status=S.ON_TRACK
            )
            engine.deescalate(kind=kind, rows=recovered, reason="事项恢复正常，系统自动解除督办")
            engine.deescalate(kind=kind, rows=finished, reason="事项已办结，系统自动解除督办")
        out[kind.label] = {
            "超期": changed[S.OVERDUE],
            "预警": changed[S.AT_RISK],
            "正常": changed[S.ON_TRACK],
            "解除督办": len(recovered) + len(finished),
        }
    return out


def escalate(today: dt.date | None = None) -> dict:
    """Raise each open item to the highest rung whose trigger holds (never lowers)."""
    today = today or timezone.localdate()
    policies = rules.load_policies()
    out: dict[str, dict] = {}
    for kind in registry.kinds():
        counts: dict[str, int] = {}
        with transaction.atomic():
            for policy, scope in rules.partitions(kind, policies):
                open_qs = kind.model.objects.filter(scope, state__in=kind.open_states)
                for level in range(5, 0, -1):
                    trigger, delay = policy.rung(level)
                    q = rules.trigger_q(kind, trigger, delay, today)
                    if q is None:
                        continue
                    rows = list(
                        open_qs.filter(q, escalation_level__lt=level).values_list(
                            "pk", "escalation_level", "owner_unit_id"
                        )
                    )
                    n = engine.escalate(
                        kind=kind,
                        rows=rows,
                        level=level,
                        policy=policy,
                        today=today,
                        reason=f"{rules.trigger_text(trigger, delay)}，"
                        f"系统自动升级为“{engine.LEVEL_LABEL[level]}”",
                    )
                    if n:
                        label = engine.LEVEL_LABEL[level]
                        counts[label] = counts.get(label, 0) + n
        out[kind.label] = counts
    return out


def notice_reminders(today: dt.date | None = None) -> dict:
    """Remind units of notices whose answer is due within one working day (once each)."""
    today = today or timezone.localdate()
    soon = workdays.add_working_days(today, 1)
    with transaction.atomic():
        due = list(
            Notice.objects.filter(
                status=Notice.Status.OPEN, reminded_at__isnull=True, answer_due__lte=soon
            ).values_list("pk", "number", "unit_id", "answer_due", "item_type_id", "item_id")
        )
        if not due:
            return {"提醒": 0}
        staff = engine.unit_staff(r[2] for r in due)
        url = reverse("supervision:notices")
        rows = []
        for _pk, number, unit_id, answer_due, ct_id, item_id in due:
            ct = ContentType.objects.get_for_id(ct_id)
            for user in staff.get(unit_id, []):
                rows.append(
                    (
                        user,
                        f"督办单{number}即将到期",
                        f"请于{answer_due:%Y年%m月%d日}前书面答复。",
                        url,
                        ct,
                        item_id,
                        EscalationLevel.NOTICE,
                    )
                )
        engine.notify(rows, outside=True)
        ids = [r[0] for r in due]
        for part in engine.chunks(ids):
            Notice.objects.filter(pk__in=part).update(reminded_at=timezone.now())
    return {"提醒": len(due)}


def run_all(today: dt.date | None = None) -> dict:
    """All supervision jobs in order (tests and the demo)."""
    return {
        "status": status_recompute(today),
        "escalate": escalate(today),
        "notice_reminders": notice_reminders(today),
    }
