"""For the public board (participation): the "督办中" mark of media exposure.

{% load supervision %}{% if item|under_supervision %}<span class="tag danger">督办中</span>{% endif %}
"""

from django import template

from tracking.models import EscalationLevel

register = template.Library()


@register.filter
def under_supervision(item) -> bool:
    """True from rung 4 (媒体曝光) up: the item is publicly marked 督办中."""
    return getattr(item, "escalation_level", 0) >= EscalationLevel.MEDIA
