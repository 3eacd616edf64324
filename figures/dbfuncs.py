"""Local calendar day of a timestamp, computed by the database's own functions.

Django's TruncDate on SQLite calls a Python function per row; over a million cases
that dominates the rollup. SQLite stores UTC text, so the local day is
date(col, '+N minutes') with the zone's offset (Asia/Shanghai keeps no DST; zones
with DST fall back to TruncDate). PostgreSQL converts with AT TIME ZONE.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.db.models import DateField, Func
from django.db.models.functions import TruncDate, TruncMonth


def _fixed_offset_minutes() -> int | None:
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    offsets = {
        tz.utcoffset(dt.datetime(2026, m, 1)) for m in (1, 4, 7, 10)
    }  # one offset all year: no DST
    if len(offsets) != 1:
        return None
    return int(offsets.pop().total_seconds() // 60)


class LocalDate(Func):
    output_field = DateField()
    arity = 1
    sqlite_modifiers = ""  # more date() modifiers after the zone's offset
    pg_template = "(({sql}) AT TIME ZONE %s)::date"

    def fallback(self):
        return TruncDate(*self.source_expressions)

    def as_sql(self, compiler, connection, **extra):  # other backends
        return self.fallback().as_sql(compiler, connection, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        minutes = _fixed_offset_minutes()
        if minutes is None:
            return self.as_sql(compiler, connection, **extra)
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date({sql}, '{minutes:+d} minutes'{self.sqlite_modifiers})", params

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return self.pg_template.format(sql=sql), (*params, settings.TIME_ZONE)


class LocalMonth(LocalDate):
    """First day of the local month of a timestamp (the rollups' month key)."""

    sqlite_modifiers = ", 'start of month'"
    pg_template = "date_trunc('month', ({sql}) AT TIME ZONE %s)::date"

    def fallback(self):
        return TruncMonth(*self.source_expressions, output_field=DateField())


class MonthOf(Func):
    """First day of the month of a date column, in SQL (TruncMonth runs Python per row
    on SQLite)."""

    output_field = DateField()
    arity = 1

    def as_sql(self, compiler, connection, **extra):
        trunc = TruncMonth(*self.source_expressions, output_field=DateField())
        return trunc.as_sql(compiler, connection, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date({sql}, 'start of month')", params

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date_trunc('month', {sql})::date", params
