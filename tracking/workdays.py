"""Working days by the Chinese calendar.

Holidays and swapped workdays (调休) live in CalendarDay, seeded from the
`chinesecalendar` library for the years it knows (2004–2026) and entered by the
administrator for later ones. A year with no entry falls back to plain weekends,
and `is_fallback_year` tells pages to say so.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.db import transaction

from .models import CalendarDay, CalendarYear

_version = [0]  # bumped whenever the table changes, so cached years reload


def invalidate() -> None:
    _version[0] += 1
    _year_exceptions.cache_clear()
    _known_years.cache_clear()


@lru_cache(maxsize=64)
def _year_exceptions(year: int, version: int = 0) -> dict[dt.date, bool]:
    return dict(CalendarDay.objects.filter(date__year=year).values_list("date", "is_workday"))


@lru_cache(maxsize=1)
def _known_years(version: int = 0) -> frozenset[int]:
    return frozenset(CalendarYear.objects.values_list("year", flat=True))


def is_fallback_year(year: int) -> bool:
    return year not in _known_years(_version[0])


def is_workday(day: dt.date) -> bool:
    exceptions = _year_exceptions(day.year, _version[0])
    if day in exceptions:
        return exceptions[day]
    return day.weekday() < 5


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The date n working days after `start` (start itself does not count)."""
    day = start
    step = 1 if n >= 0 else -1
    remaining = abs(n)
    while remaining:
        day += dt.timedelta(days=step)
        if is_workday(day):
            remaining -= 1
    return day


def _weekdays_through(day: dt.date) -> int:
    """Mondays to Fridays from 1 January of year 1 (a Monday) to `day`, inclusive."""
    weeks, rest = divmod(day.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days in (start, end]; negative when end is before start.

    Weekdays by arithmetic, then each year's exceptions (a few dozen) in the range:
    a list page asks this for every row, and a deadline two years past would
    otherwise be walked day by day."""
    if end == start:
        return 0
    sign = 1 if end > start else -1
    lo, hi = (start, end) if sign > 0 else (end, start)
    count = _weekdays_through(hi) - _weekdays_through(lo)
    for year in range(lo.year, hi.year + 1):
        for day, work in _year_exceptions(year, _version[0]).items():
            if lo < day <= hi and work != (day.weekday() < 5):
                count += 1 if work else -1
    return sign * count


def deadline_label(deadline: dt.date | None, today: dt.date | None = None) -> str:
    """ "剩余N个工作日" / "今日到期" / "已超期N个工作日" for pages."""
    if deadline is None:
        return ""
    today = today or dt.date.today()
    n = working_days_between(today, deadline)
    if deadline == today:
        return "今日到期"
    if n >= 0 and deadline > today:
        return f"剩余{n}个工作日"
    return f"已超期{-n}个工作日" if n else "已超期"


def fallback_notice(*dates: dt.date | None) -> str:
    years = sorted({d.year for d in dates if d is not None and is_fallback_year(d.year)})
    if not years:
        return ""
    ys = "、".join(f"{y}年" for y in years)
    return f"{ys}法定节假日尚未由管理员录入，暂按周末计算工作日。"


@transaction.atomic
def load_from_library(years: range | None = None) -> int:
    """Copy holidays and swapped workdays from chinesecalendar into the table (idempotent)."""
    import chinese_calendar as cc

    years = years or range(2004, 2027)
    rows = 0
    for year in years:
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        try:
            cc.is_workday(start)
        except NotImplementedError:
            continue
        day = start
        while day <= end:
            on, name = cc.get_holiday_detail(day)
            work = not on
            if work != (day.weekday() < 5):
                CalendarDay.objects.update_or_create(
                    date=day,
                    defaults={
                        "is_workday": work,
                        "name": (_holiday_name(name) if name else "")
                        + ("调休上班" if work else ""),
                    },
                )
                rows += 1
            day += dt.timedelta(days=1)
        CalendarYear.objects.get_or_create(year=year, defaults={"source": "library"})
    transaction.on_commit(invalidate)
    return rows


_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def _holiday_name(name: str) -> str:
    return _NAMES.get(name, name)
