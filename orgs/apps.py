from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "orgs"
    verbose_name = "组织与人员"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from . import access
        from .models import OrgNode

        for signal in (post_save, post_delete):
            signal.connect(access.forget_area_heads, sender=OrgNode, dispatch_uid="area-heads")
