from django.apps import AppConfig


class CommitmentsConfig(AppConfig):
    name = "commitments"
    verbose_name = "民生实事项目"

    def ready(self) -> None:
        from core import nav, panels
        from orgs.models import Role
        from tracking import registry

        from . import panels as my_panels
        from .models import FINISHED_STATES, OPEN_STATES, Commitment

        registry.register(
            registry.TrackedKind(
                model=Commitment,
                label="民生实事项目",
                open_states=OPEN_STATES,
                finished_states=FINISHED_STATES,
                progress_field="progress_percent",
            )
        )
        nav.add_staff(nav.NavEntry("项目清单", "commitments:programmes", order=30))
        nav.add_staff(
            nav.NavEntry(
                "进度报送",
                "commitments:reports-due",
                roles=(Role.UNIT_HANDLER, Role.UNIT_HEAD),
                order=31,
            )
        )
        nav.add_staff(
            nav.NavEntry(
                "报送情况", "commitments:punctuality", roles=(Role.OFFICE, Role.INSPECTOR), order=32
            )
        )
        nav.add_staff(
            nav.NavEntry("台账导入", "commitments:import", roles=(Role.OFFICE,), order=33)
        )
        panels.register(my_panels.pending_work)
        # 立项 from a case, once the cases app offers converters; works without it.
        try:
            from cases.services import register_converter
        except ImportError:
            return
        from .services import commitment_create_from_case

        register_converter("commitment", commitment_create_from_case, "民生实事项目")
