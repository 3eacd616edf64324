"""A small, hand-counted set of cases (direct model rows, so every date is exact).

Period 2026-10, town T01 (place axis). The 2026 National Day holiday runs Oct 1–7,
so a case dispatched on Oct 1 may be signed up to Oct 8 (1 working day).

 code  place      unit state        collected      dispatched  signed   deadline  replied  ratings S/N/U  notes
 c1    T01V01     D05  closed       10-09 09:00    10-09       10-09    10-20     10-15    1/0/0
 c2    T01V02     D05  replied      10-01 09:00    10-01       10-08    10-22     10-20             holiday: in time
 c3    T01V01     D05  in_progress  10-01 09:30    10-01       10-09    2027                        holiday: late
 c4    T01V01     D05  closed       09-30 23:30    …                                               September (boundary)
 c5    T01V01G1   D07  dispatched   10-31 23:59    11-02       —        2027                        October (boundary)
 c6    T01V01     —    submitted    11-01 00:00:30                                                 November (boundary)
 c7    T01V02     D05  in_progress  10-12          10-12       10-13    2027               0/0/1    reopened
 c8    T01V01     D07  rated        10-14          10-14       10-16    10-27     10-28    1/0/1    reopened, late twice
 c9    T01V01     —    merged→c1    10-09
 c10   T01V02     —    declined     10-09
 c11   T01V01     D07  signed       10-12          10-12       10-12    10-20                       overdue
 c12   T01V01     —    submitted    10-20
 c13   T02V01     D05  closed       10-15          10-15       10-15    10-30     10-20    1/0/0    other town

T01, 2026-10: received 10, accepted 7, declined 1, merged 1, dispatched 7,
signed in time 4 (c1 c2 c7 c11), resolved 3 (c1 c2 c8), on time 2 of 3, overdue 1,
reopened 2, ratings 4 of which satisfied 2.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from cases.models import Case, CaseContact
from orgs.models import OrgNode

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 11, 25)


def at(month, day, hour=9, minute=0, second=0, year=2026):
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=TZ)


def d(month, day, year=2026):
    return dt.date(year, month, day)


def build() -> dict[str, Case]:
    n = {
        c: OrgNode.objects.get(code=c)
        for c in ("T01V01", "T01V02", "T01V01G1", "T02V01", "D05", "D07")
    }
    far = d(1, 15, 2027)
    rows = {
        "c1": dict(
            place="T01V01",
            unit="D05",
            state="closed",
            collected_at=at(10, 9),
            dispatched_at=at(10, 9, 10),
            signed_at=at(10, 9, 14),
            deadline=d(10, 20),
            replied_at=at(10, 15, 11),
            closed_at=at(10, 16),
            rating_satisfied=1,
        ),
        "c2": dict(
            place="T01V02",
            unit="D05",
            state="replied",
            collected_at=at(10, 1),
            dispatched_at=at(10, 1, 10),
            signed_at=at(10, 8, 16),
            deadline=d(10, 22),
            replied_at=at(10, 20, 17),
        ),
        "c3": dict(
            place="T01V01",
            unit="D05",
            state="in_progress",
            collected_at=at(10, 1, 9, 30),
            dispatched_at=at(10, 1, 10),
            signed_at=at(10, 9),
            deadline=far,
        ),
        "c4": dict(
            place="T01V01",
            unit="D05",
            state="closed",
            collected_at=at(9, 30, 23, 30),
            dispatched_at=at(10, 8, 9),
            signed_at=at(10, 8, 10),
            deadline=d(10, 20),
            replied_at=at(10, 12),
            closed_at=at(10, 13),
        ),
        "c5": dict(
            place="T01V01G1",
            unit="D07",
            state="dispatched",
            collected_at=at(10, 31, 23, 59),
            dispatched_at=at(11, 2),
            deadline=far,
        ),
        "c6": dict(place="T01V01", unit=None, state="submitted", collected_at=at(11, 1, 0, 0, 30)),
        "c7": dict(
            place="T01V02",
            unit="D05",
            state="in_progress",
            collected_at=at(10, 12),
            dispatched_at=at(10, 12, 10),
            signed_at=at(10, 13, 9),
            deadline=far,
            reopen_count=1,
            rating_unsatisfied=1,
        ),
        "c8": dict(
            place="T01V01",
            unit="D07",
            state="rated",
            collected_at=at(10, 14),
            dispatched_at=at(10, 14, 10),
            signed_at=at(10, 16, 9),
            deadline=d(10, 27),
            replied_at=at(10, 28, 15),
            reopen_count=1,
            rating_unsatisfied=1,
            rating_satisfied=1,
        ),
        "c9": dict(place="T01V01", unit=None, state="merged", collected_at=at(10, 9, 11)),
        "c10": dict(place="T01V02", unit=None, state="declined", collected_at=at(10, 9, 12)),
        "c11": dict(
            place="T01V01",
            unit="D07",
            state="signed",
            collected_at=at(10, 12),
            dispatched_at=at(10, 12, 10),
            signed_at=at(10, 12, 15),
            deadline=d(10, 20),
        ),
        "c12": dict(place="T01V01", unit=None, state="submitted", collected_at=at(10, 20)),
        "c13": dict(
            place="T02V01",
            unit="D05",
            state="closed",
            collected_at=at(10, 15),
            dispatched_at=at(10, 15, 10),
            signed_at=at(10, 15, 11),
            deadline=d(10, 30),
            replied_at=at(10, 20),
            closed_at=at(10, 21),
            rating_satisfied=1,
        ),
    }
    out: dict[str, Case] = {}
    for key, r in rows.items():
        r = dict(r)
        place, unit = n[r.pop("place")], r.pop("unit")
        out[key] = Case.objects.create(
            text=f"测试诉求{key}：小区路灯不亮，晚上出行不便",
            place=place,
            owner_unit=n[unit] if unit else None,
            **r,
        )
    out["c9"].merged_into = out["c1"]
    out["c9"].save(update_fields=["merged_into"])
    CaseContact.objects.create(case=out["c1"], name="张三丰", phone="13812341234")
    out["c1"].address = "幸福路8号3栋2单元"
    out["c1"].save(update_fields=["address"])
    return out


T01_OCT = {
    "received": 10,
    "accepted": 7,
    "declined": 1,
    "merged": 1,
    "dispatched": 7,
    "signed_in_time": 4,
    "resolved": 3,
    "resolved_with_deadline": 3,
    "resolved_on_time": 2,
    "overdue": 1,
    "reopened": 2,
    "rated": 4,
    "satisfied": 2,
}
T01_OCT_RATES = {"response": 57.14, "resolution": 42.86, "satisfaction": 50.0, "on_time": 66.67}
