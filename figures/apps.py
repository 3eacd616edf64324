from django.apps import AppConfig


class FiguresConfig(AppConfig):
    name = "figures"
    verbose_name = "统计与通报"

    def ready(self) -> None:
        from core.nav import NavEntry, add_staff

        add_staff(NavEntry("统计", "figures:dashboard", order=80))
        add_staff(NavEntry("活动记录", "figures:activities", order=82))
