"""Cases in every state over two years, with contacts, timelines and ratings.

States follow the case workflow (cases.models.CASE_WORKFLOW); each case gets the
timeline entries of the transitions that brought it to its state, with times
spaced after its submission. Older cases are mostly finished, recent ones open.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import secrets
import time

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from orgs.models import OrgNode
from taxonomy.models import Category, Item
from tracking.models import Rating, TimelineEntry

from . import fastinsert
from .textgen import TextGen

# The path of transitions from submission to each state.
PATHS = {
    "submitted": [],
    "accepted": ["accept"],
    "declined": ["decline"],
    "merged": ["merge"],
    "dispatched": ["accept", "dispatch"],
    "signed": ["accept", "dispatch", "sign"],
    "in_progress": ["accept", "dispatch", "sign", "progress"],
    "replied": ["accept", "dispatch", "sign", "progress", "reply"],
    "rated": ["accept", "dispatch", "sign", "progress", "reply", "rate"],
    "closed": ["accept", "dispatch", "sign", "progress", "reply", "rate", "close"],
}
# State weights by age of the case (days): recent cases are open, old ones finished.
WEIGHTS = [
    (
        15,
        {
            "submitted": 14,
            "accepted": 8,
            "declined": 4,
            "merged": 3,
            "dispatched": 18,
            "signed": 14,
            "in_progress": 22,
            "replied": 10,
            "rated": 5,
            "closed": 2,
        },
    ),
    (
        60,
        {
            "declined": 4,
            "merged": 3,
            "dispatched": 4,
            "signed": 4,
            "in_progress": 15,
            "replied": 20,
            "rated": 20,
            "closed": 30,
        },
    ),
    (
        10_000,
        {"declined": 4, "merged": 2, "in_progress": 2, "replied": 4, "rated": 8, "closed": 80},
    ),
]
CHANNELS = (
    ["web"] * 40
    + ["phone"] * 15
    + ["hotline"] * 15
    + ["visit"] * 10
    + ["wechat"] * 8
    + ["forum"] * 5
    + ["box"] * 3
    + ["wall"] * 2
    + ["survey"] * 2
)
KINDS = (
    ["request"] * 70 + ["complaint"] * 15 + ["suggestion"] * 12 + ["wish"] * 2 + ["home_service"]
)
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def _label(model, name: str) -> tuple[str, bool]:
    t = model.WORKFLOW.transitions[name]
    return t.label, t.public


TARGET = {
    "accept": "accepted",
    "decline": "declined",
    "merge": "merged",
    "dispatch": "dispatched",
    "sign": "signed",
    "progress": "in_progress",
    "reply": "replied",
    "rate": "rated",
    "close": "closed",
}
CHUNK = 50_000


class _Places:
    """The generated province's villages, grids and units, by path."""

    def __init__(self) -> None:
        self.villages = list(
            OrgNode.objects.filter(kind=OrgNode.Kind.VILLAGE, code__startswith="P").values_list(
                "id", "path", "name"
            )
        )
        self.grids: dict[str, list[int]] = {}
        for gid, gpath in OrgNode.objects.filter(
            kind=OrgNode.Kind.GRID, code__startswith="P"
        ).values_list("id", "path"):
            self.grids.setdefault(gpath[:-5], []).append(gid)
        self.departments: dict[str, list[int]] = {}
        self.towns: dict[str, int] = {}
        for nid, path, kind in OrgNode.objects.filter(
            code__startswith="P", kind__in=[OrgNode.Kind.DEPARTMENT, OrgNode.Kind.TOWN]
        ).values_list("id", "path", "kind"):
            if kind == OrgNode.Kind.DEPARTMENT:
                self.departments.setdefault(path[:-5], []).append(nid)
            else:
                self.towns[path] = nid


