"""SQLite: one contentless FTS5 table per doc_type whose rowid is the doc_id, so a
match yields document ids without a join (at 1,000,000 rows the join to the
search table cost more than the match). Triggers keep it in sync; see
textintel.search.ensure_fts. PostgreSQL is unchanged."""

from django.db import migrations

DROP_OLD = [
    "DROP TRIGGER IF EXISTS textintel_search_au",
    "DROP TRIGGER IF EXISTS textintel_search_ad",
    "DROP TRIGGER IF EXISTS textintel_search_ai",
    "DROP TABLE IF EXISTS textintel_search_fts",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    from textintel.search import ensure_fts

    for sql in DROP_OLD:
        schema_editor.execute(sql)
    with schema_editor.connection.cursor() as cur:
        cur.execute("SELECT DISTINCT doc_type FROM textintel_searchdocument")
        doc_types = {row[0] for row in cur.fetchall()} | {"case"}
    for doc_type in sorted(doc_types):
        ensure_fts(doc_type, schema_editor.connection)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    from importlib import import_module

    old = import_module("textintel.migrations.0002_fulltext")

    with schema_editor.connection.cursor() as cur:
        cur.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'textintel_fts_%'"
        )
        triggers = [r[0] for r in cur.fetchall()]
        cur.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'textintel_fts_%' "
            "AND sql LIKE 'CREATE VIRTUAL TABLE%'"
        )
        tables = [r[0] for r in cur.fetchall()]
    for name in triggers:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
    for name in tables:
        schema_editor.execute(f"DROP TABLE IF EXISTS {name}")
    for sql in old.SQLITE_UP:
        schema_editor.execute(sql)
    schema_editor.execute(
        "INSERT INTO textintel_search_fts(textintel_search_fts) VALUES ('rebuild')"
    )


class Migration(migrations.Migration):
    dependencies = [("textintel", "0002_fulltext")]

    operations = [migrations.RunPython(forward, backward)]
