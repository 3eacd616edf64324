"""Periodic work (settings.PERIODIC_JOBS): retrain suggesters whose training data
changed, and fold newly indexed documents into the saved duplicate index.
Idempotent: a second run with no new data changes nothing."""

from __future__ import annotations

import logging
import time

from . import classify, duplicates
from .registry import training_sources

log = logging.getLogger(__name__)


def _retrain_seconds() -> float:
    from django.conf import settings

    return float(getattr(settings, "TEXTINTEL_RETRAIN_HOURS", 20)) * 3600


def train_all(force: bool = False) -> dict:
    """Train each registered suggester whose data changed. Without `force`, a
    model younger than TEXTINTEL_RETRAIN_HOURS is kept (retraining costs seconds
    of CPU: once a day is enough for a ledger's drift)."""
    out = {}
    for kind, source in training_sources().items():
        age = time.time() - (classify.trained_at(kind) or 0)
        if not force and age < _retrain_seconds():
            out[kind] = "fresh"
            continue
        data = source()
        if not force and data.fingerprint and data.fingerprint == classify.fingerprint(kind):
            out[kind] = "unchanged"
            continue
        try:
            out[kind] = classify.train(
                kind,
                data.texts,
                data.labels,
                places=data.places,
                names=data.names,
                fingerprint=data.fingerprint,
            )
        except ValueError as exc:  # too little data yet: not an error
            out[kind] = str(exc)
    return out


def refresh() -> dict:
    return {"trained": train_all(), "duplicates": duplicates.refresh()}
