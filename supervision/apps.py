from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = "督办与巡回指导"

    def ready(self):
        from core import nav, panels
        from orgs import access
        from orgs.models import Role

        from . import integrations, selectors
        from .panels import supervision_panels

        access.register_grant(selectors.grant_queryset, selectors.grant_object)
        nav.add_staff(
            nav.NavEntry("督办", "supervision:board", (Role.OFFICE, Role.INSPECTOR), order=60)
        )
        nav.add_staff(
            nav.NavEntry(
                "督办单", "supervision:notices", (Role.UNIT_HANDLER, Role.UNIT_HEAD), order=61
            )
        )
        nav.add_staff(nav.NavEntry("巡回指导", "supervision:groups", (Role.INSPECTOR,), order=62))
        nav.add_staff(
            nav.NavEntry("移送纪委", "supervision:referrals", (Role.DISCIPLINE,), order=63)
        )
        panels.register(supervision_panels)
        integrations.wire()
