"""Report due dates: the 25th of the month and Thursday of the week, moved off holidays.

Rules (configurable per programme):
- Monthly: day `monthly_due_day` of the month; a day past the month's end (31 in
  April, 29–31 in February) means the month's last day.
- Weekly: weekday `weekly_due_weekday` (Thursday by default) of the ISO week.
- If that day is not a working day by the Chinese calendar (weekend, statutory
  holiday; 调休 workdays count as working days), the programme's holiday rule
  applies: by default it moves to the NEXT working day (遇节假日顺延), as offices
  announce it; "previous" moves it to the last working day before; "none" keeps it.
"""

from __future__ import annotations

import calendar
import datetime as dt

from tracking import workdays

from .models import HolidayRule, Programme


def _adjust(day: dt.date, rule: str) -> dt.date:
    if rule == HolidayRule.NONE or workdays.is_workday(day):
        return day
    step = 1 if rule == HolidayRule.NEXT else -1
    while not workdays.is_workday(day):
        day += dt.timedelta(days=step)
    return day


def monthly_due(programme: Programme, year: int, month: int) -> dt.date:
    last = calendar.monthrange(year, month)[1]
    day = dt.date(year, month, min(max(programme.monthly_due_day, 1), last))
    return _adjust(day, programme.holiday_rule)


def weekly_due(programme: Programme, year: int, week: int) -> dt.date:
    day = dt.date.fromisocalendar(year, week, programme.weekly_due_weekday + 1)
    return _adjust(day, programme.holiday_rule)


def month_period(day: dt.date) -> tuple[str, dt.date]:
    return f"{day.year}-{day.month:02d}", day.replace(day=1)


def week_period(day: dt.date) -> tuple[str, dt.date, int, int]:
    iso = day.isocalendar()
    start = day - dt.timedelta(days=day.weekday())
    return f"{iso.year}-W{iso.week:02d}", start, iso.year, iso.week
