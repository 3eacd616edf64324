from django.apps import AppConfig


def _contacts(items) -> dict:
    """The requester of each widget, for supervision's return-visit call list."""
    return {
        w.pk: {"name": "测试群众", "phone": w.requester_phone} for w in items if w.requester_phone
    }


def _missing_report_q(today):
    from django.db.models import Q

    return Q(report_missing=True)


class KernelappConfig(AppConfig):
    name = "tests.kernelapp"
    label = "kernelapp"

    def ready(self):
        from tracking import registry

        from .models import Widget

        registry.register(
            registry.TrackedKind(
                model=Widget,
                label="测试事项",
                open_states=frozenset({"assigned"}),
                finished_states=frozenset({"done", "closed"}),
                progress_field="progress_percent",
                extra={
                    "reopen": "reopen",
                    "contacts": _contacts,
                    "return_visits": True,
                    "missing_report_q": _missing_report_q,
                },
            )
        )
