"""PostgreSQL: one GIN index over the text and the area key (btree_gin), so a
search within an area intersects the two posting lists inside the index instead
of reading every match in the table; text-only searches use it as they used the
old index. Apps that fill area keys of existing documents run before this."""

from django.db import migrations


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS textintel_search_tsv_area "
            "ON textintel_searchdocument USING GIN (tsv, area_key)"
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS textintel_search_tsv_area")


class Migration(migrations.Migration):
    dependencies = [("textintel", "0006_area_key")]

    operations = [migrations.RunPython(forward, backward)]
