from django.db import migrations

LABELS = {
    "grid_worker": "网格员/村(社区)干部",
    "office": "办公室/指挥中心",
    "unit_handler": "承办单位经办人",
    "unit_head": "单位负责人/牵头领导",
    "inspector": "巡回指导组",
    "discipline": "纪委",
    "volunteer": "党员/志愿者",
    "admin": "系统管理员",
}


def add_roles(apps, schema_editor):
    Role = apps.get_model("orgs", "Role")
    for code, name in LABELS.items():
        Role.objects.update_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("orgs", "0001_initial")]
    operations = [migrations.RunPython(add_roles, migrations.RunPython.noop)]
