import datetime as dt

from django.db import migrations

NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def load(apps, schema_editor):
    """Seed holidays and swapped workdays for the years chinesecalendar knows."""
    import chinese_calendar as cc

    CalendarDay = apps.get_model("tracking", "CalendarDay")
    CalendarYear = apps.get_model("tracking", "CalendarYear")
    rows = []
    for year in range(2004, 2030):
        try:
            cc.is_workday(dt.date(year, 1, 1))
        except NotImplementedError:
            continue
        day = dt.date(year, 1, 1)
        while day.year == year:
            on, name = cc.get_holiday_detail(day)
            work = not on
            if work != (day.weekday() < 5):
                label = NAMES.get(name, name or "")
                rows.append(CalendarDay(date=day, is_workday=work, name=label + ("调休上班" if work else "")))
            day += dt.timedelta(days=1)
        CalendarYear.objects.get_or_create(year=year, defaults={"source": "library"})
    existing = set(CalendarDay.objects.values_list("date", flat=True))
    CalendarDay.objects.bulk_create([r for r in rows if r.date not in existing])


class Migration(migrations.Migration):
    dependencies = [("tracking", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
