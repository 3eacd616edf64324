from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "群众诉求"

    def ready(self) -> None:
        from tracking import registry

        from .models import FINISHED_STATES, OPEN_STATES, Case

        registry.register(
            registry.TrackedKind(
                model=Case,
                label="群众诉求",
                open_states=OPEN_STATES,
                finished_states=FINISHED_STATES,
            )
        )
        from . import hooks

        hooks.register()
