from django.db import migrations

# PostgreSQL only: a rare state in a county's places is then one exact descent per
# place. SQLite's planner takes it for common states too (closed: most of the
# table) and sorts them, where the (state, -id) index pages in order: 3.5 s instead
# of tens of milliseconds at a million cases. Hence no model Meta entry.


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS case_state_place_idx ON cases_case (state, place_id)"
        )
        schema_editor.execute("ANALYZE cases_case")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS case_state_place_idx")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_search_areas"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=True)]
