"""Periodic jobs (listed in settings.PERIODIC_JOBS; each idempotent)."""

from __future__ import annotations

from . import services


def generate_report_slots() -> dict[str, int]:
    """This month's and week's report slots; overdue slots marked missing."""
    return services.report_slots_generate()
