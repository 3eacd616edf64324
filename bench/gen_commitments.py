"""Commitments (民生实事项目, key tasks, rectification measures) with monthly progress reports.

One programme per county and year; each commitment placed in its county (county,
town or village level), owned by a department or town, in every workflow state,
with the monthly report slots of the months it ran (submitted, approved, late,
missing, or still due) and the timeline of its transitions.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from orgs.models import OrgNode
from taxonomy.models import Category
from tracking.models import TimelineEntry

from . import fastinsert
from .textgen import TextGen

PATHS = {
    "draft": [],
    "published": ["publish"],
    "in_progress": ["publish", "start"],
    "completed": ["publish", "start", "complete"],
    "accepted": ["publish", "start", "complete", "accept"],
    "closed": ["publish", "start", "complete", "accept", "close"],
}
TARGET = {
    "publish": "published",
    "start": "in_progress",
    "complete": "completed",
    "accept": "accepted",
    "close": "closed",
}
# Last year's list is mostly finished; this year's mostly under way.
WEIGHTS_PAST = {"in_progress": 6, "completed": 8, "accepted": 16, "closed": 70}
WEIGHTS_NOW = {
    "draft": 4,
    "published": 10,
    "in_progress": 56,
    "completed": 14,
    "accepted": 10,
    "closed": 6,
}
KINDS = ["project"] * 60 + ["key_task"] * 25 + ["rectification"] * 15
UNITS = ["个", "公里", "户", "处", "所", "座", "盏", "米"]
LEVELS, LEVEL_WEIGHTS = ["county", "town", "village"], [50, 30, 20]
CHUNK = 20_000


def _month_due(year: int, month: int, day: int = 25) -> dt.date:
    return dt.date(year, month, min(day, 28))


def generate(n: int, years: int = 2, seed: int = 23) -> dict:
    from commitments.models import Commitment, Programme, ProgressReport

    started = time.perf_counter()
    rng = random.Random(seed)
    text = TextGen(seed)
    now = timezone.now()
    today = timezone.localdate()
    counties = list(
        OrgNode.objects.filter(kind=OrgNode.Kind.COUNTY, code__startswith="P").values_list(
            "id", "path", "name"
        )
    )
    below: dict[str, list[tuple[int, str, str, str]]] = {}
    for nid, path, kind, name in OrgNode.objects.filter(
        code__startswith="P",
        kind__in=[OrgNode.Kind.TOWN, OrgNode.Kind.VILLAGE, OrgNode.Kind.DEPARTMENT],
    ).values_list("id", "path", "kind", "name"):
        below.setdefault(path[:20], []).append((nid, path, kind, name))
    grouped: dict[str, tuple[list, dict[str, list]]] = {}

    def county_nodes(county_id: int, cpath: str) -> tuple[list, dict[str, list]]:
        """A county's departments and its towns / villages, sorted out once per county
        (not once per commitment: a FULL county holds over a thousand nodes)."""
        if cpath not in grouped:
            nodes = below.get(cpath) or [(county_id, cpath, "county", "")]
            depts = [x for x in nodes if x[2] == OrgNode.Kind.DEPARTMENT] or nodes
            places = [x for x in nodes if x[2] != OrgNode.Kind.DEPARTMENT] or nodes
            by_level = {
                level: [x for x in places if x[2] == kind] or places
                for level, kind in (("town", OrgNode.Kind.TOWN), ("village", OrgNode.Kind.VILLAGE))
            }
            grouped[cpath] = (depts, by_level)
        return grouped[cpath]

    cats = list(Category.objects.values_list("id", flat=True))
    ct = ContentType.objects.get_for_model(Commitment)
    labels = {name: Commitment.WORKFLOW.transitions[name].label for name in TARGET}
    public = {name: Commitment.WORKFLOW.transitions[name].public for name in TARGET}
    programmes: list[tuple[int, int, int, str]] = []  # id, year, county id, county path
    first_year = today.year - years + 1
    with transaction.atomic():
        for year in range(first_year, today.year + 1):
            for cid, cpath, cname in counties:
                p = Programme.objects.create(
                    name=f"{cname}{year}年我为群众办实事项目清单（{cpath}）",
                    year=year,
                    is_active=year == today.year,
                    created_at=timezone.make_aware(dt.datetime(year, 1, 10)),
                )
                programmes.append((p.pk, year, cid, cpath))
    first_id = fastinsert.next_id(Commitment)
    entry_id = fastinsert.next_id(TimelineEntry)
    counts: dict[str, int] = {}
    totals = {"timeline_entries": 0, "reports": 0}
    report_states: dict[str, int] = {}
    with transaction.atomic():
        for base in range(0, n, CHUNK):
            rows, reports, entries = [], [], []
            for i in range(base, min(n, base + CHUNK)):
                pk = first_id + i
                prog_id, year, county_id, cpath = programmes[i % len(programmes)]
                weights = WEIGHTS_NOW if year == today.year else WEIGHTS_PAST
                state = rng.choices(list(weights), list(weights.values()))[0]
                counts[state] = counts.get(state, 0) + 1
                depts, by_level = county_nodes(county_id, cpath)
                level = rng.choices(LEVELS, LEVEL_WEIGHTS)[0]
                if level == "county":
                    place, pname = county_id, ""
                else:
                    cand = by_level[level]
                    pick = cand[rng.randrange(len(cand))]
                    place, pname = pick[0], pick[3]
                owner = depts[rng.randrange(len(depts))][0]
                created = timezone.make_aware(dt.datetime(year, 1, 15)) + dt.timedelta(
                    days=rng.randrange(60)
                )
                created = min(created, now - dt.timedelta(days=1))
                deadline = dt.date(year, 12, 20)
                target = Decimal(rng.choice([5, 10, 20, 50, 100, 300]))
                percent = {
                    "draft": 0,
                    "published": 0,
                    "completed": 100,
                    "accepted": 100,
                    "closed": 100,
                }.get(state, rng.randrange(5, 95))
                row = {
                    "id": pk,
                    "state": state,
                    "place_id": place,
                    "owner_unit_id": owner,
                    "deadline": deadline,
                    "created_at": created,
                    "programme_id": prog_id,
                    "seq": i // len(programmes) + 1,
                    "kind": KINDS[rng.randrange(len(KINDS))],
                    "title": text.project(pname),
                    "tasks": text.progress()[0],
                    "lead_official": text.person(),
                    "category_id": cats[rng.randrange(len(cats))],
                    "level": level,
                    "target_quantity": target,
                    "target_unit": UNITS[rng.randrange(len(UNITS))],
                    "done_quantity": (target * percent / 100).quantize(Decimal("0.01")),
                    "progress_percent": percent,
                    "budget": Decimal(rng.randrange(5, 5000)),
                    "is_flagship": rng.random() < 0.05,
                    "is_public": state != "draft",
                }
                t = created
                prev = "draft"
                for step in PATHS[state]:
                    days = {"publish": 10, "start": 20, "complete": 200, "accept": 15, "close": 10}[
                        step
                    ]
                    t = min(now, t + dt.timedelta(days=rng.uniform(1, days)))
                    entries.append(
                        {
                            "id": entry_id,
                            "item_type_id": ct.id,
                            "item_id": pk,
                            "actor_id": None,
                            "actor_label": "工作人员",
                            "action": f"commitment.{step}",
                            "action_label": labels[step],
                            "from_state": prev,
                            "to_state": TARGET[step],
                            "note": "",
                            "data": {},
                            "is_public": public[step],
                            "created_at": t,
                        }
                    )
                    entry_id += 1
                    prev = TARGET[step]
                    if step == "complete":
                        row["completed_at"] = t
                    elif step == "accept":
                        row["accepted_at"] = t
                    elif step == "close":
                        row["closed_at"] = t
                row["state_changed_at"] = t
                row["updated_at"] = t
                if state in ("published", "in_progress") and year < today.year:
                    # Last year's unfinished items: long overdue, long escalated.
                    row["supervision_status"] = "overdue"
                    row["escalation_level"] = 5
                elif state in ("published", "in_progress") and year == today.year:
                    if rng.random() < 0.08:
                        row["supervision_status"] = "overdue"
                    elif rng.random() < 0.12:
                        row["supervision_status"] = "at_risk"
                rows.append(row)
                # Monthly report slots from the month after publication to now (or the end).
                if state == "draft":
                    continue
                end_month = 12 if year < today.year else today.month
                done_by = row.get("completed_at")
                for month in range(created.month + 1, end_month + 1):
                    due = _month_due(year, month)
                    if done_by and due > done_by.date() + dt.timedelta(days=31):
                        break
                    if due >= today:
                        status = "due"
                    else:
                        status = rng.choices(
                            ["approved", "submitted", "late", "missing"], [70, 12, 12, 6]
                        )[0]
                    report_states[status] = report_states.get(status, 0) + 1
                    submitted = None
                    if status in ("approved", "submitted", "late"):
                        lag = rng.randrange(-6, 1) if status != "late" else rng.randrange(1, 9)
                        submitted = timezone.make_aware(
                            dt.datetime.combine(due + dt.timedelta(days=lag), dt.time(10))
                        )
                    narrative, problems = text.progress()
                    reports.append(
                        {
                            "programme_id": prog_id,
                            "kind": "monthly",
                            "commitment_id": pk,
                            "unit_id": owner,
                            "period": f"{year}-{month:02d}",
                            "period_start": dt.date(year, month, 1),
                            "due_date": due,
                            "status": status,
                            "is_late": status == "late",
                            "percent": min(100, percent * month // 12) if submitted else None,
                            "narrative": narrative if submitted else "",
                            "problems": problems if submitted else "",
                            "next_steps": "按计划推进。" if submitted else "",
                            "submitted_at": submitted,
                            "approved_at": submitted + dt.timedelta(days=2)
                            if status == "approved"
                            else None,
                            "created_at": timezone.make_aware(dt.datetime(year, month, 1)),
                        }
                    )
            fastinsert.insert(Commitment, rows)
            fastinsert.insert(TimelineEntry, entries)
            fastinsert.insert(ProgressReport, reports)
            totals["timeline_entries"] += len(entries)
            totals["reports"] += len(reports)
        fastinsert.reset_sequences(Commitment, TimelineEntry, ProgressReport)
    fastinsert.analyze()
    return {
        "commitments": n,
        "programmes": len(programmes),
        **totals,
        "states": dict(sorted(counts.items())),
        "report_states": dict(sorted(report_states.items())),
        "seconds": round(time.perf_counter() - started, 1),
    }
