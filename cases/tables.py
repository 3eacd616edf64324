"""The rows of the staff case tables (list, search, inbox) as plain strings.

Each cell is computed once here, in Python, and the template only places the
strings (autoescaped as before). Resolving model attributes, filters, `{% url %}`
and date formats cell by cell in the template took half of a list page's time.
What a row shows is what the template showed: the same fields of the same cases,
which the selectors have already scoped to the actor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.urls import reverse
from django.utils import timezone

from tracking import workdays

from .models import Case, Channel

STATE_TONES = {
    "submitted": "warn",
    "accepted": "",
    "declined": "",
    "merged": "",
    "dispatched": "warn",
    "signed": "",
    "in_progress": "",
    "replied": "ok",
    "rated": "ok",
    "closed": "ok",
}

CHANNEL_LABELS = dict(Channel.choices)


def deadline_tone(deadline: dt.date | None, today: dt.date) -> str:
    """danger when past, warn within three working days, ok otherwise."""
    if deadline is None:
        return ""
    if deadline < today:
        return "danger"
    if workdays.working_days_between(today, deadline) <= 3:
        return "warn"
    return "ok"


def pk_url(viewname: str, *rest) -> Callable[[int], str]:
    """A case URL (`viewname` with the pk, then `rest`) for any pk, reversed once
    for a whole page."""
    marker = 987654321
    head, tail = reverse(viewname, args=[marker, *rest]).split(str(marker))
    return lambda pk: f"{head}{int(pk)}{tail}"


def detail_url() -> Callable[[int], str]:
    """The case page's URL for a pk (see pk_url)."""
    return pk_url("cases:detail")


def case_rows(
    cases: Iterable[Case], today: dt.date | None = None, *, no_category: str = "—"
) -> list[dict]:
    """One dict of display strings per case, in the order given."""
    today = today or timezone.localdate()
    url = detail_url()
    rows = []
    for c in cases:
        running = c.deadline is not None and c.clock_running
        rows.append(
            {
                "pk": c.pk,
                "url": url(c.pk),
                "code": c.tracking_code,
                "title": c.display_title,
                "flagged": c.flagged_for_supervision,
                "reopened": bool(c.reopen_count),
                "place": c.place_display,
                "category": (c.category.name if c.category else "") or no_category,
                "category_id": c.category_id,
                "channel": CHANNEL_LABELS.get(c.channel, c.channel),
                "state": c.state_label,
                "state_tone": STATE_TONES.get(c.state, ""),
                "unit": (c.owner_unit.name if c.owner_unit else "") or "—",
                "deadline": c.deadline.isoformat() if c.deadline else "",
                "deadline_label": workdays.deadline_label(c.deadline, today) if running else "",
                "deadline_tone": deadline_tone(c.deadline, today) if running else "",
                "collected": (
                    timezone.localtime(c.collected_at).strftime("%Y-%m-%d %H:%M")
                    if c.collected_at
                    else ""
                ),
            }
        )
    return rows
