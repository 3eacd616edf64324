"""Periodic jobs of the cases app (run by core.periodic)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from . import services
from .models import PendingSubmission

# A resend of the same form comes within minutes; a week of drained rows answers it.
KEEP_DRAINED = dt.timedelta(days=7)


def submissions_catch_up() -> dict:
    """Submissions a killed worker acknowledged but never made cases of, then old rows."""
    made = 0
    while n := services.submissions_drain(limit=500):
        made += n
    removed, _ = PendingSubmission.objects.filter(
        case__isnull=False, received_at__lt=timezone.now() - KEEP_DRAINED
    ).delete()
    return {"drained": made, "removed": removed}
