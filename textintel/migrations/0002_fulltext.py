"""The full-text index over SearchDocument.tokens, by database vendor.

SQLite: an external-content FTS5 table (no second copy of the text) kept in sync
by triggers. PostgreSQL: a generated tsvector column with the `simple`
configuration (no stemming, no stop words: each bigram is a lexeme) and a GIN
index. Neither uses trigrams: FTS5's trigram tokenizer and pg_trgm cannot find
a two-character word. (The `simple` parser needs a UTF-8 ctype, as PostgreSQL's
default C.UTF-8/zh_CN.UTF-8 databases have, to read CJK characters as word
characters.)
"""

from django.db import migrations

SQLITE_UP = [
    "CREATE VIRTUAL TABLE textintel_search_fts USING fts5("
    "tokens, content='textintel_searchdocument', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER textintel_search_ai AFTER INSERT ON textintel_searchdocument BEGIN "
    "INSERT INTO textintel_search_fts(rowid, tokens) VALUES (new.id, new.tokens); END",
    "CREATE TRIGGER textintel_search_ad AFTER DELETE ON textintel_searchdocument BEGIN "
    "INSERT INTO textintel_search_fts(textintel_search_fts, rowid, tokens) "
    "VALUES ('delete', old.id, old.tokens); END",
    "CREATE TRIGGER textintel_search_au AFTER UPDATE ON textintel_searchdocument BEGIN "
    "INSERT INTO textintel_search_fts(textintel_search_fts, rowid, tokens) "
    "VALUES ('delete', old.id, old.tokens); "
    "INSERT INTO textintel_search_fts(rowid, tokens) VALUES (new.id, new.tokens); END",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS textintel_search_au",
    "DROP TRIGGER IF EXISTS textintel_search_ad",
    "DROP TRIGGER IF EXISTS textintel_search_ai",
    "DROP TABLE IF EXISTS textintel_search_fts",
]
POSTGRES_UP = [
    "ALTER TABLE textintel_searchdocument ADD COLUMN tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, tokens)) STORED",
    "CREATE INDEX textintel_search_tsv ON textintel_searchdocument USING GIN (tsv)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS textintel_search_tsv",
    "ALTER TABLE textintel_searchdocument DROP COLUMN IF EXISTS tsv",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise RuntimeError(
                f"textintel: no full-text index for {schema_editor.connection.vendor}"
            )
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("textintel", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
