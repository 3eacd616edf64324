from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "接口与导入"

    def ready(self) -> None:
        from core import nav

        nav.add_staff(nav.NavEntry("导入工单", "api-import", roles=("office", "admin"), order=80))

        # imported cases reach the search index and duplicate finder at once
        from cases import textsearch

        from .services import on_cases_imported

        on_cases_imported(lambda source: textsearch.sync())
