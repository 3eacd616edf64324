"""The area key of a search document (see SearchDocument.area_key).

PostgreSQL: btree_gin, and the text-only GIN index goes; 0007 builds one GIN index
over the text and the key after the apps have filled the keys (their migrations
run before 0007), so the fill rewrites no GIN entries. SQLite: the FTS update
triggers fire on a change of the tokens only, so filling keys leaves FTS alone."""

from django.contrib.postgres.operations import BtreeGinExtension
from django.db import migrations, models


def _au_triggers(schema_editor, of_tokens: bool) -> None:
    from textintel.search import fts_update_trigger

    with schema_editor.connection.cursor() as cur:
        # the FTS tables themselves, not FTS5's shadow tables beside them
        cur.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name LIKE 'textintel_fts_%' AND sql LIKE 'CREATE VIRTUAL TABLE%'"
        )
        tables = [row[0] for row in cur.fetchall()]
    for table in tables:
        doc_type = table.removeprefix("textintel_fts_")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_au")
        schema_editor.execute(fts_update_trigger(doc_type, of_tokens=of_tokens))


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS textintel_search_tsv")
    elif vendor == "sqlite":
        _au_triggers(schema_editor, of_tokens=True)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS textintel_search_tsv ON textintel_searchdocument "
            "USING GIN (tsv)"
        )
    elif vendor == "sqlite":
        _au_triggers(schema_editor, of_tokens=False)


class Migration(migrations.Migration):
    dependencies = [("textintel", "0005_group_key")]

    operations = [
        migrations.AddField(
            model_name="searchdocument",
            name="area_key",
            field=models.BigIntegerField(blank=True, null=True, verbose_name="区域"),
        ),
        BtreeGinExtension(),
        migrations.RunPython(forward, backward),
    ]
