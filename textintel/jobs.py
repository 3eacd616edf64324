"""Periodic work (settings.PERIODIC_JOBS): retrain suggesters once enough new
handled records arrived, and append newly indexed documents to the saved
duplicate index.
Idempotent: a second run with no new data changes nothing."""

from __future__ import annotations

import logging
import time

from . import classify, duplicates
from .registry import training_sources, watermark_of

log = logging.getLogger(__name__)


RETRAIN_MIN_NEW = 500  # new learnable records before a retrain...
RETRAIN_NEW_RATIO = 0.5  # ...and this share of the model's examples (up to a
RETRAIN_REFERENCE = 6_000  # training set of this size): ~every 2 days at 1M cases


def _retrain_seconds() -> float:
    from django.conf import settings

    return float(getattr(settings, "TEXTINTEL_RETRAIN_HOURS", 20)) * 3600


def train_all(force: bool = False) -> dict:
    """Train each registered suggester whose data changed enough. Without
    `force`: a model younger than TEXTINTEL_RETRAIN_HOURS is kept; a source with
    a watermark is retrained only when RETRAIN_MIN_NEW new records (and
    RETRAIN_NEW_RATIO of the model's examples) arrived since the model's mark, so
    most nights cost one count query. A model saved in an older format is
    retrained at the next run. A second run changes nothing."""
    out = {}
    for kind, source in training_sources().items():
        info = classify.model_info(kind)
        outdated = bool(info) and info.get("format") != classify.MODEL_FORMAT
        if outdated:
            info = None  # saved by an older version: retrain now, whatever its age
        if not force and info and time.time() - (info["trained_at"] or 0) < _retrain_seconds():
            out[kind] = "fresh"
            continue
        mark_fn = watermark_of(kind)
        mark = mark_fn() if mark_fn else None
        if not force and info and mark is not None and info.get("watermark") is not None:
            new = mark - info["watermark"]
            examples = min(info["examples"] or 0, RETRAIN_REFERENCE)
            if new < max(RETRAIN_MIN_NEW, RETRAIN_NEW_RATIO * examples):
                out[kind] = {"kept": True, "new_records": new}
                continue
        data = source()
        if mark is None:
            mark = data.watermark
        same = data.fingerprint and data.fingerprint == classify.fingerprint(kind)
        if not force and not outdated and same:
            out[kind] = "unchanged"
            continue
        try:
            if data.given is not None:
                out[kind] = classify.train_history(
                    kind,
                    data.given,
                    data.labels,
                    data.places or [()] * len(data.labels),
                    weights=data.weights,
                    names=data.names,
                    fingerprint=data.fingerprint,
                    watermark=mark,
                )
            else:
                out[kind] = classify.train(
                    kind,
                    data.texts,
                    data.labels,
                    places=data.places,
                    names=data.names,
                    fingerprint=data.fingerprint,
                    watermark=mark,
                )
        except ValueError as exc:  # too little data yet: not an error
            out[kind] = str(exc)
    return out


def refresh() -> dict:
    return {"trained": train_all(), "duplicates": duplicates.refresh()}
