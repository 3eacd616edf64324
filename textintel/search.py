"""Full-text search over character bigrams (DESIGN §8).

Documents are indexed as space-joined bigrams of their normalised text, so any
two-character word is one index term, a longer query is a phrase of consecutive
bigrams, and a one-character query a prefix query. Traditional and Simplified
forms meet in `normalize`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from django.db import connection, transaction

from .models import SearchDocument
from .normalize import bigram_tokens, segments

TABLE = SearchDocument._meta.db_table
# Ranking looks at the newest matches only, so a query matching half of a
# million documents costs the same as one matching a hundred.
RANK_WINDOW = 200
_DOC_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def fts_table(doc_type: str) -> str:
    if not _DOC_TYPE.match(doc_type):
        raise ValueError(f"textintel: bad doc_type {doc_type!r}")
    return f"textintel_fts_{doc_type}"


def ensure_fts(doc_type: str, conn=None) -> str:
    """SQLite: the contentless FTS5 table of a doc_type (rowid = doc_id) and the
    triggers that feed it from the search table; created on first use and filled
    from rows already there. Contentless: the text lives once, in the search
    table; a delete passes the old tokens, as FTS5 requires."""
    conn = conn or connection
    table = fts_table(doc_type)
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
        if cur.fetchone():
            return table
        cur.execute(
            f"CREATE VIRTUAL TABLE {table} USING fts5("
            "tokens, content='', tokenize='unicode61 remove_diacritics 0')"
        )
        cur.execute(
            f"CREATE TRIGGER {table}_ai AFTER INSERT ON {TABLE} "
            f"WHEN new.doc_type = '{doc_type}' BEGIN "
            f"INSERT INTO {table}(rowid, tokens) VALUES (new.doc_id, new.tokens); END"
        )
        cur.execute(
            f"CREATE TRIGGER {table}_ad AFTER DELETE ON {TABLE} "
            f"WHEN old.doc_type = '{doc_type}' BEGIN "
            f"INSERT INTO {table}({table}, rowid, tokens) "
            f"VALUES ('delete', old.doc_id, old.tokens); END"
        )
        cur.execute(fts_update_trigger(doc_type))
        cur.execute(
            f"INSERT INTO {table}(rowid, tokens) SELECT doc_id, tokens FROM {TABLE} "
            "WHERE doc_type = %s",
            [doc_type],
        )
    return table


def fts_update_trigger(doc_type: str, *, of_tokens: bool = True) -> str:
    """SQLite: the trigger that follows a change of a document's tokens (other
    columns, such as the area key, change without touching the FTS table)."""
    table = fts_table(doc_type)
    of = " OF doc_type, doc_id, tokens" if of_tokens else ""
    return (
        f"CREATE TRIGGER {table}_au AFTER UPDATE{of} ON {TABLE} "
        f"WHEN old.doc_type = '{doc_type}' BEGIN "
        f"INSERT INTO {table}({table}, rowid, tokens) "
        f"VALUES ('delete', old.doc_id, old.tokens); "
        f"INSERT INTO {table}(rowid, tokens) VALUES (new.doc_id, new.tokens); END"
    )


def _fts_exists(doc_type: str) -> bool:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s",
            [fts_table(doc_type)],
        )
        return cur.fetchone() is not None


_CHUNK = 500
_ID_CHUNK = 5000


Doc = tuple  # (id, text) or (id, text, group key) or (id, text, group key, area key)


def index_documents(doc_type: str, docs: Iterable[Doc]) -> int:
    """Upsert (doc_id, text[, group key[, area key]]) tuples; returns how many rows
    changed. A changed text gets a new row (new primary key) so other processes
    see it as new. Keys: see SearchDocument.group_key and area_key."""
    if connection.vendor == "sqlite":
        ensure_fts(doc_type)
    changed = 0
    batch: list[tuple[int, tuple[str, int | None, int | None]]] = []
    for doc in docs:
        doc_id, text = doc[0], doc[1]
        group = doc[2] if len(doc) > 2 else None
        area = doc[3] if len(doc) > 3 else None
        batch.append((int(doc_id), (bigram_tokens(text or ""), group, area)))
        if len(batch) >= _CHUNK:
            changed += _upsert(doc_type, batch)
            batch = []
    if batch:
        changed += _upsert(doc_type, batch)
    return changed


def _upsert(doc_type: str, batch: list[tuple[int, tuple[str, int | None, int | None]]]) -> int:
    latest = dict(batch)  # the last text of an id given twice wins
    with transaction.atomic():
        existing = {
            doc_id: (tokens, group, area)
            for doc_id, tokens, group, area in SearchDocument.objects.filter(
                doc_type=doc_type, doc_id__in=latest
            ).values_list("doc_id", "tokens", "group_key", "area_key")
        }
        stale = [i for i, v in latest.items() if i in existing and existing[i] != v]
        if stale:
            SearchDocument.objects.filter(doc_type=doc_type, doc_id__in=stale).delete()
        rows = [
            SearchDocument(
                doc_type=doc_type, doc_id=i, tokens=tokens, group_key=group, area_key=area
            )
            for i, (tokens, group, area) in latest.items()
            if existing.get(i) != (tokens, group, area)
        ]
        SearchDocument.objects.bulk_create(rows, batch_size=_CHUNK)
    if rows:
        from . import duplicates

        duplicates.written(doc_type)
    return len(rows)


def set_areas(doc_type: str, select_sql: str, params: Sequence = ()) -> int:
    """Set the area keys of documents in place (the text and the duplicate index
    stay as they are): `select_sql` yields rows with columns `doc_id` and `area`,
    e.g. from the app's own tables after its org tree changed. Returns how many
    rows changed."""
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {TABLE} SET area_key = s.area FROM ({select_sql}) AS s "
            f"WHERE {TABLE}.doc_type = %s AND {TABLE}.doc_id = s.doc_id "
            f"AND {TABLE}.area_key {differs} s.area",
            [*params, doc_type],
        )
        return cur.rowcount


def max_doc_id(doc_type: str) -> int:
    """The highest indexed id of a doc_type (0 when none): apps index what lies
    above it after bulk writes."""
    from django.db.models import Max

    top = SearchDocument.objects.filter(doc_type=doc_type).aggregate(m=Max("doc_id"))["m"]
    return int(top or 0)


def remove_document(doc_type: str, doc_id: int) -> None:
    SearchDocument.objects.filter(doc_type=doc_type, doc_id=doc_id).delete()
    from . import duplicates

    duplicates.forget(doc_type, doc_id)


def _fts5_query(query: str) -> str | None:
    parts = []
    for seg in segments(query):
        if len(seg) == 1:
            parts.append(f'"{seg}"*')
        else:
            parts.append('"' + " ".join(seg[i : i + 2] for i in range(len(seg) - 1)) + '"')
    return " AND ".join(parts) or None


def _pg_query(query: str) -> str | None:
    """A tsquery literal (parsed by tsquery input, not by the text parser)."""
    parts = []
    for seg in segments(query):
        if len(seg) == 1:
            parts.append(f"'{seg}':*")
        else:
            grams = [f"'{seg[i : i + 2]}'" for i in range(len(seg) - 1)]
            parts.append("(" + " <-> ".join(grams) + ")")
    return " & ".join(parts) or None


def match_sql(
    doc_type: str,
    query: str,
    id_range: tuple[int, int] | None = None,
    area: int | None = None,
) -> tuple[str, list] | None:
    """SQL selecting the doc_ids that match, for `pk__in=RawSQL(sql, params)`,
    so the caller's own filters (access scope, state) and order combine with the
    match in one query. None when the query has no searchable character.
    `id_range` (lo, hi): only doc_ids lo <= id < hi, which both indexes find
    without reading the other matches (callers page through ranges newest first).
    `area`: only documents with this area key (PostgreSQL reads only the area's
    matches from its index)."""
    if connection.vendor == "postgresql":
        q = _pg_query(query)
        if q is None:
            return None
        sql = f"SELECT doc_id FROM {TABLE} WHERE doc_type = %s AND tsv @@ %s::tsquery"
        params: list = [doc_type, q]
        if area is not None:
            # bigint to bigint: btree_gin's operator class has no cross-type `=`,
            # and an int4 literal would leave the key out of the index scan
            sql += " AND area_key = %s::bigint"
            params.append(area)
        if id_range is not None:
            sql += " AND doc_id >= %s AND doc_id < %s"
            params += list(id_range)
        return sql, params
    q = _fts5_query(query)
    if q is None:
        return None
    if not _fts_exists(doc_type):
        return (f"SELECT doc_id FROM {TABLE} WHERE 1 = 0", [])
    table = fts_table(doc_type)
    sql, params = f"SELECT rowid FROM {table} WHERE {table} MATCH %s", [q]
    if id_range is not None:
        sql += " AND rowid >= %s AND rowid < %s"
        params += list(id_range)
    if area is not None:
        sql += f" AND rowid IN (SELECT doc_id FROM {TABLE} WHERE doc_type = %s AND area_key = %s)"
        params += [doc_type, area]
    return sql, params


def match_one_sql(doc_type: str, query: str, id_sql: str) -> tuple[str, list] | None:
    """A condition: the document whose id is `id_sql` (a column of the caller's
    query) matches. Checked row by row, for a few rows the caller has found by
    other means (PostgreSQL: the document's own tsvector, no index scan)."""
    if connection.vendor == "postgresql":
        q = _pg_query(query)
        if q is None:
            return None
        return (
            f"(SELECT tsv FROM {TABLE} WHERE doc_type = %s AND doc_id = {id_sql}) @@ %s::tsquery",
            [doc_type, q],
        )
    q = _fts5_query(query)
    if q is None:
        return None
    if not _fts_exists(doc_type):
        return ("1 = 0", [])
    table = fts_table(doc_type)
    return f"{id_sql} IN (SELECT rowid FROM {table} WHERE {table} MATCH %s)", [q]


def search_ids(
    doc_type: str,
    query: str,
    limit: int = 50,
    candidate_ids: Sequence[int] | None = None,
) -> list[int]:
    """Ids of matching documents, best first (BM25 on SQLite, ts_rank on
    PostgreSQL) among the newest RANK_WINDOW matches; ties go to the newer."""
    if candidate_ids is None:
        rows = _ranked(doc_type, query, None)
    else:
        ids = sorted({int(i) for i in candidate_ids})
        rows = []
        # chunks keep under the databases' bound-parameter limits
        for start in range(0, len(ids), _ID_CHUNK):
            rows.extend(_ranked(doc_type, query, ids[start : start + _ID_CHUNK]))
    # rows come newest first; a stable sort keeps that order among equal scores
    rows.sort(key=lambda r: r[1])
    return [doc_id for doc_id, _ in rows[:limit]]


def _ranked(doc_type: str, query: str, ids: list[int] | None) -> list[tuple[int, float]]:
    """(doc_id, score: lower is better) for the newest RANK_WINDOW matches."""
    id_filter = ""
    if ids is not None:
        id_filter = f" AND d.doc_id IN ({','.join(['%s'] * len(ids))})"
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            q = _pg_query(query)
            if q is None:
                return []
            cur.execute(
                f"SELECT d.doc_id, ts_rank(d.tsv, q.q, 1) FROM {TABLE} d, "
                f"(SELECT %s::tsquery AS q) q WHERE d.doc_type = %s AND d.tsv @@ q.q"
                f"{id_filter} ORDER BY d.id DESC LIMIT %s",
                [q, doc_type, *(ids or []), RANK_WINDOW],
            )
            return [(doc_id, -float(score)) for doc_id, score in cur.fetchall()]
        q = _fts5_query(query)
        if q is None or not _fts_exists(doc_type):
            return []
        table = fts_table(doc_type)
        id_filter = id_filter.replace("d.doc_id", "rowid")
        cur.execute(
            f"SELECT rowid, bm25({table}) FROM {table} WHERE {table} MATCH %s{id_filter} "
            f"ORDER BY rowid DESC LIMIT %s",
            [q, *(ids or []), RANK_WINDOW],
        )
        return [(doc_id, float(score)) for doc_id, score in cur.fetchall()]
