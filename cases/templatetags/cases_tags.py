from __future__ import annotations

from django import template
from django.utils import timezone

from cases import masking, tables
from tracking import workdays

register = template.Library()


@register.filter
def deadline_label(case) -> str:
    """剩余N个工作日 / 已超期N个工作日 while the unit's clock runs."""
    if case.deadline is None or not case.clock_running:
        return ""
    return workdays.deadline_label(case.deadline, timezone.localdate())


@register.filter
def deadline_tone(case) -> str:
    if case.deadline is None or not case.clock_running:
        return ""
    return tables.deadline_tone(case.deadline, timezone.localdate())


@register.filter
def state_tone(state: str) -> str:
    return tables.STATE_TONES.get(state, "")


@register.filter
def mask_name(value: str) -> str:
    return masking.mask_name(value)


@register.filter
def mask_phone(value: str) -> str:
    return masking.mask_phone(value)


@register.filter
def public_place(node) -> str:
    return masking.public_place(node)


@register.filter
def get(mapping, key):
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.filter
def first_error(errors, key) -> str:
    try:
        msgs = errors.get(key) or []
    except AttributeError:
        return ""
    return msgs[0] if msgs else ""


@register.filter
def case_state(code: str) -> str:
    from cases.models import CASE_WORKFLOW

    return CASE_WORKFLOW.label(code)
