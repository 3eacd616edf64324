"""What each case figure counts, written once as a Q condition.

The rollup job counts `Count("id", filter=q)` per measure; the drill-down list filters
cases with the very same q, so the number on the dashboard and the list behind it
cannot drift apart. Cases are attributed to the month they were collected (cohort).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q

from .dbfuncs import LocalDate
from .models import SignLimit

# Case states (cases.models.State); spelled here so this module imports without cases.
SUBMITTED, ACCEPTED, DECLINED, MERGED = "submitted", "accepted", "declined", "merged"
DISPATCHED, SIGNED, IN_PROGRESS = "dispatched", "signed", "in_progress"
REPLIED, RATED, CLOSED = "replied", "rated", "closed"
WORKING = (DISPATCHED, SIGNED, IN_PROGRESS)
FINISHED = (REPLIED, RATED, CLOSED)
NOT_ACCEPTED = (SUBMITTED, DECLINED, MERGED)


def signed_in_time_q() -> Q:
    """Signed by the last working day allowed after the dispatch day (SignLimit)."""
    return Q(dispatched_at__isnull=False, signed_at__isnull=False) & Q(
        Exists(
            SignLimit.objects.filter(
                day=OuterRef("dispatched_date"), limit_day__gte=OuterRef("signed_date")
            )
        )
    )


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    unit: str = "件"


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure("received", "收到诉求"),
        Measure("accepted", "受理"),
        Measure("declined", "不予受理"),
        Measure("merged", "合并"),
        Measure("dispatched", "交办"),
        Measure("signed_in_time", "按时签收"),
        Measure("resolved", "办结(已解决)"),
        Measure("resolved_with_deadline", "有时限办结"),
        Measure("resolved_on_time", "按时办结"),
        Measure("overdue", "超期未办结"),
        Measure("reopened", "重办"),
        Measure("rated", "评价", "次"),
        Measure("satisfied", "满意评价", "次"),
    )
}
# Counted as numbers of ratings (a reopened case can be rated twice), not of cases.
RATING_MEASURES = ("rated", "satisfied")


def measure_q(key: str, today: dt.date) -> Q:
    """Which cases a measure counts (for rated/satisfied: which cases have such ratings)."""
    if key == "received":
        return Q()
    if key == "accepted":
        return ~Q(state__in=NOT_ACCEPTED)
    if key == "declined":
        return Q(state=DECLINED)
    if key == "merged":
        return Q(state=MERGED)
    if key == "dispatched":
        return Q(dispatched_at__isnull=False)
    if key == "signed_in_time":
        return signed_in_time_q()
    if key == "resolved":
        return Q(state__in=FINISHED)
    if key == "resolved_with_deadline":
        return Q(state__in=FINISHED, deadline__isnull=False)
    if key == "resolved_on_time":
        # replied_at can be missing on old imported rows: then it cannot count as on time.
        return Q(state__in=FINISHED, deadline__isnull=False, replied_date__lte=F("deadline"))
    if key == "overdue":
        return Q(state__in=WORKING, deadline__lt=today)
    if key == "reopened":
        return Q(reopen_count__gt=0)
    if key == "rated":
        return Q(rating_satisfied__gt=0) | Q(rating_neutral__gt=0) | Q(rating_unsatisfied__gt=0)
    if key == "satisfied":
        return Q(rating_satisfied__gt=0)
    raise KeyError(key)


def with_dates(qs):
    """Annotations measure_q relies on (days in local time)."""
    return qs.annotate(
        replied_date=LocalDate("replied_at"),
        dispatched_date=LocalDate("dispatched_at"),
        signed_date=LocalDate("signed_at"),
    )


RATES = {
    "response": ("响应率", "signed_in_time", "dispatched"),
    "resolution": ("解决率", "resolved", "accepted"),
    "satisfaction": ("满意率", "satisfied", "rated"),
    "on_time": ("按时办结率", "resolved_on_time", "resolved_with_deadline"),
}


def rates(sums: dict[str, int]) -> dict[str, float | None]:
    """Rates in percent (two decimals); None where the denominator is zero."""
    out: dict[str, float | None] = {}
    for key, (_label, num, den) in RATES.items():
        d = sums.get(den) or 0
        out[key] = round(100.0 * (sums.get(num) or 0) / d, 2) if d else None
    return out


def composite(rate_values: dict[str, float | None], weights: dict[str, int]) -> float | None:
    """Σ weight × rate / Σ weight over the rates that exist (a unit with no ratings yet is
    scored on the others, not punished with zero)."""
    total = sum(weights[k] for k, v in rate_values.items() if v is not None and k in weights)
    if not total:
        return None
    return round(
        sum(weights[k] * v for k, v in rate_values.items() if v is not None and k in weights)
        / total,
        2,
    )
