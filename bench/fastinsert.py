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


def _sqlite_value(v):
    if isinstance(v, dt.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(dt.UTC).replace(tzinfo=None)
        return str(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, dict | list):
        return json.dumps(v, ensure_ascii=False)
    return v


def _pg_value(v):
    if isinstance(v, dict | list):
        return json.dumps(v, ensure_ascii=False)
    return v


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
    # Defaults that are not per-row (callables like timezone.now) are taken once per batch.
    n = 0
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            with c.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as cp:
                for row in it:
                    cp.write_row(
                        [_pg_value(row[a]) if a in row else _pg_value(d()) for a, _, d, _ in plan]
                    )
                    n += 1
        return n
    sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' for _ in plan)})"
    raw = connection.connection.cursor()
    while True:
        chunk = list(islice(it, batch))
        if not chunk:
            break
        raw.executemany(
            sql,
            [
                [_sqlite_value(row[a]) if a in row else _sqlite_value(d()) for a, _, d, _ in plan]
                for row in chunk
            ],
        )
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
