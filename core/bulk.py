"""Fast multi-row INSERT for periodic jobs that write many rows at once.

`bulk_create` builds a model instance and prepares every value through the ORM
compiler per row; at hundreds of thousands of rows that costs more than the
database. `insert_many` prepares each distinct value once per column and hands
the rows to the driver's executemany. Same tables, same columns: no model
save() logic runs, so use it only for plain append-only rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connections, router

BATCH = 5000


def insert_many(
    model, fields: Sequence[str], rows: Iterable[Sequence], *, batch_size: int = BATCH
) -> int:
    """INSERT rows (tuples in the order of `fields`, FK fields by attname) into model's table."""
    db = router.db_for_write(model)
    connection = connections[db]
    meta = model._meta
    cols = [meta.get_field(name) for name in fields]
    table = connection.ops.quote_name(meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.column) for f in cols)
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(cols))})"
    # Dates and datetimes: the same few values on every row, prepared once each.
    # JSON: adapted per row. Ints, strings, booleans and None go to the driver as they are.
    preps = []
    for f in cols:
        if f.get_internal_type() in ("DateTimeField", "DateField"):
            preps.append(_memo(f, connection))
        elif f.get_internal_type() == "JSONField":
            preps.append(lambda v, f=f: f.get_db_prep_save(v, connection))
        else:
            preps.append(None)

    def prep_row(row: Sequence) -> tuple:
        return tuple(v if p is None else p(v) for p, v in zip(preps, row, strict=True))

    count = 0
    batch: list[tuple] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(prep_row(row))
            if len(batch) >= batch_size:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def _memo(field, connection):
    cache: dict = {}

    def prep(value):
        if value not in cache:
            cache[value] = field.get_db_prep_save(value, connection)
        return cache[value]

    return prep
