from django.db import migrations


def mark(apps, schema_editor):
    User = apps.get_model("orgs", "User")
    User.objects.filter(api_key__isnull=False).update(is_service_account=True)


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0002_importjob"),
        ("orgs", "0003_service_account"),
    ]

    operations = [migrations.RunPython(mark, migrations.RunPython.noop)]
