"""A minimal tracked item that exercises the kernel apart from any real app."""

from django.db import models

from orgs.models import Role
from tracking.models import TrackedItem
from tracking.workflow import transition, workflow


def _needs_result(*, actor, item, changes, data):
    from core.errors import InvalidInput

    if not (changes.get("result") or "").strip():
        raise InvalidInput("请填写办理结果", fields={"result": ["请填写办理结果"]})


WIDGET_WORKFLOW = workflow(
    "widget",
    {"new": "新建", "assigned": "已交办", "done": "已办结", "closed": "已销号"},
    "new",
    ["closed"],
    transition("assign", "交办", ["new"], "assigned", [Role.OFFICE], relation="place"),
    transition("note", "记录进展", ["assigned"], None, [Role.UNIT_HANDLER], relation="owner"),
    transition(
        "finish",
        "办结",
        ["assigned"],
        "done",
        [Role.UNIT_HANDLER],
        relation="owner",
        guard=_needs_result,
        public=True,
    ),
    transition("close", "销号", ["done"], "closed", [Role.OFFICE], relation="place", system=True),
    # Supervision's reopen contract (TrackedKind.extra["reopen"]): a failed spot check
    # or return visit sends finished work back to the unit.
    transition(
        "reopen",
        "重新办理",
        ["done", "closed"],
        "assigned",
        [Role.OFFICE, Role.INSPECTOR],
        relation="visible",
    ),
)


class Widget(TrackedItem):
    WORKFLOW = WIDGET_WORKFLOW
    title = models.CharField(max_length=100)
    result = models.TextField(blank=True)
    # For supervision's rules: percent done, and a report-missing flag other apps compute.
    progress_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    report_missing = models.BooleanField(default=False)
    requester_phone = models.CharField(max_length=20, blank=True)
