from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from figures.sentences import html_of

register = template.Library()


@register.filter
def sentence(parts) -> SafeString:
    """A sentence's parts as the page shows them: each number a link to its records."""
    return html_of(parts)
