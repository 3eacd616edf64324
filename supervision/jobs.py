"""The periodic jobs (settings.PERIODIC_JOBS, run by `manage.py run_periodic`).

Each is idempotent — a second run on the same day changes nothing — and
set-based: per kind and policy a handful of UPDATE/INSERT statements over sets of
rows, never a query per item.

Incremental: status_recompute and escalate remember where they left off
(JobMark: the day, the last timeline entry and the time they had seen, the rules
they ran under). A nightly run then reads, per kind, only
- the items that changed since: every change appends to the timeline
  (tracking.services.item_transition, timeline_append), so the entries after the
  last run's mark name them;
- the open items whose deadline (or notice answer date) lies between yesterday's
  threshold and today's: time moves even when no row changes, and that is how an
  untouched item becomes due soon or overdue overnight.
Kinds whose status also moves with time in other ways (missing reports, progress
behind the elapsed time: commitments) have all their open items re-read. A full
pass runs on the first run, when the ladder policies or the working-day calendar
changed, and every SUPERVISION_FULL_SWEEP_DAYS days as a safety net.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from tracking import registry, workdays
from tracking.models import CalendarDay, EscalationLevel, TimelineEntry
from tracking.models import SupervisionStatus as S
from tracking.registry import TrackedKind

from . import engine, rules
from .models import JobMark, LadderPolicy, Notice, Trigger

# Timeline ids just below a mark are read again: a transaction still open when the
# mark was taken may commit an entry with a lower id afterwards.
FEED_MARGIN = 1000
STATUS_JOB = "supervision.status_recompute"
ESCALATE_JOB = "supervision.escalate"


# --- where the last run left off ---------------------------------------------------


@dataclass
class Since:
    """What the previous run saw. `full`: no usable mark, read everything."""

    full: bool
    day: dt.date | None = None
    entry_id: int = 0
    full_on: dt.date | None = None


def _signature() -> str:
    """The rules a run applies: policies, the working-day calendar, the kinds."""
    h = hashlib.sha256()
    for row in LadderPolicy.objects.order_by("pk").values_list():
        h.update(repr(row[:-1]).encode())  # all but updated_at
    for day, work in CalendarDay.objects.order_by("date").values_list("date", "is_workday"):
        h.update(f"{day}{int(work)}".encode())
    h.update(",".join(sorted(k.model._meta.label_lower for k in registry.kinds())).encode())
    return h.hexdigest()


def _since(name: str, signature: str, today: dt.date, full: bool) -> Since:
    mark = JobMark.objects.filter(name=name).first()
    every = getattr(settings, "SUPERVISION_FULL_SWEEP_DAYS", 7)
    if (
        full
        or mark is None
        or mark.signature != signature
        or mark.day > today
        or mark.full_on is None
        or (today - mark.full_on).days >= every
    ):
        return Since(full=True)
    return Since(
        full=False,
        day=mark.day,
        entry_id=max(mark.timeline_id - FEED_MARGIN, 0),
        full_on=mark.full_on,
    )


def _top_entry() -> int:
    return TimelineEntry.objects.aggregate(m=Max("id"))["m"] or 0


def _save_mark(
    name: str, since: Since, *, today: dt.date, entry_id: int, at: dt.datetime, signature: str
) -> None:
    JobMark.objects.update_or_create(
        name=name,
        defaults={
            "day": today,
            "timeline_id": entry_id,
            "started_at": at,
            "signature": signature,
            "full_on": today if since.full else since.full_on,
        },
    )


def _feed(since: Since) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """The items named by the timeline entries since the mark, as ({content type id:
    ids} changed by people and services, {content type id: ids} moved by the nightly
    jobs themselves): a range of the primary key, a day's entries whatever the
    table's size. Every change to a tracked item leaves an entry
    (tracking.services.item_transition, timeline_append)."""
    changed: dict[int, set[int]] = {}
    moved: dict[int, set[int]] = {}
    rows = TimelineEntry.objects.filter(id__gt=since.entry_id).values_list(
        "item_type_id", "item_id", "action", "actor_id"
    )
    for ct_id, item_id, action, actor_id in rows.iterator(chunk_size=5000):
        mine = actor_id is None and action.startswith("supervision.")
        (moved if mine else changed).setdefault(ct_id, set()).add(item_id)
    return changed, moved


def _ids(kind: TrackedKind, feed: dict[int, set[int]]) -> set[int]:
    return set(feed.get(ContentType.objects.get_for_model(kind.model).pk, ()))


def _windows(pairs: Iterable[tuple[dt.date, dt.date]]) -> list[tuple[dt.date, dt.date]]:
    """Date ranges (lo, hi] that a threshold moved across, merged where they overlap."""
    spans = sorted((min(a, b), max(a, b)) for a, b in pairs if a != b)
    out: list[tuple[dt.date, dt.date]] = []
    for lo, hi in spans:
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _crossed(open_qs, spans: list[tuple[dt.date, dt.date]], field: str = "deadline") -> set[int]:
    """Open items whose `field` lies in one of the spans: one index range each."""
    ids: set[int] = set()
    for lo, hi in spans:
        ids.update(
            open_qs.filter(**{f"{field}__gt": lo, f"{field}__lte": hi}).values_list("pk", flat=True)
        )
    return ids


ID_CHUNK = 20_000


def _in_chunks(qs, ids: set[int] | None):
    """qs itself (full pass), or qs restricted to each chunk of ids. The ids go into
    the SQL as integer literals: a day's few thousand candidates in a statement or
    two, without the ORM preparing each one as a parameter (which cost more than
    the queries themselves)."""
    if ids is None:
        yield qs
        return
    meta = qs.model._meta
    column = (
        f"{connection.ops.quote_name(meta.db_table)}.{connection.ops.quote_name(meta.pk.column)}"
    )
    ordered = sorted(int(i) for i in ids)
    for i in range(0, len(ordered), ID_CHUNK):
        literal = ",".join(map(str, ordered[i : i + ID_CHUNK]))
        yield qs.extra(where=[f"{column} IN ({literal})"])


# --- status --------------------------------------------------------------------------


def _set_status(qs, status: str, recovered: list[tuple[int, int]]) -> int:
    """Move the rows of qs not yet at `status` to it; note the escalated ones that recover."""
    changing = qs.exclude(supervision_status=status)
    if status == S.ON_TRACK:
        recovered.extend(
            changing.filter(escalation_level__gt=0).values_list("pk", "escalation_level")
        )
    return changing.update(supervision_status=status)


def _apply_status(model, rule: rules.StatusRule, open_qs, today, changed, recovered) -> None:
    changed[S.OVERDUE] += _set_status(open_qs.filter(rule.overdue), S.OVERDUE, [])
    at_risk = open_qs.filter(~rule.overdue & rule.at_risk)
    changed[S.AT_RISK] += _set_status(at_risk, S.AT_RISK, [])
    rest = open_qs.exclude(rule.overdue).exclude(rule.at_risk)
    if not rule.behind_in_python:
        changed[S.ON_TRACK] += _set_status(rest, S.ON_TRACK, recovered)
        return
    # Behind schedule needs (progress, start, deadline): one read, bulk writes.
    to_risk, to_ok = [], []
    tz = timezone.get_current_timezone()
    for pk, status, level, progress, start, deadline in rest.values_list(
        "pk",
        "supervision_status",
        "escalation_level",
        rule.progress_field,
        rule.start_field,
        "deadline",
    ).iterator(chunk_size=5000):
        if isinstance(start, dt.datetime) and timezone.is_aware(start):
            start = start.astimezone(tz).date()  # once per row, not localtime()'s lookups
        behind = rules.is_behind(progress, start, deadline, today, rule.gap)
        if behind and status != S.AT_RISK:
            to_risk.append(pk)
        elif not behind and status != S.ON_TRACK:
            to_ok.append(pk)
            if level > 0:
                recovered.append((pk, level))
    for ids, status in ((to_risk, S.AT_RISK), (to_ok, S.ON_TRACK)):
        for part in engine.chunks(ids):
            changed[status] += model.objects.filter(pk__in=part).update(supervision_status=status)


def status_recompute(today: dt.date | None = None, *, full: bool = False) -> dict:
    """Each open item's status (正常/预警/超期); items that recover are de-escalated."""
    today = today or timezone.localdate()
    started, top = timezone.now(), _top_entry()
    policies = rules.load_policies()
    signature = _signature()
    since = _since(STATUS_JOB, signature, today, full)
    feed, moved = ({}, {}) if since.full else _feed(since)
    out: dict[str, dict] = {}
    with transaction.atomic():
        for kind in registry.kinds():
            model = kind.model
            changed = {S.OVERDUE: 0, S.AT_RISK: 0, S.ON_TRACK: 0}
            recovered: list[tuple[int, int]] = []
            touched = None if since.full else _ids(kind, feed)
            for policy, scope in rules.partitions(kind, policies):
                rule = rules.status_rule(kind, policy, today)
                open_qs = model.objects.filter(scope, state__in=kind.open_states).order_by()
                ids = None
                if not since.full and not rule.time_driven:
                    # Only the touched items and those a threshold moved past.
                    old = rules.status_rule(kind, policy, since.day)
                    spans = _windows([(old.cutoff, rule.cutoff), (old.soon, rule.soon)])
                    ids = touched | _crossed(open_qs, spans)
                for qs in _in_chunks(open_qs, ids):
                    _apply_status(model, rule, qs, today, changed, recovered)
            # Items no longer open (finished, or not yet under way) are not supervised.
            # They left the open states through a transition (the feed names them);
            # those the jobs moved last time are looked at too (a plain primary-key
            # read: the supervised items most likely to have finished since).
            finished: list[tuple[int, int]] = []
            not_open = model.objects.exclude(state__in=kind.open_states).order_by()
            left = None if since.full else touched | _ids(kind, moved)
            for qs in _in_chunks(not_open, left):
                finished += qs.filter(escalation_level__gt=0).values_list("pk", "escalation_level")
                changed[S.ON_TRACK] += qs.exclude(supervision_status=S.ON_TRACK).update(
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
        _save_mark(STATUS_JOB, since, today=today, entry_id=top, at=started, signature=signature)
    return out


# --- the ladder --------------------------------------------------------------------------


def _escalation_candidates(kind, policy, open_qs, since: Since, touched: set[int], today):
    """Open items whose trigger may have started to hold since the last run: touched
    ones, and those whose deadline (status thresholds, each overdue rung) or open
    notice's answer date a threshold moved past."""
    old, new = (
        rules.status_rule(kind, policy, since.day),
        rules.status_rule(kind, policy, today),
    )
    pairs = [(old.cutoff, new.cutoff), (old.soon, new.soon)]
    notice_pairs = []
    for level in range(1, 6):
        trigger, delay = policy.rung(level)
        if trigger == Trigger.OVERDUE:
            pairs.append(
                (rules.overdue_cutoff(since.day, delay), rules.overdue_cutoff(today, delay))
            )
        elif trigger == Trigger.NOTICE_UNANSWERED:
            notice_pairs.append(
                (rules.overdue_cutoff(since.day, delay), rules.overdue_cutoff(today, delay))
            )
    ids = touched | _crossed(open_qs, _windows(pairs))
    spans = _windows(notice_pairs)
    if spans:
        ct = ContentType.objects.get_for_model(kind.model)
        notices = Notice.objects.filter(item_type=ct, status=Notice.Status.OPEN)
        for lo, hi in spans:
            ids.update(
                notices.filter(answer_due__gt=lo, answer_due__lte=hi).values_list(
                    "item_id", flat=True
                )
            )
    return ids


def escalate(today: dt.date | None = None, *, full: bool = False) -> dict:
    """Raise each open item to the highest rung whose trigger holds (never lowers)."""
    today = today or timezone.localdate()
    started, top = timezone.now(), _top_entry()
    policies = rules.load_policies()
    signature = _signature()
    since = _since(ESCALATE_JOB, signature, today, full)
    feed = {} if since.full else _feed(since)[0]
    out: dict[str, dict] = {}
    with transaction.atomic():
        for kind in registry.kinds():
            counts: dict[str, int] = {}
            touched = None if since.full else _ids(kind, feed)
            for policy, scope in rules.partitions(kind, policies):
                open_qs = kind.model.objects.filter(scope, state__in=kind.open_states).order_by()
                ids = None
                if not since.full and not rules.status_rule(kind, policy, today).time_driven:
                    ids = _escalation_candidates(kind, policy, open_qs, since, touched, today)
                for level in range(5, 0, -1):
                    trigger, delay = policy.rung(level)
                    q = rules.trigger_q(kind, trigger, delay, today)
                    if q is None:
                        continue
                    rows = []
                    for qs in _in_chunks(open_qs, ids):
                        rows += qs.filter(q, escalation_level__lt=level).values_list(
                            "pk", "escalation_level", "owner_unit_id"
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
        # The next run must also see what tonight's status pass saw (statuses it moved
        # drive the "at risk" rung): start no later than that pass's mark.
        status_mark = JobMark.objects.filter(name=STATUS_JOB).first()
        if status_mark is not None and status_mark.day == today:
            top = min(top, status_mark.timeline_id)
            started = min(started, status_mark.started_at)
        _save_mark(ESCALATE_JOB, since, today=today, entry_id=top, at=started, signature=signature)
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


def run_all(today: dt.date | None = None, *, full: bool = False) -> dict:
    """All supervision jobs in order (tests and the demo)."""
    return {
        "status": status_recompute(today, full=full),
        "escalate": escalate(today, full=full),
        "notice_reminders": notice_reminders(today),
    }
