"""Periods the figures are asked for: a month ("2026-10") or a year ("2026")."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone

from core.errors import InvalidInput


@dataclass(frozen=True)
class Period:
    key: str
    start: dt.date  # first day
    end: dt.date  # day after the last day

    @property
    def is_month(self) -> bool:
        return len(self.key) == 7

    @property
    def label(self) -> str:
        if self.is_month:
            return f"{self.start.year}年{self.start.month}月"
        return f"{self.start.year}年"

    @property
    def months(self) -> list[dt.date]:
        out, m = [], self.start
        while m < self.end:
            out.append(m)
            m = next_month(m)
        return out

    def previous(self) -> Period:
        if self.is_month:
            return month_period(prev_month(self.start))
        return parse_period(str(self.start.year - 1))

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)


def next_month(d: dt.date) -> dt.date:
    return dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def prev_month(d: dt.date) -> dt.date:
    return dt.date(d.year - (d.month == 1), (d.month - 2) % 12 + 1, 1)


def month_start(d: dt.date) -> dt.date:
    return d.replace(day=1)


def month_period(first: dt.date) -> Period:
    return Period(f"{first:%Y-%m}", first, next_month(first))


def parse_period(value: str | None, *, default_current: bool = True) -> Period:
    value = (value or "").strip()
    if not value and default_current:
        return month_period(month_start(timezone.localdate()))
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", value)
    if m and 1 <= int(m.group(2)) <= 12 and 2000 <= int(m.group(1)) <= 2100:
        return month_period(dt.date(int(m.group(1)), int(m.group(2)), 1))
    if re.fullmatch(r"\d{4}", value) and 2000 <= int(value) <= 2100:
        y = int(value)
        return Period(value, dt.date(y, 1, 1), dt.date(y + 1, 1, 1))
    raise InvalidInput(
        "统计期格式应为“2026-10”（月）或“2026”（年）", fields={"period": ["统计期格式有误"]}
    )


def last_months(n: int, until: dt.date | None = None) -> list[dt.date]:
    m = month_start(until or timezone.localdate())
    out = [m]
    for _ in range(n - 1):
        m = prev_month(m)
        out.append(m)
    return list(reversed(out))
