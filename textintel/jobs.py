"""Periodic work (settings.PERIODIC_JOBS): retrain suggesters whose training data
changed, and fold newly indexed documents into the saved duplicate index.
Idempotent: a second run with no new data changes nothing."""

from __future__ import annotations

import logging

from . import classify, duplicates
from .registry import training_sources

log = logging.getLogger(__name__)


def train_all(force: bool = False) -> dict:
    out = {}
    for kind, source in training_sources().items():
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
