"""Wiring supervision's hooks (see hooks.py) to the real kinds it knows of.

The owning apps may set the same keys in their TrackedKind.extra; those win.
"""

from __future__ import annotations


def wire() -> None:
    """Called from SupervisionConfig.ready(); filled in as cases and commitments land."""