def generate(
    n_cases: int,
    years: int = 2,
    seed: int = 11,
    span_days: int | None = None,
    analyze: bool = True,
) -> dict:
    """n_cases submitted over the last `years` (or `span_days`), inserted in time order.
    `analyze`: refresh the planner statistics after (not for a day's few rows)."""
    from django.db import transaction

    from cases.models import Case, CaseContact

    started = time.perf_counter()
    rng = random.Random(seed)
    text = TextGen(seed)
    now = timezone.now()
    today = timezone.localdate()
    span = (span_days or years * 365) * 86400
    # The ladder's top rung (移送纪委) is 30 working days past the deadline by default.
    long_overdue = today - dt.timedelta(days=60)
    places = _Places()
    categories = list(Category.objects.values_list("id", "default_days"))
    items_by_cat: dict[int, list[int]] = {}
    for iid, cid in Item.objects.values_list("id", "category_id"):
        items_by_cat.setdefault(cid, []).append(iid)
    ct = ContentType.objects.get_for_model(Case)
    labels = {name: _label(Case, name) for name in TARGET}
    first_id = fastinsert.next_id(Case)
    entry_id = fastinsert.next_id(TimelineEntry)
    # Submission times in order, so ids grow with time as years of real use leave them.
    offsets = sorted((rng.randrange(span) for _ in range(n_cases)), reverse=True)
    # Each age bucket's states and cumulative weights, worked out once (same draws).
    buckets = [
        (limit * 86400, list(w), list(itertools.accumulate(w.values()))) for limit, w in WEIGHTS
    ]
    counts: dict[str, int] = {}
    totals = {"timeline_entries": 0, "ratings": 0}
    codes: set[str] = set()
    build = insert = 0.0
    with transaction.atomic():
        for base in range(0, n_cases, CHUNK):
            t_build = time.perf_counter()
            cases: list[dict] = []
            contacts: list[dict] = []
            entries: list[dict] = []
            ratings: list[dict] = []
            for i in range(base, min(n_cases, base + CHUNK)):
                cid = first_id + i
                created = now - dt.timedelta(seconds=offsets[i])
                states, cum = next(x for limit, *x in buckets if offsets[i] < limit)
                state = rng.choices(states, cum_weights=cum)[0]
                counts[state] = counts.get(state, 0) + 1
                vid, vpath, vname = places.villages[rng.randrange(len(places.villages))]
                grids = places.grids.get(vpath)
                place = grids[rng.randrange(len(grids))] if grids and rng.random() < 0.3 else vid
                cat_id, days = categories[rng.randrange(len(categories))]
                cat_items = items_by_cat.get(cat_id) or [None]
                title, body = text.case(vname)
                while True:
                    code = "".join(rng.choice(CODE_ALPHABET) for _ in range(10))
                    if code not in codes:
                        codes.add(code)
                        break
                row = {
                    "id": cid,
                    "state": state,
                    "place_id": place,
                    "tracking_code": code,
                    "kind": KINDS[rng.randrange(len(KINDS))],
                    "channel": CHANNELS[rng.randrange(len(CHANNELS))],
                    "title": title,
                    "text": body,
                    "category_id": cat_id,
                    "item_id": cat_items[rng.randrange(len(cat_items))],
                    "address": f"{vname}{rng.randrange(1, 200)}号",
                    "collected_at": created,
                    "created_at": created,
                    "is_public": rng.random() < 0.5,
                }
                t = created
                entries.append(
                    _entry(
                        entry_id, ct.id, cid, "case.submit", "提交诉求", "", "submitted", t, True
                    )
                )
                entry_id += 1
                prev = "submitted"
                for step in PATHS[state]:
                    hours = 24 * (6 if step == "progress" else 2)
                    t = min(now, t + dt.timedelta(hours=rng.uniform(2, hours)))
                    label, public = labels[step]
                    note = text.reply() if step == "reply" else ""
                    entries.append(
                        _entry(
                            entry_id,
                            ct.id,
                            cid,
                            f"case.{step}",
                            label,
                            prev,
                            TARGET[step],
                            t,
                            public,
                            note,
                        )
                    )
                    entry_id += 1
                    prev = TARGET[step]
                    if step == "dispatch":
                        row["dispatched_at"] = t
                        units = places.departments.get(vpath[:20])
                        town = places.towns.get(vpath[:-5])
                        row["owner_unit_id"] = (
                            town
                            if (rng.random() < 0.3 or not units)
                            else units[cat_id % len(units)]
                        )
                        row["deadline"] = (t + dt.timedelta(days=round(days * 1.4))).date()
                    elif step == "sign":
                        row["signed_at"] = t
                    elif step == "reply":
                        row["replied_at"] = t
                        row["result"] = note
                    elif step == "close":
                        row["closed_at"] = t
                    elif step == "merge" and i > 0:
                        row["merged_into_id"] = cid - 1 - rng.randrange(min(50, i))
                    elif step == "rate":
                        value = rng.choices(["satisfied", "neutral", "unsatisfied"], [80, 15, 5])[0]
                        row[f"rating_{value}"] = 1
                        ratings.append(
                            {
                                "item_type_id": ct.id,
                                "item_id": cid,
                                "value": value,
                                "comment": "",
                                "rater_key": secrets.token_hex(8),
                                "source": "resident",
                                "created_at": t,
                            }
                        )
                row["state_changed_at"] = t
                row["updated_at"] = t
                if state in ("dispatched", "signed", "in_progress") and row.get("deadline"):
                    if row["deadline"] < long_overdue:
                        # Nightly runs long ago took it up the whole ladder (移送纪委).
                        row["supervision_status"] = "overdue"
                        row["escalation_level"] = 5
                    elif row["deadline"] < today:
                        row["supervision_status"] = "overdue"
                    elif (row["deadline"] - today).days <= 3:
                        row["supervision_status"] = "at_risk"
                cases.append(row)
                contacts.append(
                    {
                        "case_id": cid,
                        "name": text.person(),
                        "phone": text.phone(),
                        "id_number": "",
                        "phone_verified": rng.random() < 0.4,
                    }
                )
            t_insert = time.perf_counter()
            build += t_insert - t_build
            fastinsert.insert(Case, cases)
            fastinsert.insert(CaseContact, contacts)
            fastinsert.insert(TimelineEntry, entries)
            fastinsert.insert(Rating, ratings)
            insert += time.perf_counter() - t_insert
            totals["timeline_entries"] += len(entries)
            totals["ratings"] += len(ratings)
        fastinsert.reset_sequences(Case, CaseContact, TimelineEntry, Rating)
    t1 = time.perf_counter()
    if analyze:
        fastinsert.analyze()
    return {
        "cases": n_cases,
        **totals,
        "states": dict(sorted(counts.items())),
        "build_seconds": round(build, 1),
        "insert_seconds": round(insert, 1),
        "analyze_seconds": round(time.perf_counter() - t1, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }


def _entry(eid, ct_id, item_id, action, label, old, new, at, public, note="") -> dict:
    return {
        "id": eid,
        "item_type_id": ct_id,
        "item_id": item_id,
        "actor_id": None,
        "actor_label": "系统" if action == "case.submit" else "工作人员",
        "action": action,
        "action_label": label,
        "from_state": old,
        "to_state": new,
        "note": note,
        "data": {},
        "is_public": public,
        "created_at": at,
    }
