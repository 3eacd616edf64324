"""Bulk loading for the generated data set: COPY on PostgreSQL, executemany on SQLite.

Rows are dicts keyed by field attname; missing fields get the model's default
(or NULL / ""), so a model that gains a field with a default still loads. Values
are converted per column only where the database needs it (SQLite stores
datetimes as Django does: naive UTC text).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Iterable, Iterator
from itertools import chain, islice

from django.core.management.color import no_style
from django.db import connection, models

_MISSING = object()


def _column_plan(model: type[models.Model]):
    plan = []
    for f in model._meta.concrete_fields:
        if f.has_default():
            default = f.get_default
        elif f.null:
            default = lambda: None  # noqa: E731
        elif isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add):
            default = lambda: dt.datetime.now(dt.UTC)  # noqa: E731
        else:
            default = lambda: ""  # noqa: E731
        plan.append((f.attname, f.column, default, f))
    return plan


_ZERO = dt.timedelta(0)


def _sqlite_datetime(v):
    if v is None or not isinstance(v, dt.datetime):
        return _sqlite_value(v)
    if v.tzinfo is dt.UTC:  # timezone.now() and what is computed from it
        return str(v)[:-6]  # drop "+00:00": Django stores naive UTC text
    if v.tzinfo is not None:
        if v.utcoffset() != _ZERO:
            v = v.astimezone(dt.UTC)
        v = v.replace(tzinfo=None)
    return str(v)


def _json_value(v):
    if v is None or isinstance(v, str):
        return v
    return json.dumps(v, ensure_ascii=False) if v else ("{}" if isinstance(v, dict) else "[]")


def _sqlite_value(v):
    if isinstance(v, dt.datetime):
        return _sqlite_datetime(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, dict | list):
        return _json_value(v)
    return v


def _sqlite_converter(f: models.Field):
    """One converter per column, chosen once (not an isinstance chain per value):
    None where the value goes in as it is."""
    if isinstance(f, models.DateTimeField):
        return _sqlite_datetime
    if isinstance(f, models.JSONField):
        return _json_value
    if isinstance(f, models.DateField | models.DecimalField):
        return _sqlite_value
    if isinstance(f, models.CharField | models.TextField | models.BooleanField):
        return None
    if isinstance(f, models.IntegerField | models.AutoField | models.ForeignKey):
        return None
    return _sqlite_value


def _pg_value(v):
    if isinstance(v, dict | list):
        return _json_value(v)
    return v


def _pg_converter(f: models.Field):
    return _json_value if isinstance(f, models.JSONField) else None


def _row_maker(plan, converter):
    """A function dict -> list of column values. Defaults are taken once per batch
    (timezone.now and the like need not differ between rows of one batch)."""
    cols = []
    per_row = []  # unique columns (a tracking code): a fresh default for each row
    for attname, _col, default, f in plan:
        if f.unique and not f.primary_key and f.has_default():
            per_row.append((len(cols), attname, default, converter(f)))
        cols.append((attname, default(), converter(f)))
    plain = [(a, d) for a, d, c in cols if c is None]
    if len(plain) == len(cols) and not per_row:
        return lambda row: [row.get(a, d) for a, d in plain]

    def make(row: dict) -> list:
        out = [row.get(a, d) if c is None else c(row.get(a, d)) for a, d, c in cols]
        for i, a, default, c in per_row:
            if a not in row:
                out[i] = default() if c is None else c(default())
        return out

    return make


def insert(model: type[models.Model], rows: Iterable[dict], batch: int = 20_000) -> int:
    """Insert rows (with explicit ids where given); returns the count."""
    it: Iterator[dict] = iter(rows)
    first = next(it, None)
    if first is None:
        return 0
    it = chain([first], it)
    plan = _column_plan(model)
    if model._meta.pk.attname not in first:  # the database numbers the rows
        plan = [p for p in plan if p[0] != model._meta.pk.attname]
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for _, c, _, _ in plan)
    n = 0
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            with c.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as cp:
                while True:
                    chunk = list(islice(it, batch))
                    if not chunk:
                        break
                    make = _row_maker(plan, _pg_converter)
                    for row in chunk:
                        cp.write_row(make(row))
                    n += len(chunk)
        return n
    sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' for _ in plan)})"
    raw = connection.connection.cursor()
    while True:
        chunk = list(islice(it, batch))
        if not chunk:
            break
        make = _row_maker(plan, _sqlite_converter)
        raw.executemany(sql, [make(row) for row in chunk])
        n += len(chunk)
    return n


def reset_sequences(*models_: type[models.Model]) -> None:
    """After explicit ids: move PostgreSQL's sequences past them (SQLite needs nothing)."""
    sql = connection.ops.sequence_reset_sql(no_style(), list(models_))
    if sql:
        with connection.cursor() as c:
            for stmt in sql:
                c.execute(stmt)


def next_id(model: type[models.Model]) -> int:
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1


def analyze() -> None:
    """Fresh planner statistics after a bulk load (both databases need them)."""
    with connection.cursor() as c:
        c.execute("ANALYZE")
