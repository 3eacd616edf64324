import datetime as dt

import pytest

from tracking import workdays
from tracking.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    workdays.invalidate()
    yield
    workdays.invalidate()


def test_national_day_holiday_and_swapped_workday():
    # 2026: 10月1日–7日 holiday; Saturday 10月10日 a swapped workday (from chinesecalendar)
    assert not workdays.is_workday(dt.date(2026, 10, 1))
    assert workdays.is_workday(dt.date(2026, 10, 10))
    # 30 Sept (Wed) + 1 working day skips the holiday week to 8 Oct (Thu)
    assert workdays.add_working_days(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 8)


def test_working_days_between_and_labels():
    monday = dt.date(2026, 11, 23)
    assert workdays.working_days_between(monday, dt.date(2026, 11, 30)) == 5
    assert workdays.deadline_label(dt.date(2026, 11, 30), today=monday) == "剩余5个工作日"
    assert workdays.deadline_label(monday, today=dt.date(2026, 11, 25)) == "已超期2个工作日"
    assert workdays.deadline_label(monday, today=monday) == "今日到期"


def test_unknown_year_falls_back_to_weekends_and_says_so():
    assert workdays.is_fallback_year(2027)
    assert not workdays.is_fallback_year(2026)
    assert "2027年法定节假日尚未由管理员录入" in workdays.fallback_notice(dt.date(2027, 1, 4))
    assert workdays.is_workday(dt.date(2027, 10, 1))  # a Friday, no table yet


def test_administrator_table_for_a_new_year():
    CalendarYear.objects.create(year=2027, source="admin")
    CalendarDay.objects.create(date=dt.date(2027, 10, 1), is_workday=False, name="国庆节")
    workdays.invalidate()
    assert not workdays.is_fallback_year(2027)
    assert not workdays.is_workday(dt.date(2027, 10, 1))
    assert workdays.fallback_notice(dt.date(2027, 10, 1)) == ""


def test_working_days_between_matches_a_day_by_day_walk():
    # holidays and swapped workdays of 2025-2026 from the table; 2027 has none (weekends)
    def walk(start, end):
        lo, hi = sorted((start, end))
        days = (lo + dt.timedelta(days=i) for i in range(1, (hi - lo).days + 1))
        n = sum(1 for d in days if workdays.is_workday(d))
        return n if end >= start else -n

    base = dt.date(2025, 1, 1)
    starts = [base + dt.timedelta(days=i) for i in range(0, 1000, 37)]
    spans = [0, 1, 2, 6, 7, 8, 30, 365, -1, -5, -9, -400]
    for start in starts:
        for span in spans:
            end = start + dt.timedelta(days=span)
            assert workdays.working_days_between(start, end) == walk(start, end), (start, end)
