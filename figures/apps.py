from django.apps import AppConfig


class FiguresConfig(AppConfig):
    name = "figures"
    verbose_name = "统计与通报"

    def ready(self) -> None:
        from core.nav import NavEntry, add_staff
        from orgs.models import Role

        readers = (Role.OFFICE, Role.UNIT_HANDLER, Role.UNIT_HEAD, Role.GRID_WORKER, Role.INSPECTOR)
        add_staff(NavEntry("统计", "figures:dashboard", roles=readers, order=80))
        add_staff(NavEntry("活动记录", "figures:activities", roles=readers, order=82))
