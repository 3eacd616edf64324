"""Fill the area key (the county of the place) of the cases' search documents
already there, before textintel builds its text-and-area index (run_before)."""

from django.db import migrations


def forward(apps, schema_editor):
    from cases.textsearch import refresh_areas

    refresh_areas()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0005_pending_submission"),
        ("orgs", "0003_service_account"),
        ("textintel", "0006_area_key"),
    ]
    run_before = [("textintel", "0007_area_index")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
